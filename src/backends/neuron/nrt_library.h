// Binding the Neuron runtime (libnrt.so.1) at run time: dlopen, then every
// entry point of TB_NRT_ENTRY_POINTS (nrt_api.h) resolved into one NrtApi
// table. No Neuron SDK is needed to build trainbench; a machine without one
// gets a kUnavailable error naming what was tried.
//
// Error codes (docs/neuron.md):
//   kUnavailable: the library cannot be loaded or is not a Neuron runtime;
//                 nrt_init fails (no device, driver not running).
//   kRunFailure:  any later NRT call fails (check() below).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "backends/neuron/nrt_api.h"
#include "common/error.h"
#include "common/shared_library.h"

namespace tb::nrt {

// The default library name, found through the dynamic loader's search path
// (LD_LIBRARY_PATH, ld.so.cache), and the package's install location tried after it.
inline constexpr const char* kDefaultRuntimeName = "libnrt.so.1";
inline constexpr const char* kDefaultRuntimePath = "/opt/aws/neuron/lib/libnrt.so.1";
// Environment variable naming the runtime library to use instead of the search.
inline constexpr const char* kRuntimeEnvVar = "TRAINBENCH_NEURON_RUNTIME";

// One loaded runtime library. Owns the dlopen handle (common/shared_library.h,
// dlclose in the destructor); the table's pointers are valid while this object
// lives, so everything made through them (NrtRuntime, models, tensors) must be
// destroyed first. Not copyable, not movable (hand it around by unique_ptr).
class NrtLibrary : public BoundLibrary<NrtApi> {
 public:
  // dlopen(path, RTLD_NOW | RTLD_LOCAL), then resolves every entry point.
  // `path` is a file path or a bare soname searched by the loader.
  // Errors (kUnavailable):
  //   "cannot load '<path>': <dlerror text>" ("cannot load '': empty library path")
  //   "'<path>' is not a Neuron runtime: symbol nrt_execute missing"
  //   (the first missing required symbol, with a count of further missing ones).
  static Expected<std::unique_ptr<NrtLibrary>> open(const std::string& path);

  // The file the loader actually mapped (from dladdr on nrt_init), e.g.
  // "/opt/aws/neuron/lib/libnrt.so.1" for a bare soname; path() when unknown.
  std::string loaded_from() const;

 private:
  explicit NrtLibrary(BoundLibrary<NrtApi> bound) : BoundLibrary(std::move(bound)) {}
};

// One place open_default_runtime() tries, and why it is on the list; source:
// "flag", "TRAINBENCH_NEURON_RUNTIME", "loader search path", "default install".
using RuntimeCandidate = LibraryCandidate;

// The places to try, in order. An explicit choice is used alone: a non-empty
// `override_path` (the command-line flag) wins, then a non-empty `env_value`
// (TRAINBENCH_NEURON_RUNTIME); falling back from a named library to another
// would silently measure a different runtime. With neither: "libnrt.so.1"
// through the loader's search path, then /opt/aws/neuron/lib/libnrt.so.1.
std::vector<RuntimeCandidate> runtime_search_order(const std::string& override_path, const std::string& env_value);

// Opens the first candidate of runtime_search_order(override_path,
// getenv(TRAINBENCH_NEURON_RUNTIME)) that is a Neuron runtime (open_first of
// common/shared_library.h). The kUnavailable error names every place tried and
// why each failed: "no usable Neuron runtime: tried [loader search path] ...;
// [default install] ...; install aws-neuronx-runtime-lib or set ..." (the hint
// only when the search was not an explicit choice).
Expected<std::unique_ptr<NrtLibrary>> open_default_runtime(const std::string& override_path);

// Ok for NRT_SUCCESS; otherwise an error "<call> failed: NAME (number)", e.g.
// "nrt_load failed: UNSUPPORTED_NEFF_VERSION (10)". `call` names the entry
// point and, where useful, its subject ("nrt_tensor_allocate (tensor 'a')").
// `code` is kRunFailure except where a failure means "this machine cannot run
// Neuron work" (nrt_init: kUnavailable).
Status check(int status, std::string_view call, ErrorCode code = ErrorCode::kRunFailure);

// "NAME (number)" for a status, e.g. "TIMEOUT (5)", "UNKNOWN (4242)".
std::string describe_status(int status);

}  // namespace tb::nrt
