#include "mpi/mpi_world.h"

#include "common/format.h"

#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <thread>

namespace tb {
namespace {

constexpr int kSpinsBeforeYield = 1000;

// Blocking MPI calls (MPI_Init_thread, MPI_Allreduce, MPI_Finalize) have no
// time-out: when a peer hangs (stopped, livelocked, stuck in I/O) they never
// return, and mpirun, which only notices ranks that exit, waits forever. The
// watchdog ends this process when such a call has not returned within the
// group's time-out: it prints why and exits with status 1 (no MPI call from
// this thread: MPI runs MPI_THREAD_SERIALIZED), and mpirun then ends the job.
class Watchdog {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr Clock::duration kSlice = std::chrono::milliseconds(50);

  static Watchdog& instance() {
    static Watchdog watchdog;
    return watchdog;
  }

  // rank < 0: not known yet (before MPI_Init). timeout_s <= 0: never fires.
  void configure(int rank, double timeout_s) {
    std::lock_guard<std::mutex> lock(mutex_);
    rank_ = rank;
    timeout_s_ = timeout_s;
  }

  // Nested calls (an MPI call made inside another) keep the outermost one's time.
  void arm(const char* what) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (depth_++ > 0 || !(timeout_s_ > 0.0)) return;
    what_ = what;
    ++generation_;
    if (!thread_.joinable()) thread_ = std::thread([this] { watch(); });
    changed_.notify_one();
  }

  void disarm() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (depth_ > 0 && --depth_ == 0) changed_.notify_one();
  }

  ~Watchdog() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
      changed_.notify_one();
    }
    if (thread_.joinable()) thread_.join();
  }

 private:
  Watchdog() = default;

  void watch() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (!stopping_) {
      if (depth_ == 0) {
        changed_.wait(lock);
        continue;
      }
      // Time is counted in slices, and a gap much longer than a slice (this
      // process was stopped, or not scheduled) counts as one slice: a rank
      // that was itself stopped and is resumed does not blame the others.
      const std::uint64_t generation = generation_;
      const auto limit = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(timeout_s_));
      const auto unchanged = [&] { return !stopping_ && depth_ > 0 && generation_ == generation; };
      Clock::duration observed{};
      Clock::time_point last = Clock::now();
      while (unchanged() && observed < limit) {
        changed_.wait_for(lock, std::min<Clock::duration>(kSlice, limit - observed), [&] { return !unchanged(); });
        const Clock::time_point now = Clock::now();
        observed += std::min<Clock::duration>(now - last, 4 * kSlice);
        last = now;
      }
      if (!unchanged()) continue;
      const std::string who = rank_ >= 0 ? "rank " + std::to_string(rank_) + ": " : std::string();
      std::fprintf(stderr,
                   "trainbench: error: %s%s did not return within %s s: a rank died or hangs (time-out: "
                   "--comm-timeout)\n",
                   who.c_str(), what_, format_g(timeout_s_).c_str());
      std::fflush(stderr);
      ::_exit(1);
    }
  }

  std::mutex mutex_;
  std::condition_variable changed_;
  int depth_ = 0;
  std::uint64_t generation_ = 0;
  const char* what_ = "";
  int rank_ = -1;
  double timeout_s_ = 0.0;
  bool stopping_ = false;
  std::thread thread_;  // started by the first arm()
};

// Arms the watchdog for the lifetime of one blocking MPI call.
class Guarded {
 public:
  explicit Guarded(const char* what) { Watchdog::instance().arm(what); }
  ~Guarded() { Watchdog::instance().disarm(); }
  Guarded(const Guarded&) = delete;
  Guarded& operator=(const Guarded&) = delete;
};

}  // namespace

Expected<std::unique_ptr<MpiWorld>> MpiWorld::init(double timeout_s) {
  int initialized = 0;
  MPI_Initialized(&initialized);
  Watchdog::instance().configure(-1, timeout_s);
  if (!initialized) {
    int provided = 0;
    Guarded guard("MPI_Init_thread");  // it waits for every rank to start
    if (MPI_Init_thread(nullptr, nullptr, MPI_THREAD_SERIALIZED, &provided) != MPI_SUCCESS) {
      return unavailable("MPI_Init_thread failed: check the MPI installation (mpirun --version)");
    }
  }
  // Errors come back as codes, so that they become messages instead of aborts.
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  Watchdog::instance().configure(rank, timeout_s);
  // The ranks sharing this node's memory: the node-local rank picks a GPU.
  MPI_Comm node = MPI_COMM_NULL;
  int split = MPI_SUCCESS;
  {
    Guarded guard("MPI_Comm_split_type");  // collective: it waits for every rank
    split = MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL, &node);
  }
  if (split != MPI_SUCCESS) {
    return unavailable("rank " + std::to_string(rank) + ": MPI_Comm_split_type(MPI_COMM_TYPE_SHARED) failed");
  }
  int local_rank = 0, local_ranks = 1;
  MPI_Comm_rank(node, &local_rank);
  MPI_Comm_size(node, &local_ranks);
  MPI_Comm_free(&node);
  return std::unique_ptr<MpiWorld>(new MpiWorld(rank, size, local_rank, local_ranks, timeout_s));
}

