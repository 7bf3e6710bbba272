// The nccl-tests view of collective results: one row per size with the
// out-of-place and in-place figures side by side, a units row, and the
// average bus bandwidth footer (docs/allreduce.md). The same numbers are in
// the JSON result's `collective` objects.
#pragma once

#include <string>

#include "common/error.h"
#include "record/run_record.h"

namespace tb {

// Empty when the record has no collective results.
std::string render_collective_table(const RunRecord& record);

// Mean bus bandwidth over the passed collective results (GB/s, 1 GB = 1e9 B),
// as nccl-tests' "Avg bus bandwidth"; 0 when there are none.
double average_busbw_gb_per_s(const RunRecord& record);

// Fails (naming the average and the floor) when the record's collectives
// average below `floor_gb_per_s`, or when it has no passed collective to check.
Status check_min_busbw(const RunRecord& record, double floor_gb_per_s);

}  // namespace tb
