#include "backends/neuron/nrt_library.h"

#include <cstdlib>
#include <utility>

namespace tb::nrt {

std::string describe_status(int status) {
  return std::string(status_name(status)) + " (" + std::to_string(status) + ")";
}

Status check(int status, std::string_view call, ErrorCode code) {
  if (status == NRT_SUCCESS) return {};
  return Error{code, std::string(call) + " failed: " + describe_status(status)};
}

namespace {

void resolve_nrt(SymbolResolver& resolver, NrtApi& api) {
#define TB_NRT_RESOLVE(name, ret, params, required) resolver.resolve(api.name, #name, required);
  TB_NRT_ENTRY_POINTS(TB_NRT_RESOLVE)
#undef TB_NRT_RESOLVE
  // Either name of the visible-core count will do (older runtimes have only the second).
  if (resolver.missing() == 0 && api.nrt_get_visible_vnc_count == nullptr && api.nrt_get_visible_nc_count == nullptr) {
    resolver.note_missing("nrt_get_visible_vnc_count (or nrt_get_visible_nc_count)");
  }
}

}  // namespace

Expected<std::unique_ptr<NrtLibrary>> NrtLibrary::open(const std::string& path) {
  TB_ASSIGN_OR_RETURN(BoundLibrary<NrtApi> bound,
                      BoundLibrary<NrtApi>::open(path, SharedLibrary::kDefaultFlags, "a Neuron runtime", resolve_nrt));
  return std::unique_ptr<NrtLibrary>(new NrtLibrary(std::move(bound)));
}

std::string NrtLibrary::loaded_from() const { return file_of(api().nrt_init); }

std::vector<RuntimeCandidate> runtime_search_order(const std::string& override_path, const std::string& env_value) {
  if (!override_path.empty()) return {{override_path, "flag"}};
  if (!env_value.empty()) return {{env_value, kRuntimeEnvVar}};
  return {{kDefaultRuntimeName, "loader search path"}, {kDefaultRuntimePath, "default install"}};
}

Expected<std::unique_ptr<NrtLibrary>> open_default_runtime(const std::string& override_path) {
  const char* env = std::getenv(kRuntimeEnvVar);
  const std::vector<RuntimeCandidate> candidates = runtime_search_order(override_path, env != nullptr ? env : "");
  // An explicit choice is reported alone; the default search says how to get a runtime.
  const std::string hint = candidates.size() > 1 ? "install aws-neuronx-runtime-lib or set " +
                                                       std::string(kRuntimeEnvVar) + " to the path of libnrt.so.1"
                                                 : "";
  return open_first(candidates, NrtLibrary::open, "Neuron runtime", hint);
}

}  // namespace tb::nrt
