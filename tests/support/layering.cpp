#include "support/layering.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string_view>
#include <utility>

namespace tbtest {
namespace fs = std::filesystem;

namespace {

constexpr const char* kRegistry = "src/backends/backend_registry.cpp";

std::vector<std::string> split_words(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> words;
  for (std::string w; in >> w;) words.push_back(w);
  return words;
}

// Where a file stands: its layer's level (or `top` above every layer), and
// its backend folder when it is in one ("cpu", "cuda", "neuron").
struct Place {
  std::string layer;  // empty for benchmarks/ and tests/
  int level = 0;
  std::string backend;
};

std::optional<Place> place_of(const std::string& rel, const std::map<std::string, int>& levels, int top) {
  const std::vector<std::string> parts = [&] {
    std::vector<std::string> p;
    for (const auto& part : fs::path(rel)) p.push_back(part.string());
    return p;
  }();
  if (parts.size() < 2) return std::nullopt;
  const bool in_src = parts[0] == "src";
  if (!in_src) return Place{"", top, ""};  // benchmarks/, tests/: above every layer
  const auto it = levels.find(parts[1]);
  if (it == levels.end()) return std::nullopt;
  Place place{parts[1], it->second, ""};
  if (place.layer == "backends" && parts.size() > 3) place.backend = parts[2];
  return place;
}


// The path of a line `#include "path"` (spaces allowed around '#' and after
// "include"), or nullopt for any other line, including `#include <...>`.
std::optional<std::string> quoted_include(std::string_view line) {
  std::size_t i = line.find_first_not_of(" \t");
  if (i == std::string_view::npos || line[i] != '#') return std::nullopt;
  i = line.find_first_not_of(" \t", i + 1);
  constexpr std::string_view kInclude = "include";
  if (i == std::string_view::npos || line.substr(i, kInclude.size()) != kInclude) return std::nullopt;
  i = line.find_first_not_of(" \t", i + kInclude.size());
  if (i == std::string_view::npos || line[i] != '"') return std::nullopt;
  const std::size_t end = line.find('"', i + 1);
  if (end == std::string_view::npos) return std::nullopt;
  return std::string(line.substr(i + 1, end - i - 1));
}
std::map<std::string, int> levels_of(const std::vector<std::vector<std::string>>& layers) {
  std::map<std::string, int> levels;
  for (std::size_t i = 0; i < layers.size(); ++i) {
    for (const std::string& name : layers[i]) levels[name] = static_cast<int>(i);
  }
  return levels;
}

// Why `from` may not depend on `to` ("includes" or "links"), or "" when it may.
std::string level_violation(const Place& from, const Place& to, const std::string& verb) {
  if (to.level > from.level) {
    return from.layer + " (level " + std::to_string(from.level) + ") " + verb + " " + to.layer + " (level " +
           std::to_string(to.level) + "), a layer above it";
  }
  if (to.level == from.level && to.layer != from.layer) {
    return from.layer + " " + verb + " " + to.layer + ", a peer on the same level";
  }
  return {};
}

// A CMake command's words, comments dropped, each with its 1-based line:
// for `name(` ... `)` anywhere in `text`, one vector per occurrence.
struct Word {
  std::string text;
  int line = 0;
};
std::vector<std::vector<Word>> cmake_calls(const std::string& text, std::string_view name) {
  std::vector<std::vector<Word>> calls;
  std::vector<Word> words;
  bool in_call = false;
  int line = 1;
  std::string word;
  auto flush = [&] {
    if (!word.empty()) words.push_back({word, line});
    word.clear();
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '#') {  // a comment runs to the end of the line
      flush();
      while (i + 1 < text.size() && text[i + 1] != '\n') ++i;
    } else if (c == '(' && !in_call) {
      in_call = word == name;
      word.clear();
    } else if (c == ')' && in_call) {
      flush();
      calls.push_back(std::move(words));
      words.clear();
      in_call = false;
    } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      if (in_call) flush(); else word.clear();
    } else {
      word += c;
    }
    if (c == '\n') ++line;
  }
  return calls;
}

}  // namespace

