#include "backends/cuda/nccl_library.h"

#include <dlfcn.h>

#include <cstdlib>
#include <utility>

namespace tb::nccl {
namespace {

std::string last_dl_error() {
  const char* text = dlerror();
  return text != nullptr ? std::string(text) : std::string("unknown dynamic loader error");
}

}  // namespace

std::string format_version(int code) {
  if (code <= 0) return "unknown";
  // NCCL_VERSION(X,Y,Z): X*10000 + Y*100 + Z from 2.9 on, X*1000 + Y*100 + Z before.
  const bool new_encoding = code >= 20900;
  const int major = new_encoding ? code / 10000 : code / 1000;
  const int minor = new_encoding ? (code % 10000) / 100 : (code % 1000) / 100;
  const int patch = code % 100;
  return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
}

NcclLibrary::NcclLibrary(void* handle, std::string path, const NcclApi& api)
    : handle_(handle), path_(std::move(path)), api_(api) {}

NcclLibrary::~NcclLibrary() {
  if (handle_ != nullptr) dlclose(handle_);
}

Expected<std::shared_ptr<NcclLibrary>> NcclLibrary::open(const std::string& path) {
  if (path.empty()) return unavailable("cannot load '': empty NCCL library path");
  dlerror();
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) return unavailable("cannot load '" + path + "': " + last_dl_error());

  NcclApi api;
  std::string first_missing;
  int missing = 0;
#define TB_NCCL_RESOLVE(name, required)                          \
  api.name = reinterpret_cast<name##_fn>(dlsym(handle, #name));  \
  if (api.name == nullptr && (required)) {                       \
    if (missing++ == 0) first_missing = #name;                   \
  }
  TB_NCCL_ENTRY_POINTS(TB_NCCL_RESOLVE)
#undef TB_NCCL_RESOLVE
  dlerror();

  if (missing > 0) {
    dlclose(handle);
    std::string message = "'" + path + "' is not NCCL: symbol " + first_missing + " missing";
    if (missing > 1) message += " (and " + std::to_string(missing - 1) + " more entry points)";
    return unavailable(std::move(message));
  }
  return std::shared_ptr<NcclLibrary>(new NcclLibrary(handle, path, api));
}

std::string NcclLibrary::loaded_from() const {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(api_.ncclGetVersion), &info) != 0 && info.dli_fname != nullptr &&
      info.dli_fname[0] != '\0') {
    return info.dli_fname;
  }
  return path_;
}

int NcclLibrary::version_code() const {
  int code = 0;
  if (api_.ncclGetVersion(&code) != ncclSuccess) return 0;
  return code;
}

std::string NcclLibrary::version() const { return format_version(version_code()); }

std::vector<LibraryCandidate> library_search_order(const std::vector<std::string>& names, const std::string& env_dir) {
  std::vector<LibraryCandidate> out;
  const auto in_dir = [&](const std::string& dir, const std::string& source) {
    for (const std::string& name : names) {
      out.push_back({dir.back() == '/' ? dir + name : dir + "/" + name, source});
    }
  };
  if (!env_dir.empty()) {
    in_dir(env_dir, kLibDirEnvVar);
    return out;
  }
  for (const std::string& name : names) out.push_back({name, "loader search path"});
  for (const char* dir : kToolkitLibDirs) in_dir(dir, "CUDA toolkit");
  return out;
}

Expected<std::shared_ptr<NcclLibrary>> open_library(const std::vector<std::string>& names) {
  const char* env = std::getenv(kLibDirEnvVar);
  const std::vector<LibraryCandidate> candidates = library_search_order(names, env != nullptr ? env : "");
  std::string tried;
  for (const LibraryCandidate& c : candidates) {
    Expected<std::shared_ptr<NcclLibrary>> lib = NcclLibrary::open(c.path);
    if (lib.ok()) return lib;
    if (!tried.empty()) tried += "; ";
    tried += "[" + c.source + "] " + lib.error().message;
  }
  std::string message = "NCCL not found: tried " + tried;
  message += env != nullptr && env[0] != '\0'
                 ? "; " + std::string(kLibDirEnvVar) + " is set, so nothing else was searched"
                 : "; install NCCL (libnccl2) or set " + std::string(kLibDirEnvVar) + " to the directory holding libnccl.so.2";
  return unavailable(std::move(message));
}

const Expected<std::shared_ptr<NcclLibrary>>& default_library() {
  static const Expected<std::shared_ptr<NcclLibrary>> library = open_library();
  return library;
}

Status check(const NcclApi& api, ncclResult_t result, std::string_view call) {
  if (result == ncclSuccess) return {};
  const char* text = api.ncclGetErrorString != nullptr ? api.ncclGetErrorString(result) : nullptr;
  return run_failure(std::string(call) + " failed: " +
                     (text != nullptr ? std::string(text) : "NCCL error " + std::to_string(static_cast<int>(result))));
}

Expected<Communicators> Communicators::init_all(std::shared_ptr<NcclLibrary> library, int devices) {
  if (library == nullptr) return unavailable("NCCL is not loaded");
  if (devices < 1) return bad_input("ncclCommInitAll needs at least one device, got " + std::to_string(devices));
  std::vector<ncclComm_t> comms(static_cast<std::size_t>(devices), nullptr);
  std::vector<int> devlist(static_cast<std::size_t>(devices));
  for (int d = 0; d < devices; ++d) devlist[static_cast<std::size_t>(d)] = d;
  TB_RETURN_IF_ERROR(check(library->api(), library->api().ncclCommInitAll(comms.data(), devices, devlist.data()),
                           "ncclCommInitAll (" + std::to_string(devices) + " devices)"));
  return Communicators(std::move(library), std::move(comms));
}

Communicators& Communicators::operator=(Communicators&& other) noexcept {
  if (this != &other) {
    destroy();
    library_ = std::move(other.library_);
    comms_ = std::move(other.comms_);
    other.comms_.clear();
  }
  return *this;
}

Communicators::~Communicators() { destroy(); }

void Communicators::destroy() {
  if (library_ != nullptr) {
    for (ncclComm_t comm : comms_) {
      if (comm != nullptr) library_->api().ncclCommDestroy(comm);  // nothing to report to in a destructor
    }
  }
  comms_.clear();
}

Status Communicators::async_error() const {
  for (std::size_t r = 0; r < comms_.size(); ++r) {
    ncclResult_t async = ncclSuccess;
    TB_RETURN_IF_ERROR(check(api(), api().ncclCommGetAsyncError(comms_[r], &async), "ncclCommGetAsyncError"));
    if (async != ncclSuccess && async != ncclInProgress) {
      return check(api(), async, "all-reduce on rank " + std::to_string(r) + " (ncclCommGetAsyncError)");
    }
  }
  return {};
}

}  // namespace tb::nccl
