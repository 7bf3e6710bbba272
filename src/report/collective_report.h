// The nccl-tests view of collective results: one row per size with the
// out-of-place and in-place figures side by side, in nccl-tests' own format,
// so that its parsers read it (docs/allreduce.md). The same numbers are in
// the JSON result's `collective` objects.
#pragma once

#include <string>

#include "common/error.h"
#include "record/run_record.h"

namespace tb {

// The collectives as nccl-tests' all_reduce_perf prints them (2.19.6; docs/allreduce.md):
// one block per rank count, transport and algorithm, each with its parameter
// line, the three header lines, one 13-column row per size (out-of-place and
// in-place side by side; N/A where a side did not pass), the footer (the
// average bus bandwidth a number alone) and the "concluded" line; what
// nccl-tests does not say in '#' lines. Empty when the record has no collective results.
std::string render_collective_table(const RunRecord& record);

bool has_collectives(const RunRecord& record);

// `text` with every line made a '#' comment ("# " before it): what follows an
// nccl-tests table, which its parsers skip.
std::string as_comment_lines(const std::string& text);

// Mean bus bandwidth over the passed collective results (GB/s, 1 GB = 1e9 B),
// as nccl-tests' "Avg bus bandwidth"; 0 when there are none.
double average_busbw_gb_per_s(const RunRecord& record);

// Fails (naming the average and the floor) when the record's collectives
// average below `floor_gb_per_s`, or when it has no passed collective to check.
Status check_min_busbw(const RunRecord& record, double floor_gb_per_s);

}  // namespace tb
