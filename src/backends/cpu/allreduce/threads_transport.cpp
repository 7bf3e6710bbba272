#include "backends/cpu/allreduce/threads_transport.h"

#include <cstdio>
#include <cstring>
#include <string>

namespace tb {

ThreadRing::ThreadRing(int ranks, double timeout_s, int spins)
    : ranks_(ranks),
      timeout_(timeout_s),
      spins_(spins),
      mailboxes_(static_cast<std::size_t>(ranks * RingTransport::kSlots)) {}

Status ThreadsTransport::start(int slot, std::span<const std::byte> send, std::span<std::byte> recv) {
  ThreadRing::Mailbox& mine = ring_.mailbox(rank_, slot);
  mine.data = send.data();
  mine.bytes = send.size();
  recv_[slot] = recv;
  mine.posted.post(++sequence_[slot]);  // publishes data and bytes
  return {};
}

Status ThreadsTransport::wait(int slot) {
  const std::uint32_t sequence = sequence_[slot];
  const int prev = (rank_ + ranks() - 1) % ranks();
  const int next = (rank_ + 1) % ranks();
  const auto deadline = Doorbell::Clock::now() + std::chrono::duration_cast<Doorbell::Clock::duration>(ring_.timeout());
  const auto timed_out = [&](const std::string& what) {
    char seconds[32];
    std::snprintf(seconds, sizeof seconds, "%g", ring_.timeout_s());
    return run_failure("rank " + std::to_string(rank_) + ": " + what + " for " + seconds +
                       " s: a rank died or hangs (time-out: --comm-timeout)");
  };

  ThreadRing::Mailbox& incoming = ring_.mailbox(prev, slot);
  if (!incoming.posted.wait_for(sequence, deadline, ring_.spins())) {
    return timed_out("no data from rank " + std::to_string(prev));
  }
  if (incoming.bytes != recv_[slot].size()) {
    return run_failure("rank " + std::to_string(rank_) + ": rank " + std::to_string(prev) + " sent " +
                       std::to_string(incoming.bytes) + " B where " + std::to_string(recv_[slot].size()) +
                       " B were expected (ranks disagree on the problem)");
  }
  if (incoming.bytes > 0) std::memcpy(recv_[slot].data(), incoming.data, incoming.bytes);
  incoming.consumed.post(sequence);

  // Our send buffer is free once the next rank has copied it.
  if (!ring_.mailbox(rank_, slot).consumed.wait_for(sequence, deadline, ring_.spins())) {
    return timed_out("rank " + std::to_string(next) + " did not take its data");
  }
  return {};
}

}  // namespace tb
