// transport=threads: rank 0 runs on the calling thread, ranks 1..n-1 on
// threads that live as long as the workload and wait on a doorbell between
// runs. run() returns when every rank has finished: its time is the slowest
// rank's.
#include <cstdio>
#include <thread>

#include "backends/cpu/allreduce/cpu_allreduce.h"
#include "backends/cpu/allreduce/rank_buffers.h"
#include "backends/cpu/allreduce/threads_transport.h"
#include "backends/host_timer.h"
#include "common/host_info.h"

namespace tb {
namespace {

constexpr int kSpinsWhenCpusSuffice = 4000;

class ThreadsAllreduce final : public Workload {
 public:
  ThreadsAllreduce(const AllreduceProblem& p, const std::vector<HostTensor>& inputs, double timeout_s)
      : problem_(p),
        ring_(p.ranks(), timeout_s, p.ranks() <= logical_cpu_count() ? kSpinsWhenCpusSuffice : 0),
        status_(static_cast<std::size_t>(p.ranks())),
        done_(static_cast<std::size_t>(p.ranks())) {
    const std::vector<TensorSpec> outputs = p.output_specs();
    for (int r = 0; r < p.ranks(); ++r) {
      buffers_.emplace_back(inputs[static_cast<std::size_t>(r)], outputs[static_cast<std::size_t>(r)], p.in_place(),
                            kThreadsChunkBytes);
      transports_.emplace_back(std::make_unique<ThreadsTransport>(ring_, r));
    }
    for (int r = 1; r < p.ranks(); ++r) workers_.emplace_back([this, r] { worker(r); });
  }

  ~ThreadsAllreduce() override {
    stopping_.store(true);
    start_.post(generation_ + 1);
    for (std::thread& t : workers_) t.join();
  }

  Status run() override {
    if (broken_) return run_failure("all-reduce threads are stopped after an earlier error: " + first_error_);
    ++generation_;
    start_.post(generation_);
    status_[0] = run_rank(0);
    // Every rank ends within its exchange time-outs; the margin covers the rest.
    const auto deadline = Doorbell::Clock::now() +
                          std::chrono::duration_cast<Doorbell::Clock::duration>(ring_.timeout() * 2.0 + std::chrono::seconds(1));
    for (int r = 1; r < problem_.ranks(); ++r) {
      if (!done_[static_cast<std::size_t>(r)].wait_for(generation_, deadline, ring_.spins())) {
        // The rank's thread still owns its status_ entry: report without touching it.
        broken_ = true;
        first_error_ = "rank " + std::to_string(r) + " did not finish its all-reduce";
        return run_failure(first_error_);
      }
    }
    for (const Status& s : status_) {
      if (!s) {
        broken_ = true;
        first_error_ = s.error().message;
        return s;
      }
    }
    return {};
  }

  Status synchronize() override { return {}; }  // run() returns when every rank is done

  Status poison_outputs() override {
    for (RankBuffers& b : buffers_) b.poison();
    return {};
  }

  Expected<std::vector<HostTensor>> read_outputs() override {
    std::vector<HostTensor> out;
    for (const RankBuffers& b : buffers_) out.push_back(b.read());
    return out;
  }

  std::unique_ptr<DeviceTimer> make_timer() override { return std::make_unique<HostTimer>(); }

  std::string implementation() const override {
    return "trainbench ring over threads (shared memory, one copy per hop), " +
           std::to_string(kThreadsChunkBytes >> 10) + " KiB chunks, " + std::to_string(RingTransport::kSlots) +
           " in flight";
  }

 private:
  Status run_rank(int r) {
    return ring_allreduce(*transports_[static_cast<std::size_t>(r)], buffers_[static_cast<std::size_t>(r)].ring(),
                          problem_.count(), problem_.dtype(), problem_.op(), kThreadsChunkBytes);
  }

  void worker(int r) {
    for (std::uint32_t seen = 0;;) {
      // Idle between runs: wait without a time-out (the destructor rings to stop).
      while (!start_.wait_for(seen + 1, Doorbell::Clock::now() + std::chrono::hours(24), ring_.spins())) {
      }
      if (stopping_.load()) return;
      ++seen;
      status_[static_cast<std::size_t>(r)] = run_rank(r);
      done_[static_cast<std::size_t>(r)].post(seen);
    }
  }

  const AllreduceProblem problem_;  // a copy: the workload may outlive the caller's pointer
  ThreadRing ring_;
  std::vector<RankBuffers> buffers_;
  std::vector<std::unique_ptr<ThreadsTransport>> transports_;
  std::vector<Status> status_;  // per rank, written by its thread before done_ is posted
  std::vector<Doorbell> done_;  // per rank: the generation it finished
  Doorbell start_;              // the generation to run
  std::uint32_t generation_ = 0;
  std::atomic<bool> stopping_{false};
  bool broken_ = false;
  std::string first_error_;
  std::vector<std::thread> workers_;  // last: joined before the state above is destroyed
};

}  // namespace

Expected<std::unique_ptr<Workload>> make_threads_allreduce(const AllreduceProblem& p,
                                                           const std::vector<HostTensor>& inputs, double timeout_s) {
  if (inputs.size() != static_cast<std::size_t>(p.ranks())) {
    return run_failure("threads all-reduce: expected " + std::to_string(p.ranks()) + " inputs, got " +
                       std::to_string(inputs.size()));
  }
  return std::unique_ptr<Workload>(std::make_unique<ThreadsAllreduce>(p, inputs, timeout_s));
}

}  // namespace tb
