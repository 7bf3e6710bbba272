// The NEFF manifest: which compiled NEFF file runs which problem, and the
// tensors that NEFF takes and returns. The Neuron adapter supports a problem
// exactly when the manifest has an entry for its canonical problem string.
// Format and workflow: docs/neuron.md, section "The NEFF manifest"; the
// manifest is written by src/backends/neuron/nki/compile_neffs.py on a Trainium host.
//
// An entry's inputs and outputs are listed in the order of the problem's
// input_specs() and output_specs(): the i-th manifest input holds the data of
// the i-th input spec. `name` is the tensor's name inside the NEFF (what
// nrt_get_model_tensor_info reports, and what the adapter passes to
// nrt_add_tensor_to_tensor_set); it need not equal the spec's name.
// The dtype must equal the spec's dtype. The layout says how the NEFF stores
// the spec's data:
//   row-major   the spec's shape, as trainbench stores it
//   transposed  the last two dimensions swapped (rank >= 2): an NKI GEMM takes
//               the left operand as A^T [K, M]; an NKI attention takes q and k
//               as [b, h, d, s]. The adapter swaps them on upload/read-back.
// so the element count always equals the spec's.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/dtype.h"
#include "common/error.h"
#include "kernels/problem.h"

namespace tb {

enum class NeffLayout { kRowMajor, kTransposed };

std::string_view neff_layout_name(NeffLayout layout);  // "row-major", "transposed"

struct NeffTensor {
  std::string name;  // the tensor's name inside the NEFF
  DType dtype = DType::kFp32;
  std::vector<std::int64_t> shape;  // as the NEFF stores it (layout applied)
  NeffLayout layout = NeffLayout::kRowMajor;

  std::int64_t elements() const;
  std::int64_t bytes() const;  // elements() * dtype_size(dtype)
};

struct NeffEntry {
  std::string problem;              // canonical problem string
  std::string neff;                 // as written in the manifest
  std::string neff_path;            // resolved: relative paths against the manifest's folder
  std::string compiled_with;        // free text (compiler and NKI versions); may be empty
  std::vector<NeffTensor> inputs;   // in input_specs() order
  std::vector<NeffTensor> outputs;  // in output_specs() order
};

struct NeffManifest {
  static constexpr int kVersion = 1;

  std::string path;    // the file it was read from
  std::string target;  // neuronx-cc target the NEFFs were compiled for: trn1, trn1n, trn2, inf2, ...
  // Logical NeuronCore size the NEFFs were compiled for (physical cores per
  // logical core, 1 or 2; optional field "lnc", default 1). The adapter runs
  // the runtime with the same NEURON_LOGICAL_NC_CONFIG.
  int lnc = 1;
  std::vector<NeffEntry> entries;

  // The entry for a canonical problem string, or nullptr.
  const NeffEntry* find(const std::string& canonical_problem) const;
};

// Reads and checks a manifest. Errors (kIo when the file cannot be read,
// kBadInput otherwise) name the file and the JSON path of the offending field:
// invalid JSON, an unknown manifest_version, an unknown field, an lnc other
// than 1 or 2, a problem string
// that does not parse, is not canonical or repeats an earlier entry, a kernel
// without NKI kernels (only gemm and attention), and tensors whose count,
// dtype, element count or layout-adjusted shape disagree with the problem's
// input_specs()/output_specs(). NEFF files are not opened (check_neff_file).
Expected<NeffManifest> read_neff_manifest(const std::string& path);

// Ok when the entry's NEFF file exists, is a regular file and can be opened
// for reading; otherwise a kIo error naming the problem, the path and the reason.
Status check_neff_file(const NeffEntry& entry);

// The default manifest, relative to the source tree root.
inline constexpr const char* kDefaultNeffManifest = "src/backends/neuron/nki/manifest.json";

// The exact command that compiles the NEFF for `problem` on a Trainium host
// and adds it to `manifest_path` (run from the source tree root), e.g.
//   python3 src/backends/neuron/nki/compile_neffs.py --manifest src/backends/neuron/nki/manifest.json 'gemm:m=...,dtype=bf16'
// Arguments are single-quoted for a POSIX shell. Only gemm and attention
// problems have NKI kernels; the script refuses others.
std::string compile_command(const Problem& problem, const std::string& manifest_path = kDefaultNeffManifest);

// One tensor as the runtime describes a loaded NEFF (nrt_get_model_tensor_info),
// converted by the caller: `dtype` uses trainbench's names ("fp32", "bf16",
// "fp16"; anything else for other types: nrt::nrt_dtype_name in
// nrt_handles.h), `shape` may be empty when the runtime reports none.
enum class NeffTensorUsage { kInput, kOutput };

struct RuntimeTensorInfo {
  std::string name;
  NeffTensorUsage usage = NeffTensorUsage::kInput;
  std::int64_t size_bytes = 0;
  std::string dtype;
  std::vector<std::int64_t> shape;
};

// Compares the manifest entry with what the runtime reports for its loaded
// NEFF. Tensors are matched by name. Errors (kBadInput: the manifest does not
// describe its NEFF) name the NEFF, the tensor and both values: a tensor
// missing on either side, a different usage (input/output), size in bytes,
// dtype, or shape (when the runtime reports one).
Status check_tensor_info(const NeffEntry& entry, const std::vector<RuntimeTensorInfo>& runtime);

}  // namespace tb
