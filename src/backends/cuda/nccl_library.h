// Binding NCCL (libnccl.so.2) at run time: dlopen, then every entry point of
// TB_NCCL_ENTRY_POINTS (nccl_api.h) resolved into one NcclApi table, and the
// communicators made through it. trainbench links no NCCL: a machine without
// it reports NCCL all-reduce as unsupported, naming every place searched.
//
// Error codes:
//   kUnavailable: no candidate loads, or what loads is not NCCL.
//   kRunFailure:  any NCCL call fails (check() below).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "backends/cuda/cuda_library_search.h"
#include "backends/cuda/nccl_api.h"
#include "common/error.h"
#include "common/shared_library.h"

namespace tb::nccl {

// The library names tried in every place, in order: the runtime soname, then
// the development link (a toolkit without the .so.2 link still has it).
inline const std::vector<std::string>& default_library_names() {
  static const std::vector<std::string> names = {"libnccl.so.2", "libnccl.so"};
  return names;
}
// One loaded NCCL. Owns the dlopen handle (common/shared_library.h, dlclose
// in the destructor); the table's pointers are valid while it lives, so
// communicators made through it must be destroyed first (Communicators holds a
// shared_ptr to it).
class NcclLibrary : public BoundLibrary<NcclApi> {
 public:
  // dlopen(path, RTLD_NOW | RTLD_LOCAL), then resolves every entry point.
  // `path` is a file path or a bare soname searched by the loader. Errors
  // (kUnavailable): "cannot load '<path>': <dlerror text>", "'<path>' is not
  // NCCL: symbol ncclAllReduce missing (and 2 more entry points)".
  static Expected<std::shared_ptr<NcclLibrary>> open(const std::string& path);

  // The file the loader mapped (dladdr on ncclGetVersion); path() when unknown.
  std::string loaded_from() const;
  // ncclGetVersion's code (22809 for 2.28.9), 0 if the call failed.
  int version_code() const;
  // "2.28.9", or "unknown" if ncclGetVersion failed.
  std::string version() const;

 private:
  explicit NcclLibrary(BoundLibrary<NcclApi> bound) : BoundLibrary(std::move(bound)) {}
};

// "2.28.9" for 22809 (2.9 and later), "2.8.4" for 2804 (older encoding).
std::string format_version(int code);

// Opens the first of cuda_library_candidates(names) (cuda_library_search.h;
// TRAINBENCH_CUDA_LIB_DIR, when set, is used alone) that is NCCL (open_first of
// common/shared_library.h). The kUnavailable error, "no usable NCCL: tried
// [<source>] <why>; ...; <what to do>", names every place tried and why each
// failed. `names` is injectable for tests.
Expected<std::shared_ptr<NcclLibrary>> open_library(const std::vector<std::string>& names = default_library_names());

// The process's NCCL: open_library() once, on first use; the same result
// (library or error) afterwards.
const Expected<std::shared_ptr<NcclLibrary>>& default_library();

// Ok for ncclSuccess; otherwise kRunFailure "<call> failed: <ncclGetErrorString>"
// (e.g. "ncclCommInitAll failed: unhandled cuda error (run with NCCL_DEBUG=INFO for details)").
Status check(const NcclApi& api, ncclResult_t result, std::string_view call);

// One communicator per device of this process (ncclCommInitAll), destroyed
// together (ncclCommDestroy) in the destructor. Move-only. Keeps the library
// loaded while it lives.
class Communicators {
 public:
  // Communicators for devices 0 .. devices-1, rank r on device r.
  static Expected<Communicators> init_all(std::shared_ptr<NcclLibrary> library, int devices);
  // This process's one communicator as rank `rank` of `nranks` processes
  // (ncclCommInitRank), on the current CUDA device; `id` is rank 0's
  // ncclGetUniqueId, the same on every rank. Blocks until every rank joined.
  static Expected<Communicators> init_rank(std::shared_ptr<NcclLibrary> library, int nranks, int rank,
                                           const ncclUniqueId& id);

  Communicators(Communicators&&) noexcept = default;
  Communicators& operator=(Communicators&&) noexcept;
  Communicators(const Communicators&) = delete;
  Communicators& operator=(const Communicators&) = delete;
  ~Communicators();

  int size() const { return static_cast<int>(comms_.size()); }
  ncclComm_t operator[](int rank) const { return comms_[static_cast<std::size_t>(rank)]; }
  const NcclApi& api() const { return library_->api(); }
  const NcclLibrary& library() const { return *library_; }

  // Ok, or the first rank's asynchronous error (ncclCommGetAsyncError), e.g.
  // after a peer failed inside a collective.
  Status async_error() const;

 private:
  Communicators(std::shared_ptr<NcclLibrary> library, std::vector<ncclComm_t> comms, int first_rank = 0)
      : library_(std::move(library)), comms_(std::move(comms)), first_rank_(first_rank) {}
  void destroy();

  std::shared_ptr<NcclLibrary> library_;
  std::vector<ncclComm_t> comms_;
  int first_rank_ = 0;  // the NCCL rank of comms_[0] (init_rank: this process's rank), for messages
};

}  // namespace tb::nccl
