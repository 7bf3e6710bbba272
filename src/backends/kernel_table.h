// A backend's one dispatch on a problem's kernel: one row per kernel it runs,
// saying whether it supports a problem, how many device bytes prepare() will
// allocate, and how to prepare it. Backend::supports(), device_bytes() and
// prepare() each look the kernel up once here; a kernel without a row is "not
// implemented" on that backend, and prepare() checks support once, through the
// row, before the row's prepare runs (so a row's prepare may assume it).
//
// How to add a kernel to a backend: write its three member functions and add
// one row to the backend's kernels() table (docs/adding-a-kernel.md).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "backends/backend.h"

namespace tb {

template <class B>
struct KernelRow {
  std::string_view kernel;  // Problem::kernel(): "gemm", "attention", "allreduce"
  Support (B::*supports)(const Problem& problem) const;
  std::int64_t (B::*device_bytes)(const Problem& problem) const;  // (B)
  Expected<std::unique_ptr<Workload>> (B::*prepare)(const ProblemPtr& problem, const std::vector<HostTensor>& inputs);
};

template <class B>
class KernelTable {
 public:
  explicit KernelTable(std::span<const KernelRow<B>> rows) : rows_(rows) {}

  Support supports(const B& backend, const Problem& problem) const {
    const KernelRow<B>* row = find(problem.kernel());
    if (row == nullptr) {
      return {false, std::string(backend.name()) + ": kernel '" + std::string(problem.kernel()) + "' is not implemented"};
    }
    return (backend.*(row->supports))(problem);
  }

  std::int64_t device_bytes(const B& backend, const Problem& problem) const {
    const KernelRow<B>* row = find(problem.kernel());
    return row == nullptr ? 0 : (backend.*(row->device_bytes))(problem);
  }

  Expected<std::unique_ptr<Workload>> prepare(B& backend, const ProblemPtr& problem,
                                              const std::vector<HostTensor>& inputs) const {
    const Support s = supports(backend, *problem);
    if (!s.supported) return bad_input(s.reason);
    return (backend.*(find(problem->kernel())->prepare))(problem, inputs);
  }

 private:
  const KernelRow<B>* find(std::string_view kernel) const {
    for (const KernelRow<B>& row : rows_) {
      if (row.kernel == kernel) return &row;
    }
    return nullptr;
  }
  std::span<const KernelRow<B>> rows_;
};

}  // namespace tb
