// One rank's buffers for an all-reduce workload: the send buffer (which is
// also the output in place), a separate receive buffer out of place, the ring
// scratch, and in place a pristine copy of the input to restore before a
// verification run.
#pragma once

#include <cstddef>
#include <vector>

#include "kernels/allreduce/ring_allreduce.h"
#include "kernels/tensor.h"

namespace tb {

class RankBuffers {
 public:
  RankBuffers(const HostTensor& input, const TensorSpec& output_spec, bool in_place, std::size_t chunk_bytes)
      : send_(input), recv_(in_place ? TensorSpec{output_spec.name, output_spec.dtype, {0}} : output_spec),
        pristine_(in_place ? input : HostTensor(TensorSpec{input.spec.name, input.spec.dtype, {0}})),
        scratch_(ring_scratch_bytes(chunk_bytes)), in_place_(in_place), output_name_(output_spec.name) {}

  const void* input() const { return send_.data.data(); }
  void* output() { return in_place_ ? send_.data.data() : recv_.data.data(); }
  RingBuffers ring() { return {input(), output(), scratch_}; }

  // Out of place: NaN in every output element. In place: the input restored
  // (the output is the input buffer; whatever a run fails to write stays wrong).
  void poison() {
    if (in_place_) {
      send_.data = pristine_.data;
    } else {
      fill_nan(recv_);
    }
  }

  HostTensor read() const {
    HostTensor out = in_place_ ? send_ : recv_;
    out.spec.name = output_name_;
    return out;
  }

  // Bytes beyond the input and output tensors: pristine copy (in place) and scratch.
  static std::int64_t extra_bytes(std::int64_t buffer_bytes, bool in_place, std::size_t chunk_bytes) {
    return (in_place ? buffer_bytes : 0) + static_cast<std::int64_t>(ring_scratch_bytes(chunk_bytes));
  }

 private:
  HostTensor send_, recv_, pristine_;
  std::vector<std::byte> scratch_;
  bool in_place_;
  std::string output_name_;
};

}  // namespace tb
