#include "mpi/mpi_world.h"

#include <sched.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>

namespace tb {
namespace {

constexpr int kSpinsBeforeYield = 1000;

std::string format_seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", s);
  return buf;
}

}  // namespace

Expected<std::unique_ptr<MpiWorld>> MpiWorld::init(double timeout_s) {
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (!initialized) {
    int provided = 0;
    if (MPI_Init_thread(nullptr, nullptr, MPI_THREAD_SERIALIZED, &provided) != MPI_SUCCESS) {
      return unavailable("MPI_Init_thread failed: check the MPI installation (mpirun --version)");
    }
  }
  // Errors come back as codes, so that they become messages instead of aborts.
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  return std::unique_ptr<MpiWorld>(new MpiWorld(rank, size, timeout_s));
}

MpiWorld::~MpiWorld() {
  if (!broken_) MPI_Finalize();
}

std::string MpiWorld::library_version() const {
  char text[MPI_MAX_LIBRARY_VERSION_STRING];
  int length = 0;
  MPI_Get_library_version(text, &length);
  std::string v(text, static_cast<std::size_t>(length));
  const auto end = v.find_first_of(",\n");
  return end == std::string::npos ? v : v.substr(0, end);
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
                           format_seconds(timeout_s_) + " s: a rank died or hangs (time-out: --comm-timeout)");
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

void MpiWorld::abort(int code) {
  std::fflush(stdout);
  std::fflush(stderr);
  MPI_Abort(MPI_COMM_WORLD, code);
  std::_Exit(code);
}

}  // namespace tb
