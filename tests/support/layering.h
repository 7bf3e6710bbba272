// The layering rule of docs/layers.txt, checked over a source tree: every
// #include "..." of src/, benchmarks/ and tests/ that names a header of a
// layer above the including file's own (or of a peer), or a backend folder
// including another backend's, is a violation.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace tbtest {

// The layer order as docs/layers.txt writes it: one entry per line, bottom
// first, each line's peers together. '#' comments and blank lines are skipped.
std::vector<std::vector<std::string>> read_layers(const std::filesystem::path& layers_txt);

struct LayerViolation {
  std::string file;  // relative to the tree's root, e.g. "src/common/x.h"
  int line = 0;      // 1-based
  std::string include;  // the quoted path as written; for a link, the CMake target
  std::string why;      // "common (level 0) includes runner (level 7), a layer above it"
  bool is_link = false;  // found in a CMakeLists.txt's target_link_libraries

  // "src/common/x.h:12: #include \"runner/runner.h\": common ..." or
  // "src/common/CMakeLists.txt:3: links tb_runner: common (level 0) links runner ..."
  std::string to_string() const;
};

// Every violation under `root` (a checkout: src/, benchmarks/, tests/), in
// file order. Includes that name no layer folder (a system header in quotes,
// a file beside the includer) are not judged.
std::vector<LayerViolation> find_layer_violations(const std::filesystem::path& root,
                                                  const std::vector<std::vector<std::string>>& layers);

// The same order for CMake: every target_link_libraries() in a
// src/<layer>/**/CMakeLists.txt that names a library added by a higher
// layer's (or a peer's) CMakeLists.txt. Vendor libraries are not judged.
std::vector<LayerViolation> find_link_violations(const std::filesystem::path& root,
                                                 const std::vector<std::vector<std::string>>& layers);

}  // namespace tbtest
