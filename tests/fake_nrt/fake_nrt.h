// The fake Neuron runtime's test-facing side: the fake NEFF format it loads
// (written by tests, parsed by the fake), and its leak/misuse counters.
// Header-only so that tests need no extra library.
//
// The fake runtime (fake_nrt.cpp, built as libfake_nrt.so) exports the
// documented libnrt entry points, as its own declarations say (nrt_c_api.h,
// not the adapter's nrt_api.h), and runs kernels on the CPU with our reference
// code. Environment variables (read at nrt_init, and by the calls nrt.h
// allows before it, nrt_get_version, the core counts and
// nrt_get_instance_info, when called before it):
//   FAKE_NRT_FAIL=<call>[:<status>][@<n>][,...]
//       make entry point nrt_<call> return <status> (default 1, FAILURE)
//       from its n-th call after nrt_init on (default: the first). <call> is
//       the entry point name with or without "nrt_": init, get_version,
//       get_total_nc_count, get_visible_nc_count, get_total_vnc_count,
//       get_visible_vnc_count, load, load_collectives, unload,
//       tensor_allocate, tensor_write, tensor_read, allocate_tensor_set,
//       add_tensor_to_tensor_set, execute, execute_repeat,
//       get_model_tensor_info, free_model_tensor_info.
//       Examples: "init", "load:10", "tensor_allocate:4@2", "execute:1003".
//       An injected failure of nrt_unload / nrt_free_model_tensor_info still
//       releases the object (a caller cannot do anything else about it).
//   FAKE_NRT_NOOP=1     nrt_execute returns SUCCESS at once, touching nothing
//                       (measures the adapter's own overhead per call).
//   FAKE_NRT_STRICT=1   nrt_close with models, tensors, tensor sets or tensor
//                       infos still alive aborts (after printing them).
//                       Without it they are printed to stderr and counted.
//   FAKE_NRT_NC_COUNT=<n>  physical NeuronCores (default 2); the counts report
//                       n / LNC logical cores, LNC being NEURON_LOGICAL_NC_CONFIG
//                       (1 or 2; default 1) as the real runtime reads it.
//   FAKE_NRT_INSTANCE=<family>:<size>  the codes nrt_get_instance_info reports
//                       (default 2:6, trn1.32xlarge); "fail": it returns FAILURE.
// Counts, nrt_get_version and nrt_get_instance_info may be called before
// nrt_init, as nrt.h documents.
// Every failure the fake returns is explained on stderr, prefixed "fake_nrt: ".
#pragma once

#include <cstdint>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace fakenrt {

// The fake NEFF: a text file, exactly
//   FAKE-NEFF 1
//   kernel <canonical problem string>
//   input <name> <fp32|bf16|fp16> <dim0,dim1,...> [transposed]    one line per input, input_specs() order
//   output <name> <fp32|bf16|fp16> <dim0,dim1,...> [transposed]   one line per output, output_specs() order
// Lines end with '\n'. The i-th input line stands for the kernel's i-th input
// spec, under any name (a real NKI NEFF names inputs after the kernel's
// arguments and outputs output_0, output_1, ...); "transposed" stores the
// spec's last two dimensions swapped, as NKI kernels take some operands, and
// the fake swaps them back to run the reference. nrt_load rejects other text
// with INVALID (2), another version number ("FAKE-NEFF 2") with
// UNSUPPORTED_NEFF_VERSION (10), and tensors that disagree with the kernel's
// (count, dtypes, shapes in their layout) or repeat a name with INVALID.
// Kernels: gemm, attention (every pass).
inline constexpr std::string_view kMagic = "FAKE-NEFF";
inline constexpr int kVersion = 1;

struct FakeTensor {
  bool input = true;
  std::string name;
  std::string dtype;  // "fp32", "bf16", "fp16"
  std::vector<std::int64_t> shape;  // as stored: the spec's, last two swapped when transposed
  bool transposed = false;
};

struct FakeNeff {
  std::string kernel;  // the problem string
  std::vector<FakeTensor> tensors;
};

inline std::string to_text(const FakeNeff& neff) {
  std::string s = std::string(kMagic) + " " + std::to_string(kVersion) + "\n";
  s += "kernel " + neff.kernel + "\n";
  for (const FakeTensor& t : neff.tensors) {
    s += (t.input ? "input " : "output ") + t.name + " " + t.dtype + " ";
    for (std::size_t i = 0; i < t.shape.size(); ++i) s += (i ? "," : "") + std::to_string(t.shape[i]);
    s += t.transposed ? " transposed\n" : "\n";
  }
  return s;
}

// Parses the text into `out`. Returns "" on success, else what is wrong.
// `version` receives the number after the magic (-1 when there is none).
inline std::string parse(std::string_view text, FakeNeff& out, int& version) {
  std::istringstream in{std::string(text)};
  std::string line;
  version = -1;
  if (!std::getline(in, line)) return "empty file";
  std::istringstream head(line);
  std::string magic;
  head >> magic >> version;
  if (magic != kMagic || head.fail() || !(head >> std::ws).eof()) {
    version = -1;
    return "first line is not '" + std::string(kMagic) + " <version>'";
  }
  if (version != kVersion) {
    return "version " + std::to_string(version) + " (this fake reads " + std::to_string(kVersion) + ")";
  }
  if (!std::getline(in, line) || line.rfind("kernel ", 0) != 0 || line.size() <= 7) {
    return "second line is not 'kernel <problem>'";
  }
  out.kernel = line.substr(7);
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string kind, dims, layout, extra;
    FakeTensor t;
    fields >> kind >> t.name >> t.dtype >> dims;
    if (fields >> layout) t.transposed = layout == "transposed";
    if (fields.fail() != layout.empty() || (fields >> extra) || (kind != "input" && kind != "output") ||
        (!layout.empty() && !t.transposed)) {
      return "bad tensor line '" + line + "'";
    }
    t.input = kind == "input";
    std::istringstream dim_in(dims);
    std::string dim;
    while (std::getline(dim_in, dim, ',')) {
      if (dim.empty() || dim.find_first_not_of("0123456789") != std::string::npos || dim.size() > 12) {
        return "bad dimension '" + dim + "' in '" + line + "'";
      }
      t.shape.push_back(std::stoll(dim));
    }
    out.tensors.push_back(std::move(t));
  }
  return "";
}

// Objects alive in the fake and mistakes it saw, since the library was loaded
// (nrt_init resets leaked_at_close, misuse and executions). Read through the exported
// C function `fake_nrt_get_stats` (dlsym kStatsSymbol; type FakeNrtStatsFn).
struct FakeNrtStats {
  std::int64_t models = 0, tensors = 0, tensor_sets = 0, tensor_infos = 0;  // alive now
  std::int64_t leaked_at_close = 0;  // objects alive at the last nrt_close
  std::int64_t misuse = 0;           // calls with unknown handles, before nrt_init, after nrt_close
  std::int64_t executions = 0;       // successful nrt_execute calls since nrt_init
  bool initialized = false;          // between nrt_init and nrt_close
};
inline constexpr const char* kStatsSymbol = "fake_nrt_get_stats";
using FakeNrtStatsFn = void (*)(FakeNrtStats*);

}  // namespace fakenrt
