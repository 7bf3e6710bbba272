#include "backends/neuron/neff_manifest.h"

#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <map>
#include <nlohmann/json.hpp>
#include <system_error>
#include <utility>

#include "common/atomic_file.h"
#include "common/format.h"
#include "common/json_reader.h"
#include "kernels/kernel_registry.h"

namespace tb {
namespace {

using json_io::Reader;
using nlohmann::json;

// Largest element count of one manifest tensor: keeps every byte count in int64.
constexpr std::int64_t kMaxElements = std::int64_t{1} << 56;

std::string shape_str(const std::vector<std::int64_t>& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

std::int64_t product(const std::vector<std::int64_t>& shape) {
  std::int64_t n = 1;
  for (const std::int64_t d : shape) n *= d;
  return n;
}

std::string squote(const std::string& s) { return "'" + s + "'"; }

// Fields other than `allowed` are rejected, so a misspelled optional field
// ("layuot") cannot silently fall back to its default.
Status check_fields(const Reader& r, std::initializer_list<const char*> allowed) {
  for (auto it = r.raw().begin(); it != r.raw().end(); ++it) {
    bool known = false;
    std::string list;
    for (const char* a : allowed) {
      known = known || it.key() == a;
      list += (list.empty() ? "" : ", ") + std::string(a);
    }
    if (!known) return bad_input("field '" + r.path() + "." + it.key() + "' is unknown: expected " + list);
  }
  return {};
}

Expected<std::string> nonempty_str(const Reader& r, const std::string& key) {
  TB_ASSIGN_OR_RETURN(std::string s, r.str(key));
  if (s.empty()) return bad_input("field '" + r.path() + "." + key + "' is empty");
  return s;
}

Expected<std::vector<std::int64_t>> read_shape(const Reader& r) {
  TB_ASSIGN_OR_RETURN(const json* arr, r.array("shape"));
  const std::string path = r.path() + ".shape";
  if (arr->empty()) return bad_input("field '" + path + "' is empty: expected at least one dimension");
  std::vector<std::int64_t> shape;
  std::int64_t elements = 1;
  for (std::size_t i = 0; i < arr->size(); ++i) {
    const json& d = (*arr)[i];
    const bool positive = d.is_number_unsigned()  ? d.get<std::uint64_t>() >= 1
                          : d.is_number_integer() ? d.get<std::int64_t>() >= 1
                                                  : false;
    if (!positive) {
      return bad_input("field '" + path + "[" + std::to_string(i) + "]' is " + d.dump() +
                       ": expected a positive integer");
    }
    const std::uint64_t u = d.get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(kMaxElements) || elements > kMaxElements / static_cast<std::int64_t>(u)) {
      return bad_input("field '" + path + "' is too large: more than 2^56 elements");
    }
    elements *= static_cast<std::int64_t>(u);
    shape.push_back(static_cast<std::int64_t>(u));
  }
  return shape;
}

// One manifest tensor, checked against the spec it stands for.
Expected<NeffTensor> read_tensor(const Reader& r, const TensorSpec& spec, const std::string& role,
                                 const std::string& problem) {
  TB_RETURN_IF_ERROR(check_fields(r, {"name", "dtype", "shape", "layout"}));
  NeffTensor t;
  TB_ASSIGN_OR_RETURN(t.name, nonempty_str(r, "name"));
  TB_ASSIGN_OR_RETURN(const std::string dtype, r.str("dtype"));
  const Expected<DType> parsed = parse_dtype(dtype);
  if (!parsed) return bad_input("field '" + r.path() + ".dtype' is " + squote(dtype) + ": expected fp32, bf16 or fp16");
  t.dtype = *parsed;
  if (r.has("layout")) {
    TB_ASSIGN_OR_RETURN(const std::string layout, r.str("layout"));
    if (layout == "transposed") {
      t.layout = NeffLayout::kTransposed;
    } else if (layout != "row-major") {
      return bad_input("field '" + r.path() + ".layout' is " + squote(layout) + ": expected row-major or transposed");
    }
  }
  TB_ASSIGN_OR_RETURN(t.shape, read_shape(r));

  const std::string what = role + " '" + spec.name + "' of " + problem;
  if (t.dtype != spec.dtype) {
    return bad_input("field '" + r.path() + ".dtype' is " + dtype + ", but " + what + " is " +
                     std::string(dtype_name(spec.dtype)));
  }
  if (t.elements() != spec.elements()) {
    return bad_input("field '" + r.path() + ".shape' is " + shape_str(t.shape) + " (" + std::to_string(t.elements()) +
                     " elements), but " + what + " is " + shape_str(spec.shape) + " (" +
                     std::to_string(spec.elements()) + " elements)");
  }
  std::vector<std::int64_t> expected = spec.shape;
  if (t.layout == NeffLayout::kTransposed) {
    if (expected.size() < 2) {
      return bad_input("field '" + r.path() + ".layout' is 'transposed', but " + what + " has rank " +
                       std::to_string(expected.size()) + ": transposed needs at least 2 dimensions");
    }
    std::swap(expected[expected.size() - 1], expected[expected.size() - 2]);
  }
  if (t.shape != expected) {
    return bad_input("field '" + r.path() + ".shape' is " + shape_str(t.shape) + ", but " + what + " " +
                     shape_str(spec.shape) + " in layout " + std::string(neff_layout_name(t.layout)) + " is " +
                     shape_str(expected));
  }
  return t;
}

Expected<std::vector<NeffTensor>> read_tensors(const Reader& entry, const std::string& key,
                                               const std::vector<TensorSpec>& specs, const std::string& role,
                                               const std::string& problem) {
  TB_ASSIGN_OR_RETURN(const json* arr, entry.array(key));
  const std::string path = entry.path() + "." + key;
  if (arr->size() != specs.size()) {
    std::string names;
    for (const TensorSpec& s : specs) names += (names.empty() ? "" : ", ") + s.name;
    return bad_input("field '" + path + "' has " + std::to_string(arr->size()) + " tensors, but " + problem + " has " +
                     std::to_string(specs.size()) + " " + role + "s (" + names + ")");
  }
  std::vector<NeffTensor> tensors;
  for (std::size_t i = 0; i < specs.size(); ++i) {
    const std::string item = path + "[" + std::to_string(i) + "]";
    if (!(*arr)[i].is_object()) return bad_input("field '" + item + "' is not an object");
    TB_ASSIGN_OR_RETURN(NeffTensor t, read_tensor(Reader((*arr)[i], item), specs[i], role, problem));
    tensors.push_back(std::move(t));
  }
  return tensors;
}

Expected<NeffEntry> read_entry(const Reader& r, const std::filesystem::path& dir,
                               std::map<std::string, std::string>& seen) {
  TB_RETURN_IF_ERROR(check_fields(r, {"problem", "neff", "compiled_with", "inputs", "outputs"}));
  NeffEntry e;
  TB_ASSIGN_OR_RETURN(e.problem, nonempty_str(r, "problem"));
  const std::string field = "field '" + r.path() + ".problem'";
  const Expected<ProblemPtr> problem = parse_problem(e.problem);
  if (!problem)
    return bad_input(field + " is not a valid problem string (" + squote(e.problem) + "): " + problem.error().message);
  const std::string canonical = (*problem)->to_string();
  if (canonical != e.problem) {
    return bad_input(field + " is " + squote(e.problem) + ", which is not canonical: write " + squote(canonical));
  }
  // NEFFs run compute kernels; collectives run through nccom-test.
  if ((*problem)->collective()) {
    return bad_input(field + " is " + squote(e.problem) + ": kernel " + std::string((*problem)->kernel()) +
                     " has no NKI kernel (only " + kernel_names(compute_kernel, "and") +
                     " run from NEFFs; all-reduce runs through nccom-test)");
  }
  if (const auto it = seen.find(e.problem); it != seen.end()) {
    return bad_input(field + " repeats " + squote(e.problem) + " of '" + it->second + "'");
  }
  seen.emplace(e.problem, r.path());

  TB_ASSIGN_OR_RETURN(e.neff, nonempty_str(r, "neff"));
  const std::filesystem::path neff(e.neff);
  e.neff_path = neff.is_absolute() ? e.neff : (dir / neff).lexically_normal().string();
  if (r.has("compiled_with")) {
    TB_ASSIGN_OR_RETURN(e.compiled_with, r.str("compiled_with"));
  }
  TB_ASSIGN_OR_RETURN(e.inputs, read_tensors(r, "inputs", (*problem)->input_specs(), "input", e.problem));
  TB_ASSIGN_OR_RETURN(e.outputs, read_tensors(r, "outputs", (*problem)->output_specs(), "output", e.problem));

  // Names are the keys of the runtime's tensor sets: one name, one tensor.
  std::map<std::string, std::string> names;
  for (const auto* group : {&e.inputs, &e.outputs}) {
    const std::string key = group == &e.inputs ? "inputs" : "outputs";
    for (std::size_t i = 0; i < group->size(); ++i) {
      const std::string item = r.path() + "." + key + "[" + std::to_string(i) + "]";
      const auto [it, fresh] = names.emplace((*group)[i].name, item);
      if (!fresh) {
        return bad_input("field '" + item + ".name' repeats tensor name " + squote((*group)[i].name) + " of '" +
                         it->second + "'");
      }
    }
  }
  return e;
}

Expected<NeffManifest> parse_manifest(const json& doc, const std::string& path) {
  if (!doc.is_object()) return bad_input("the top level is not a JSON object");
  const Reader r(doc, "$");
  TB_RETURN_IF_ERROR(check_fields(r, {"manifest_version", "target", "lnc", "neffs"}));
  TB_ASSIGN_OR_RETURN(const std::int64_t version, r.integer("manifest_version"));
  if (version != NeffManifest::kVersion) {
    return bad_input("field '$.manifest_version' is " + std::to_string(version) + ": this trainbench reads version " +
                     std::to_string(NeffManifest::kVersion));
  }
  NeffManifest m;
  m.path = path;
  TB_ASSIGN_OR_RETURN(m.target, nonempty_str(r, "target"));
  if (r.has("lnc")) {
    TB_ASSIGN_OR_RETURN(const std::int64_t lnc, r.integer("lnc"));
    if (lnc != 1 && lnc != 2) {
      return bad_input("field '$.lnc' is " + std::to_string(lnc) + ": expected 1 or 2 (physical NeuronCores per "
                       "logical core, as neuronx-cc --logical-nc-config)");
    }
    m.lnc = static_cast<int>(lnc);
  }
  TB_ASSIGN_OR_RETURN(const json* neffs, r.array("neffs"));
  const std::filesystem::path dir = std::filesystem::path(path).parent_path();
  std::map<std::string, std::string> seen;
  for (std::size_t i = 0; i < neffs->size(); ++i) {
    const std::string item = "$.neffs[" + std::to_string(i) + "]";
    if (!(*neffs)[i].is_object()) return bad_input("field '" + item + "' is not an object");
    TB_ASSIGN_OR_RETURN(NeffEntry e, read_entry(Reader((*neffs)[i], item), dir, seen));
    m.entries.push_back(std::move(e));
  }
  return m;
}

std::string usage_name(NeffTensorUsage u) { return u == NeffTensorUsage::kInput ? "input" : "output"; }

}  // namespace

std::string_view neff_layout_name(NeffLayout layout) {
  return layout == NeffLayout::kTransposed ? "transposed" : "row-major";
}

std::int64_t NeffTensor::elements() const { return product(shape); }
std::int64_t NeffTensor::bytes() const { return elements() * static_cast<std::int64_t>(dtype_size(dtype)); }

const NeffEntry* NeffManifest::find(const std::string& canonical_problem) const {
  for (const NeffEntry& e : entries) {
    if (e.problem == canonical_problem) return &e;
  }
  return nullptr;
}

Expected<NeffManifest> read_neff_manifest(const std::string& path) {
  const Expected<std::string> text = read_file(path, kMaxReadBytes, "NEFF manifest");
  if (!text) return text.error();
  json doc;
  try {
    doc = json::parse(*text);
  } catch (const json::parse_error& e) {
    std::string what = e.what();  // "[json.exception.parse_error.101] parse error at line 2, column 3: ..."
    if (const auto p = what.find("] "); what.rfind("[json.exception", 0) == 0 && p != std::string::npos) {
      what = what.substr(p + 2);
    }
    return bad_input("NEFF manifest '" + path + "' is not valid JSON: " + what);
  }
  Expected<NeffManifest> m = parse_manifest(doc, path);
  if (!m) return bad_input("NEFF manifest '" + path + "': " + m.error().message);
  return m;
}

Status check_neff_file(const NeffEntry& entry) {
  const std::string what = "NEFF '" + entry.neff_path + "' for " + entry.problem;
  std::error_code ec;
  const std::filesystem::file_status st = std::filesystem::status(entry.neff_path, ec);
  if (!std::filesystem::exists(st)) return io_error(what + " does not exist");
  if (!std::filesystem::is_regular_file(st)) return io_error(what + " is not a regular file");
  std::ifstream in(entry.neff_path, std::ios::binary);
  if (!in) return io_error(what + " cannot be read: " + std::error_code(errno, std::generic_category()).message());
  return {};
}

std::string compile_command(const Problem& problem, const std::string& manifest_path) {
  return "python3 src/backends/neuron/nki/compile_neffs.py --manifest " + shell_quote(manifest_path) + " " +
         shell_single_quote(problem.to_string());
}

Status check_tensor_info(const NeffEntry& entry, const std::vector<RuntimeTensorInfo>& runtime) {
  const std::string prefix = "NEFF '" + entry.neff_path + "' (" + entry.problem + "): ";
  struct Listed {
    const NeffTensor* tensor;
    NeffTensorUsage usage;
  };
  std::map<std::string, Listed> manifest;
  for (const NeffTensor& t : entry.inputs) manifest.emplace(t.name, Listed{&t, NeffTensorUsage::kInput});
  for (const NeffTensor& t : entry.outputs) manifest.emplace(t.name, Listed{&t, NeffTensorUsage::kOutput});
  std::map<std::string, const RuntimeTensorInfo*> reported;
  for (const RuntimeTensorInfo& r : runtime) reported.emplace(r.name, &r);

  const auto list = [](const std::vector<NeffTensor>& in, const std::vector<NeffTensor>& out) {
    std::string s = "inputs";
    for (std::size_t i = 0; i < in.size(); ++i) s += (i ? ", " : " ") + in[i].name;
    s += "; outputs";
    for (std::size_t i = 0; i < out.size(); ++i) s += (i ? ", " : " ") + out[i].name;
    return s;
  };
  for (const RuntimeTensorInfo& r : runtime) {
    if (!manifest.contains(r.name)) {
      return bad_input(prefix + "the NEFF has " + usage_name(r.usage) + " tensor " + squote(r.name) +
                       ", which the manifest does not list (manifest " + list(entry.inputs, entry.outputs) + ")");
    }
  }
  for (const auto* group : {&entry.inputs, &entry.outputs}) {
    const NeffTensorUsage usage = group == &entry.inputs ? NeffTensorUsage::kInput : NeffTensorUsage::kOutput;
    for (const NeffTensor& t : *group) {
      const auto it = reported.find(t.name);
      if (it == reported.end()) {
        std::string names;
        for (const RuntimeTensorInfo& r : runtime) names += (names.empty() ? "" : ", ") + squote(r.name);
        return bad_input(prefix + "manifest " + usage_name(usage) + " " + squote(t.name) +
                         " is not among the NEFF's tensors (" + (names.empty() ? "none" : names) + ")");
      }
      const RuntimeTensorInfo& r = *it->second;
      const std::string tensor = "tensor " + squote(t.name);
      if (r.usage != usage) {
        return bad_input(prefix + tensor + " is an " + usage_name(usage) + " in the manifest but an " +
                         usage_name(r.usage) + " in the NEFF");
      }
      const std::string dtype(dtype_name(t.dtype));
      if (r.dtype != dtype) {
        return bad_input(prefix + tensor + " has dtype " + dtype + " in the manifest but " + r.dtype + " in the NEFF");
      }
      if (r.size_bytes != t.bytes()) {
        return bad_input(prefix + tensor + " has " + std::to_string(t.bytes()) + " bytes in the manifest (" +
                         shape_str(t.shape) + " " + dtype + ") but " + std::to_string(r.size_bytes) +
                         " bytes in the NEFF");
      }
      if (!r.shape.empty() && r.shape != t.shape) {
        return bad_input(prefix + tensor + " has shape " + shape_str(t.shape) + " in the manifest but " +
                         shape_str(r.shape) + " in the NEFF");
      }
    }
  }
  return {};
}

}  // namespace tb
