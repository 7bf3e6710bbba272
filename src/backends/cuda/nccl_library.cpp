#include "backends/cuda/nccl_library.h"

#include <utility>

namespace tb::nccl {

std::string format_version(int code) {
  if (code <= 0) return "unknown";
  // NCCL_VERSION(X,Y,Z): X*10000 + Y*100 + Z from 2.9 on, X*1000 + Y*100 + Z before.
  const bool new_encoding = code >= 20900;
  const int major = new_encoding ? code / 10000 : code / 1000;
  const int minor = new_encoding ? (code % 10000) / 100 : (code % 1000) / 100;
  const int patch = code % 100;
  return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
}

namespace {

void resolve_nccl(SymbolResolver& resolver, NcclApi& api) {
#define TB_NCCL_RESOLVE(name, required) resolver.resolve(api.name, #name, required);
  TB_NCCL_ENTRY_POINTS(TB_NCCL_RESOLVE)
#undef TB_NCCL_RESOLVE
}

}  // namespace

Expected<std::shared_ptr<NcclLibrary>> NcclLibrary::open(const std::string& path) {
  TB_ASSIGN_OR_RETURN(BoundLibrary<NcclApi> bound,
                      BoundLibrary<NcclApi>::open(path, SharedLibrary::kDefaultFlags, "NCCL", resolve_nccl));
  return std::shared_ptr<NcclLibrary>(new NcclLibrary(std::move(bound)));
}

std::string NcclLibrary::loaded_from() const { return file_of(api().ncclGetVersion); }

int NcclLibrary::version_code() const {
  int code = 0;
  if (api().ncclGetVersion(&code) != ncclSuccess) return 0;
  return code;
}

std::string NcclLibrary::version() const { return format_version(version_code()); }

Expected<std::shared_ptr<NcclLibrary>> open_library(const std::vector<std::string>& names) {
  return open_first(cuda::cuda_library_candidates(names), NcclLibrary::open, "NCCL",
                    cuda::cuda_library_hint("NCCL (libnccl2)", "libnccl.so.2"));
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

Expected<Communicators> Communicators::init_rank(std::shared_ptr<NcclLibrary> library, int nranks, int rank,
                                                 const ncclUniqueId& id) {
  if (library == nullptr) return unavailable("NCCL is not loaded");
  if (nranks < 1 || rank < 0 || rank >= nranks) {
    return bad_input("ncclCommInitRank needs 0 <= rank < nranks, got rank " + std::to_string(rank) + " of " +
                     std::to_string(nranks));
  }
  ncclComm_t comm = nullptr;
  TB_RETURN_IF_ERROR(check(library->api(), library->api().ncclCommInitRank(&comm, nranks, id, rank),
                           "ncclCommInitRank (rank " + std::to_string(rank) + " of " + std::to_string(nranks) + ")"));
  return Communicators(std::move(library), {comm}, rank);
}

Communicators& Communicators::operator=(Communicators&& other) noexcept {
  if (this != &other) {
    destroy();
    library_ = std::move(other.library_);
    comms_ = std::move(other.comms_);
    other.comms_.clear();
    first_rank_ = other.first_rank_;
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
      const int rank = first_rank_ + static_cast<int>(r);
      return check(api(), async, "all-reduce on rank " + std::to_string(rank) + " (ncclCommGetAsyncError)");
    }
  }
  return {};
}

}  // namespace tb::nccl