MpiWorld::~MpiWorld() {
  if (broken_) return;
  Guarded guard("MPI_Finalize");  // it waits for every rank to finalize
  MPI_Finalize();
}

std::string MpiWorld::library_version() const {
  char text[MPI_MAX_LIBRARY_VERSION_STRING];
  int length = 0;
  MPI_Get_library_version(text, &length);
  std::string v(text, static_cast<std::size_t>(length));
  const auto end = v.find_first_of(",\n");
  return end == std::string::npos ? v : v.substr(0, end);
}

std::string MpiWorld::node_name() const {
  char name[MPI_MAX_PROCESSOR_NAME];
  int length = 0;
  if (MPI_Get_processor_name(name, &length) != MPI_SUCCESS) return "this node";
  return std::string(name, static_cast<std::size_t>(length));
}

std::string MpiWorld::description() const {
  return "MPI: " + std::to_string(size_) + " process" + (size_ == 1 ? "" : "es") + " (" + library_version() + ")";
}

Status MpiWorld::check(int mpi_error, const std::string& what) {
  if (mpi_error == MPI_SUCCESS) return {};
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(mpi_error, text, &length);
  broken_ = true;
  return run_failure("rank " + std::to_string(rank_) + ": " + what + " failed: " +
                     std::string(text, static_cast<std::size_t>(length)));
}

Status MpiWorld::wait_all(MPI_Request* requests, int count, const std::string& what) {
  if (broken_) return run_failure("rank " + std::to_string(rank_) + ": " + what + ": the MPI group is broken by an earlier error");
  using Clock = std::chrono::steady_clock;
  const Clock::time_point deadline =
      Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(timeout_s_));
  for (int spin = 0;; ++spin) {
    int done = 0;
    TB_RETURN_IF_ERROR(check(MPI_Testall(count, requests, &done, MPI_STATUSES_IGNORE), what));
    if (done) return {};
    if (spin >= kSpinsBeforeYield) {
      if (Clock::now() > deadline) {
        broken_ = true;
        return run_failure("rank " + std::to_string(rank_) + ": " + what + " made no progress for " +
                           format_g(timeout_s_) + " s: a rank died or hangs (time-out: --comm-timeout)");
      }
      sched_yield();
    }
  }
}

Status MpiWorld::barrier() {
  MPI_Request request;
  TB_RETURN_IF_ERROR(check(MPI_Ibarrier(MPI_COMM_WORLD, &request), "barrier"));
  return wait_all(&request, 1, "barrier");
}

Expected<double> MpiWorld::max(double value) {
  double result = 0.0;
  MPI_Request request;
  TB_RETURN_IF_ERROR(check(MPI_Iallreduce(&value, &result, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD, &request),
                           "max across ranks"));
  TB_RETURN_IF_ERROR(wait_all(&request, 1, "max across ranks"));
  return result;
}

Expected<std::int64_t> MpiWorld::sum(std::int64_t value) {
  std::int64_t result = 0;
  MPI_Request request;
  TB_RETURN_IF_ERROR(check(MPI_Iallreduce(&value, &result, 1, MPI_INT64_T, MPI_SUM, MPI_COMM_WORLD, &request),
                           "sum across ranks"));
  TB_RETURN_IF_ERROR(wait_all(&request, 1, "sum across ranks"));
  return result;
}

Expected<bool> MpiWorld::all(bool value) {
  int mine = value ? 1 : 0, result = 0;
  MPI_Request request;
  TB_RETURN_IF_ERROR(check(MPI_Iallreduce(&mine, &result, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD, &request),
                           "agreement across ranks"));
  TB_RETURN_IF_ERROR(wait_all(&request, 1, "agreement across ranks"));
  return result == 1;
}

Status MpiWorld::broadcast(std::span<std::byte> bytes, int root) {
  if (root < 0 || root >= size_) {
    return bad_input("broadcast from rank " + std::to_string(root) + ": the world has ranks 0 to " +
                     std::to_string(size_ - 1));
  }
  if (bytes.size() > static_cast<std::size_t>(INT_MAX)) {
    return bad_input("broadcast of " + std::to_string(bytes.size()) + " B: MPI counts stop at " +
                     std::to_string(INT_MAX));
  }
  const std::string what = "broadcast from rank " + std::to_string(root);
  MPI_Request request;
  TB_RETURN_IF_ERROR(check(MPI_Ibcast(bytes.data(), static_cast<int>(bytes.size()), MPI_BYTE, root, MPI_COMM_WORLD,
                                      &request),
                           what));
  return wait_all(&request, 1, what);
}

Status MpiWorld::blocking_call(const char* what, const std::function<int()>& call) {
  if (broken_) return run_failure("rank " + std::to_string(rank_) + ": " + what + ": the MPI group is broken by an earlier error");
  int result = MPI_SUCCESS;
  {
    Guarded guard(what);
    result = call();
  }
  return check(result, what);
}

void MpiWorld::abort(int code) {
  std::fflush(stdout);
  std::fflush(stderr);
  MPI_Abort(MPI_COMM_WORLD, code);
  std::_Exit(code);
}

}  // namespace tb
