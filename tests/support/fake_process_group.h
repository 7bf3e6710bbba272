// A scripted ProcessGroup for unit tests of code that runs on one MPI rank:
// it plays this rank of a group of `size`, records every collective called,
// and answers them as the other ranks would have (the test sets the answers).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/process_group.h"

namespace tb {

class FakeProcessGroup final : public ProcessGroup {
 public:
  FakeProcessGroup(int rank, int size) : rank_(rank), size_(size) {}

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  std::string description() const override { return "fake: " + std::to_string(size_) + " processes"; }

  Status barrier() override {
    ++barriers;
    return fail_collectives ? Status(run_failure("fake barrier failed")) : Status();
  }
  // The group's maximum: max_answer when set, else this rank's value.
  Expected<double> max(double value) override {
    max_inputs.push_back(value);
    if (fail_collectives) return run_failure("fake max failed");
    return max_answer ? std::max(*max_answer, value) : value;
  }
  Expected<std::int64_t> sum(std::int64_t value) override { return value; }
  Expected<bool> all(bool value) override { return value && all_answer; }
  // From another root: broadcast_payload (zero-padded to the length); from this rank: unchanged.
  Status broadcast(std::span<std::byte> bytes, int root) override {
    broadcast_roots.push_back(root);
    if (fail_collectives) return run_failure("fake broadcast failed");
    if (root != rank_) {
      std::memset(bytes.data(), 0, bytes.size());
      std::memcpy(bytes.data(), broadcast_payload.data(), std::min(bytes.size(), broadcast_payload.size()));
    }
    return {};
  }
  bool broken() const override { return false; }
  [[noreturn]] void abort(int code) override { std::exit(code); }

  // The other ranks' answers.
  std::optional<double> max_answer;
  bool all_answer = true;
  std::string broadcast_payload;
  bool fail_collectives = false;
  // What this rank called.
  int barriers = 0;
  std::vector<double> max_inputs;
  std::vector<int> broadcast_roots;

 private:
  int rank_, size_;
};

}  // namespace tb
