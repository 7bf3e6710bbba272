// Element-wise reduction operators of collectives, and the loop that applies
// one to two buffers. bf16 and fp16 operands are converted to fp32, combined
// in fp32 and rounded back to the dtype (round to nearest, ties to even) at
// every application, as NCCL does per ring hop (docs/allreduce.md).
#pragma once

#include <cstdint>
#include <string_view>

#include "common/dtype.h"
#include "common/error.h"

namespace tb {

enum class ReduceOp { kSum, kMax, kMin };

std::string_view reduce_op_name(ReduceOp op);            // "sum", "max", "min"
Expected<ReduceOp> parse_reduce_op(std::string_view name);  // inverse of reduce_op_name

// out[i] = a[i] op b[i] for i in [0, count), in `dtype`. `out` may alias `a` or `b`.
void reduce_elements(void* out, const void* a, const void* b, std::int64_t count, DType dtype, ReduceOp op);

}  // namespace tb
