#include "report/collective_report.h"

#include <cstdio>
#include <map>
#include <tuple>
#include <vector>

namespace tb {
namespace {

std::string fmt(const char* format, double value) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, value);
  return buf;
}

// The problem string without its inplace=… parameter: the key that pairs an
// out-of-place result with its in-place twin.
std::string pair_key(const std::string& problem) {
  std::string key = problem;
  for (const char* p : {",inplace=0", ",inplace=1"}) {
    if (const auto at = key.find(p); at != std::string::npos) key.erase(at, std::string(p).size());
  }
  return key;
}

// time(us) algbw(GB/s) busbw(GB/s) #wrong of one result, or dashes when absent.
std::string figures(const ProblemResult* r) {
  char buf[128];
  if (r == nullptr) {
    std::snprintf(buf, sizeof buf, "%10s %8s %8s %8s", "-", "-", "-", "-");
    return buf;
  }
  const bool passed = r->status == ResultStatus::kPassed;
  const std::string wrong = r->collective ? std::to_string(r->collective->wrong_elements) : "-";
  if (!passed) {
    std::snprintf(buf, sizeof buf, "%10s %8s %8s %8s", std::string(status_name(r->status)).c_str(), "-", "-",
                  r->status == ResultStatus::kFailed ? wrong.c_str() : "-");
    return buf;
  }
  std::snprintf(buf, sizeof buf, "%10.2f %8.3f %8.3f %8s", r->time_s.median * 1e6,
                r->collective->algbw_bytes_per_s / 1e9, r->collective->busbw_bytes_per_s / 1e9, wrong.c_str());
  return buf;
}

}  // namespace

std::string render_collective_table(const RunRecord& record) {
  // Rows in first-seen order; each holds the out-of-place and in-place result.
  struct Row {
    const ProblemResult* out_of_place = nullptr;
    const ProblemResult* in_place = nullptr;
  };
  std::vector<std::string> order;
  std::map<std::string, Row> rows;
  for (const ProblemResult& r : record.results) {
    if (!r.collective) continue;
    const std::string key = pair_key(r.problem);
    if (!rows.contains(key)) order.push_back(key);
    (r.collective->in_place ? rows[key].in_place : rows[key].out_of_place) = &r;
  }
  if (order.empty()) return {};

  char line[512];
  std::string out;
  std::snprintf(line, sizeof line, "# %-62s %-37s %s\n", "", "out-of-place", "in-place");
  out += line;
  std::snprintf(line, sizeof line, "#%12s %12s %5s %5s %5s %4s %8s  %10s %8s %8s %8s  %10s %8s %8s %8s\n", "size",
                "count", "type", "redop", "ranks", "algo", "transport", "time", "algbw", "busbw", "#wrong", "time",
                "algbw", "busbw", "#wrong");
  out += line;
  std::snprintf(line, sizeof line, "#%12s %12s %5s %5s %5s %4s %8s  %10s %8s %8s %8s  %10s %8s %8s %8s\n", "(B)",
                "(elements)", "", "", "", "", "", "(us)", "(GB/s)", "(GB/s)", "(elem.)", "(us)", "(GB/s)", "(GB/s)",
                "(elem.)");
  out += line;
  for (const std::string& key : order) {
    const Row& row = rows[key];
    const ProblemResult& any = row.out_of_place ? *row.out_of_place : *row.in_place;
    const CollectiveResult& c = *any.collective;
    std::snprintf(line, sizeof line, " %12.0f %12lld %5s %5s %5d %4s %8s  %s  %s\n", any.min_bytes,
                  static_cast<long long>(c.count), any.dtype.c_str(), c.op.c_str(), c.ranks, c.algo.c_str(),
                  c.transport.c_str(), figures(row.out_of_place).c_str(), figures(row.in_place).c_str());
    out += line;
  }
  std::int64_t wrong = 0;
  for (const ProblemResult& r : record.results) {
    if (r.collective) wrong += r.collective->wrong_elements;
  }
  out += "# Out of bounds values : " + std::to_string(wrong) + (wrong == 0 ? " OK" : " FAILED") + "\n";
  out += "# Avg bus bandwidth    : " + fmt("%.3f", average_busbw_gb_per_s(record)) + " GB/s\n";
  return out;
}

double average_busbw_gb_per_s(const RunRecord& record) {
  double sum = 0.0;
  int n = 0;
  for (const ProblemResult& r : record.results) {
    if (!r.collective || r.status != ResultStatus::kPassed) continue;
    sum += r.collective->busbw_bytes_per_s / 1e9;
    ++n;
  }
  return n == 0 ? 0.0 : sum / n;
}

Status check_min_busbw(const RunRecord& record, double floor_gb_per_s) {
  int passed = 0;
  for (const ProblemResult& r : record.results) passed += r.collective && r.status == ResultStatus::kPassed;
  if (passed == 0) {
    return run_failure("--min-busbw " + fmt("%g", floor_gb_per_s) + " GB/s: no collective passed, nothing to check");
  }
  const double average = average_busbw_gb_per_s(record);
  if (average < floor_gb_per_s) {
    return run_failure("average bus bandwidth " + fmt("%.3f", average) + " GB/s is below --min-busbw " +
                       fmt("%g", floor_gb_per_s) + " GB/s");
  }
  return {};
}

}  // namespace tb
