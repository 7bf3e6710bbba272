#include "report/text_report.h"

#include "common/format.h"
#include "report/collective_report.h"

#include <algorithm>
#include <cstdio>
#include <optional>
#include <vector>

namespace tb {
namespace {

struct Column {
  const char* title;
  const char* unit;
  int width;  // negative: left-aligned
};

const std::vector<Column>& columns() {
  // status: 9 wide, for "projected" (run --backend projected).
  static const std::vector<Column> cols = {
      {"problem", "", -44},       {"backend", "", -10},    {"status", "", -9},
      {"time", "ms median", 11},  {"spread", "ms min-max", 19}, {"cv", "%", 6},
      {"throughput", "TFLOP/s", 11}, {"bandwidth", "GB/s", 10}, {"peak", "%", 6},
      {"error", "max norm.", 10},
  };
  return cols;
}

std::string pad(const std::string& text, int width) {
  const auto w = static_cast<std::size_t>(width < 0 ? -width : width);
  if (text.size() >= w) return text;
  return width < 0 ? text + std::string(w - text.size(), ' ') : std::string(w - text.size(), ' ') + text;
}

std::string fmt(const char* format, double value) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, value);
  return buf;
}

// Column 0 (the problem) is `problem_width` wide, left-aligned.
std::string join_row(const std::vector<std::string>& cells, int problem_width) {
  std::string line;
  for (std::size_t i = 0; i < cells.size(); ++i) {
    if (i) line += "  ";
    line += pad(cells[i], i == 0 ? -problem_width : columns()[i].width);
  }
  while (!line.empty() && line.back() == ' ') line.pop_back();
  return line + "\n";
}

}  // namespace

std::string render_table_header(int problem_width) {
  std::vector<std::string> titles, units;
  for (const Column& c : columns()) {
    titles.emplace_back(c.title);
    units.emplace_back(c.unit);
  }
  return join_row(titles, problem_width) + join_row(units, problem_width);
}

std::string render_table_row(const RunRecord& record, const ProblemResult& r, int problem_width) {
  const bool passed = r.status == ResultStatus::kPassed;
  // A projection (run --backend projected) has one figure per problem, no spread, and nothing verified.
  const bool projected = r.provenance == "projected";
  const bool timed = passed && !projected;
  const bool verified = (passed || r.status == ResultStatus::kFailed) && !projected;
  const double ms = 1e3;
  return join_row({
      r.problem,
      record.context.backend,
      projected ? r.provenance : std::string(status_name(r.status)),
      passed ? fmt("%.4g", r.time_s.median * ms) : "-",
      timed ? fmt("%.4g", r.time_s.min * ms) + "-" + fmt("%.4g", r.time_s.max * ms) : "-",
      timed ? fmt("%.1f", r.time_s.cv * 100.0) : "-",
      passed ? fmt("%.4f", r.flop_per_s / 1e12) : "-",
      passed ? fmt("%.2f", r.bytes_per_s / 1e9) : "-",
      passed && r.fraction_of_peak >= 0.0 ? fmt("%.1f", r.fraction_of_peak * 100.0) : "-",
      verified ? fmt("%.2e", r.verification.max_error) : "-",
  }, problem_width);
}

std::string render_table(const RunRecord& record) {
  // Compute kernels in the throughput table; collectives in the nccl-tests table.
  int width = kMinProblemWidth;
  bool any_compute = false;
  for (const ProblemResult& r : record.results) {
    if (r.collective) continue;
    width = std::max(width, static_cast<int>(r.problem.size()));
    any_compute = true;
  }
  std::string out;
  if (any_compute) {
    out += render_table_header(width);
    for (const ProblemResult& r : record.results) {
      if (!r.collective) out += render_table_row(record, r, width);
    }
  }
  const std::string collectives = render_collective_table(record);
  if (!collectives.empty()) out += (out.empty() ? "" : "\n") + collectives;
  std::string notes;
  for (const ProblemResult& r : record.results) {
    if (r.status != ResultStatus::kPassed) {
      notes += "  " + r.problem + ": " + std::string(status_name(r.status)) + ": " + r.reason + "\n";
      if (r.status == ResultStatus::kFailed || r.status == ResultStatus::kError) {
        notes += "    reproduce: " + r.reproducer + "\n";
      }
    }
    for (const std::string& w : r.warnings) notes += "  " + r.problem + ": warning: " + w + "\n";
  }
  // After an nccl-tests table every line is a '#' comment, as its parsers expect.
  if (!notes.empty()) out += collectives.empty() ? "notes:\n" + notes : as_comment_lines("notes:\n" + notes);
  return out;
}

std::string render_csv(const RunRecord& record) {
  std::string out =
      "problem,kernel,dtype,backend,device,status,reason,implementation,provenance,time_median_ms,time_min_ms,"
      "time_max_ms,time_p10_ms,time_p90_ms,time_cv_percent,repetitions,iterations_per_repetition,flop,min_bytes,"
      "tflop_per_s,gbyte_per_s,fraction_of_peak_percent,verification_metric,verification_max_error,"
      "verification_tolerance,verified_elements,reproducer,"
      // Collectives only (empty otherwise); after `reproducer` so that the columns above keep their positions.
      "ranks,transport,algo,op,in_place,count_elements,algbw_gbyte_per_s,busbw_gbyte_per_s,wrong_elements\n";
  const RunContext& c = record.context;
  for (const ProblemResult& r : record.results) {
    const bool passed = r.status == ResultStatus::kPassed;
    const bool verified = (passed || r.status == ResultStatus::kFailed) && r.provenance != "projected";
    auto num = [&](double v, const char* f = "%.6g") { return passed ? fmt(f, v) : std::string(); };
    std::vector<std::string> cells = {
        r.problem, r.kernel, r.dtype, c.backend, c.device.name, std::string(status_name(r.status)), r.reason,
        r.implementation, r.provenance, num(r.time_s.median * 1e3), num(r.time_s.min * 1e3), num(r.time_s.max * 1e3),
        num(r.time_s.p10 * 1e3), num(r.time_s.p90 * 1e3), num(r.time_s.cv * 100.0),
        passed ? std::to_string(r.time_s.count) : "", passed ? std::to_string(r.iterations_per_sample) : "",
        fmt("%.17g", r.flop), fmt("%.17g", r.min_bytes), num(r.flop_per_s / 1e12), num(r.bytes_per_s / 1e9),
        passed && r.fraction_of_peak >= 0.0 ? fmt("%.4g", r.fraction_of_peak * 100.0) : "",
        r.verification.metric, verified ? fmt("%.6g", r.verification.max_error) : "",
        verified ? fmt("%.6g", r.verification.tolerance) : "",
        std::to_string(r.verification.checked), r.reproducer};
    if (const std::optional<CollectiveResult>& k = r.collective) {
      cells.insert(cells.end(), {std::to_string(k->ranks), k->transport, k->algo, k->op, k->in_place ? "1" : "0",
                                 std::to_string(k->count), num(k->algbw_bytes_per_s / 1e9),
                                 num(k->busbw_bytes_per_s / 1e9), std::to_string(k->wrong_elements)});
    } else {
      cells.resize(cells.size() + 9);
    }
    for (std::size_t i = 0; i < cells.size(); ++i) out += (i ? "," : "") + csv_field(cells[i]);
    out += "\n";
  }
  return out;
}

}  // namespace tb