std::vector<std::vector<std::string>> read_layers(const fs::path& layers_txt) {
  std::ifstream in(layers_txt);
  std::vector<std::vector<std::string>> layers;
  for (std::string line; std::getline(in, line);) {
    if (const auto hash = line.find('#'); hash != std::string::npos) line.erase(hash);
    std::vector<std::string> words = split_words(line);
    if (!words.empty()) layers.push_back(std::move(words));
  }
  return layers;
}

std::string LayerViolation::to_string() const {
  return file + ":" + std::to_string(line) + (is_link ? ": links " + include : ": #include \"" + include + "\"") +
         ": " + why;
}

std::vector<LayerViolation> find_link_violations(const fs::path& root,
                                                 const std::vector<std::vector<std::string>>& layers) {
  const std::map<std::string, int> levels = levels_of(layers);
  const int top = static_cast<int>(layers.size());
  std::vector<std::pair<std::string, std::string>> lists;  // (relative path, text)
  if (fs::exists(root / "src")) {
    for (const auto& entry : fs::recursive_directory_iterator(root / "src")) {
      if (!entry.is_regular_file() || entry.path().filename() != "CMakeLists.txt") continue;
      std::ifstream in(entry.path());
      std::ostringstream text;
      text << in.rdbuf();
      lists.emplace_back(fs::relative(entry.path(), root).generic_string(), text.str());
    }
  }
  std::sort(lists.begin(), lists.end());
  std::map<std::string, Place> target_place;  // tb_x -> the layer whose CMakeLists.txt adds it
  for (const auto& [rel, text] : lists) {
    const std::optional<Place> place = place_of(rel, levels, top);
    if (!place) continue;
    for (const auto& call : cmake_calls(text, "add_library")) {
      if (!call.empty()) target_place[call[0].text] = *place;
    }
  }
  std::vector<LayerViolation> violations;
  for (const auto& [rel, text] : lists) {
    const std::optional<Place> from = place_of(rel, levels, top);
    if (!from) continue;
    for (const auto& call : cmake_calls(text, "target_link_libraries")) {
      for (std::size_t i = 1; i < call.size(); ++i) {
        const auto to = target_place.find(call[i].text);
        if (to == target_place.end()) continue;  // a vendor library, a keyword
        const std::string why = level_violation(*from, to->second, "links");
        if (!why.empty()) violations.push_back({rel, call[i].line, call[i].text, why, true});
      }
    }
  }
  return violations;
}

std::vector<LayerViolation> find_layer_violations(const fs::path& root,
                                                  const std::vector<std::vector<std::string>>& layers) {
  const std::map<std::string, int> levels = levels_of(layers);
  const int top = static_cast<int>(layers.size());
  std::vector<std::string> files;
  for (const char* dir : {"src", "benchmarks", "tests"}) {
    if (!fs::exists(root / dir)) continue;
    for (const auto& entry : fs::recursive_directory_iterator(root / dir)) {
      const std::string ext = entry.path().extension().string();
      if (entry.is_regular_file() && (ext == ".h" || ext == ".cpp" || ext == ".cu" || ext == ".cuh" || ext == ".in")) {
        files.push_back(fs::relative(entry.path(), root).generic_string());
      }
    }
  }
  std::sort(files.begin(), files.end());
  std::vector<LayerViolation> violations;
  for (const std::string& rel : files) {
    const std::optional<Place> from = place_of(rel, levels, top);
    if (!from) continue;
    std::ifstream in(root / rel);
    int number = 0;
    for (std::string line; std::getline(in, line);) {
      ++number;
      const std::optional<std::string> included_path = quoted_include(line);
      if (!included_path) continue;
      const std::string& included = *included_path;
      const std::optional<Place> to = place_of("src/" + included, levels, top);
      if (!to || to->layer.empty()) continue;
      std::string why = level_violation(*from, *to, "includes");
      if (why.empty() && from->layer == "backends" && !to->backend.empty() && to->backend != from->backend &&
          rel != kRegistry) {
        why = "backend folder '" + (from->backend.empty() ? std::string("backends/") : from->backend) +
              "' includes backend '" + to->backend + "': backends share only the headers directly in src/backends/";
      }
      if (!why.empty()) violations.push_back({rel, number, included, why, false});
    }
  }
  return violations;
}

}  // namespace tbtest
