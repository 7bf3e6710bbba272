#include "backends/neuron/nrt_library.h"

#include <dlfcn.h>

#include <cstdlib>
#include <utility>

namespace tb::nrt {
namespace {

// dlerror() text, or a fallback when the loader gave none.
std::string last_dl_error() {
  const char* text = dlerror();
  return text != nullptr ? std::string(text) : std::string("unknown dynamic loader error");
}

}  // namespace

std::string describe_status(int status) {
  return std::string(status_name(status)) + " (" + std::to_string(status) + ")";
}

Status check(int status, std::string_view call, ErrorCode code) {
  if (status == NRT_SUCCESS) return {};
  return Error{code, std::string(call) + " failed: " + describe_status(status)};
}

NrtLibrary::NrtLibrary(void* handle, std::string path, const NrtApi& api)
    : handle_(handle), path_(std::move(path)), api_(api) {}

NrtLibrary::~NrtLibrary() {
  if (handle_ != nullptr) dlclose(handle_);
}

Expected<std::unique_ptr<NrtLibrary>> NrtLibrary::open(const std::string& path) {
  if (path.empty()) return unavailable("cannot load '': empty Neuron runtime library path");
  dlerror();  // clear any stale error
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) return unavailable("cannot load '" + path + "': " + last_dl_error());

  NrtApi api;
  std::string first_missing;
  int missing = 0;
  // dlsym of a function never yields null for a present symbol, so null means missing.
#define TB_NRT_RESOLVE(name, ret, params, required)                          \
  api.name = reinterpret_cast<name##_fn>(dlsym(handle, #name));              \
  if (api.name == nullptr && (required)) {                                   \
    if (missing++ == 0) first_missing = #name;                               \
  }
  TB_NRT_ENTRY_POINTS(TB_NRT_RESOLVE)
#undef TB_NRT_RESOLVE
  dlerror();  // dlsym failures of optional symbols leave an error behind

  if (missing == 0 && api.nrt_get_visible_vnc_count == nullptr && api.nrt_get_visible_nc_count == nullptr) {
    first_missing = "nrt_get_visible_vnc_count (or nrt_get_visible_nc_count)";
    missing = 1;
  }
  if (missing > 0) {
    dlclose(handle);
    std::string message = "'" + path + "' is not a Neuron runtime: symbol " + first_missing + " missing";
    if (missing > 1) message += " (and " + std::to_string(missing - 1) + " more entry points)";
    return unavailable(std::move(message));
  }
  return std::unique_ptr<NrtLibrary>(new NrtLibrary(handle, path, api));
}

std::string NrtLibrary::loaded_from() const {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(api_.nrt_init), &info) != 0 && info.dli_fname != nullptr &&
      info.dli_fname[0] != '\0') {
    return info.dli_fname;
  }
  return path_;
}

std::vector<RuntimeCandidate> runtime_search_order(const std::string& override_path, const std::string& env_value) {
  if (!override_path.empty()) return {{override_path, "flag"}};
  if (!env_value.empty()) return {{env_value, kRuntimeEnvVar}};
  return {{kDefaultRuntimeName, "loader search path"}, {kDefaultRuntimePath, "default install"}};
}

Expected<std::unique_ptr<NrtLibrary>> open_default_runtime(const std::string& override_path) {
  const char* env = std::getenv(kRuntimeEnvVar);
  const std::vector<RuntimeCandidate> candidates = runtime_search_order(override_path, env != nullptr ? env : "");
  std::string tried;
  for (const RuntimeCandidate& c : candidates) {
    Expected<std::unique_ptr<NrtLibrary>> lib = NrtLibrary::open(c.path);
    if (lib.ok()) return lib;
    if (!tried.empty()) tried += "; ";
    tried += "[" + c.source + "] " + lib.error().message;
  }
  std::string message = "no usable Neuron runtime: tried " + tried;
  if (candidates.size() > 1) {
    message += "; install aws-neuronx-runtime-lib or set " + std::string(kRuntimeEnvVar) +
               " to the path of libnrt.so.1";
  }
  return unavailable(std::move(message));
}

}  // namespace tb::nrt
