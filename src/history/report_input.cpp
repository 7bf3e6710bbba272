#include "history/report_input.h"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <optional>
#include <nlohmann/json.hpp>

#include "catalog/instance_catalog.h"
#include "kernels/kernel_registry.h"
#include "kernels/problem.h"

namespace tb {
namespace {

std::string now_utc() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

// The series' throughput and its unit: bytes per second for collectives
// (their FLOP are only the reduction's additions) and problems without FLOP,
// FLOP/s otherwise, executions per second when neither is known.
ReportSeries report_series(const SeriesChanges& sc) {
  const Series& s = *sc.series;
  ReportSeries out;
  out.title = s.problem;
  out.subtitle = "backend " + s.backend + ", device " + s.device;
  const KernelInfo* kernel = find_kernel(s.kernel);
  const bool by_bytes = (kernel != nullptr && kernel->collective) || s.points.front().flop_per_s <= 0;
  const auto value_of = [by_bytes](const SeriesPoint& p) -> double {
    if (!by_bytes && p.flop_per_s > 0) return p.flop_per_s;
    if (p.bytes_per_s > 0) return p.bytes_per_s;
    return 1.0 / p.median_s;
  };
  double largest = 0.0;
  for (const SeriesPoint& p : s.points) largest = std::max(largest, value_of(p));
  const SeriesPoint& first = s.points.front();
  double scale = 1.0;
  if (!by_bytes) {
    const bool tera = largest >= 1e12;
    scale = tera ? 1e12 : 1e9;
    out.unit = tera ? "TFLOP/s" : "GFLOP/s";
  } else if (first.bytes_per_s > 0) {
    scale = 1e9;
    out.unit = "GB/s";
  } else {
    out.unit = "executions/s";
  }
  for (const SeriesPoint& p : s.points) {
    out.points.push_back({p.timestamp_utc, p.git_commit, p.run_id, value_of(p) / scale});
  }
  for (const ChangePoint& c : sc.changes) out.changes.push_back({c.index, throughput_change(c), c.p_value});
  return out;
}

std::string peak_source(const HistoryRun& run) {
  const nlohmann::json env = nlohmann::json::parse(run.environment_json, nullptr, false);
  const nlohmann::json::json_pointer ptr("/trainbench/device/peak_source");
  if (env.is_discarded() || !env.contains(ptr) || !env.at(ptr).is_string()) return "source not recorded";
  return env.at(ptr).get<std::string>();
}

bool is_collective(const HistoryMeasurement& m) {
  const KernelInfo* kernel = find_kernel(m.kernel);
  return kernel != nullptr && kernel->collective;
}

std::string run_title(const HistoryRun& run) {
  return "run " + std::to_string(run.id) + ", " + run.timestamp_utc + ", " + run.device + " (" + run.backend + ")";
}

// The compute kernels of the run: collectives have a bandwidth view of their own.
Roofline roofline_of(const HistoryRun& run, const std::vector<HistoryMeasurement>& measurements) {
  Roofline r;
  r.title = run_title(run) + "; peaks: " + peak_source(run);
  for (const HistoryMeasurement& m : measurements) {
    if (m.run_id != run.id || m.status != "passed" || is_collective(m)) continue;
    if (m.flop <= 0 || m.min_bytes <= 0 || m.flop_per_s <= 0) continue;
    r.points.push_back({m.problem, m.dtype, m.flop / m.min_bytes, m.flop_per_s, m.peak_dtype});
  }
  for (const auto& [dtype, peak] : run.peak_flop_per_s) {
    if (peak > 0) r.compute.push_back({dtype + " peak", peak, dtype});
  }
  r.memory_bytes_per_s = run.memory_bandwidth_bytes_per_s;
  return r;
}

// The run's passed all-reduces: busbw (algbw x the problem's bus factor) by
// size, one line per dtype, rank count, algorithm, transport and placement.
// `catalog`: the instance catalog, for the run's instance's link bandwidth (nullptr: not read).
BandwidthView bandwidth_of(const HistoryRun& run, const std::vector<HistoryMeasurement>& measurements,
                           const InstanceCatalog* catalog) {
  BandwidthView v;
  v.title = run_title(run);
  for (const HistoryMeasurement& m : measurements) {
    if (m.run_id != run.id || m.status != "passed" || !is_collective(m) || m.bytes_per_s <= 0) continue;
    const Expected<ProblemPtr> problem = parse_problem(m.problem);
    if (!problem) continue;
    const std::optional<CollectiveInfo> c = (*problem)->collective();
    if (!c) continue;
    const std::string group = m.dtype + ", " + std::to_string(c->ranks) + " ranks, " + c->algo + " over " +
                              c->transport + (c->in_place ? ", in-place" : ", out-of-place");
    v.points.push_back({m.problem, group, m.min_bytes, m.bytes_per_s * c->bus_factor});
  }
  if (v.points.empty()) return v;
  if (run.memory_bandwidth_bytes_per_s > 0) {
    v.ceilings.push_back({run.device_kind == "cpu" ? "memory bandwidth (memcpy, measured at start)"
                                                   : "device memory bandwidth",
                          run.memory_bandwidth_bytes_per_s});
  }
  if (catalog != nullptr && !run.instance.empty()) {
    const Expected<Instance> instance = catalog->find(run.instance);
    if (instance && instance->intra_node_link_gb_per_s) {
      v.ceilings.push_back({"intra-node link per accelerator (catalog, " + instance->name + ")",
                            *instance->intra_node_link_gb_per_s * 1e9});
    }
  }
  return v;
}

// "run 14 (model llama3.2-1b)".
std::string model_run_name(const HistoryRun& run, const std::optional<HistoryModelRun>& model) {
  return "run " + std::to_string(run.id) + (model && !model->model.empty() ? " (model " + model->model + ")" : "");
}

// The cost chart: the latest run of the window whose comparison has a priced
// row. A model run without one is said, with why: the latest such when there
// is no chart, a newer one than the chart's otherwise.
Status add_latest_costs(const std::vector<HistoryRun>& runs, HistoryDb& db, HtmlReportInput& input) {
  std::string unexplained;  // the newest model run without a drawable cost, and why
  for (auto it = runs.rbegin(); it != runs.rend(); ++it) {
    TB_ASSIGN_OR_RETURN(const std::vector<HistoryCost> costs, db.costs(it->id));
    TB_ASSIGN_OR_RETURN(const std::optional<HistoryModelRun> model, db.model_run(it->id));
    if (costs.empty() && !model) continue;  // not a model run
    std::string unpriced;
    std::vector<CostBar> bars;
    for (const HistoryCost& c : costs) {
      if (c.usd_per_million_tokens <= 0) {
        unpriced += (unpriced.empty() ? "" : ", ") + c.label;
        continue;
      }
      std::string note = c.pricing + ", " + c.settings + ", price " + c.price_date + " (" + c.price_source + ")";
      if (!c.stated_error.empty()) note += "; stated error " + c.stated_error;
      bars.push_back({c.label, c.provenance, c.usd_per_million_tokens, note});
    }
    if (bars.empty()) {
      if (!unexplained.empty()) continue;
      const std::string name = model_run_name(*it, model);
      if (!costs.empty()) {
        unexplained = name + " compared " + std::to_string(costs.size()) + (costs.size() == 1 ? " row" : " rows") +
                      ", none with a price (" + unpriced +
                      "): price this machine with --price USD/h, or compare catalog instances that have one.";
      } else if (model && !model->no_cost_reason.empty()) {
        unexplained = name + " has no cost comparison: " + model->no_cost_reason;
      } else {
        unexplained = name + " has no cost rows in the history (a result file recorded by trainbench history "
                      "import brings its measurements, not its cost table).";
      }
      continue;
    }
    input.costs = std::move(bars);
    input.cost_title = "run " + std::to_string(it->id) + ", " + it->timestamp_utc + ": " + it->command_line;
    if (!unpriced.empty()) input.cost_title += " (no price, not drawn: " + unpriced + ")";
    if (!unexplained.empty()) input.cost_note = "A newer model run is not drawn: " + unexplained;
    return {};
  }
  input.cost_note = unexplained;
  return {};
}

}  // namespace

Expected<HtmlReportInput> build_report_input(const TrackedWindow& window, HistoryDb& db) {
  const std::string& since = window.since_utc;
  const ChangePointOptions& options = window.options;
  const std::vector<HistoryRun>& runs = window.runs;
  const std::vector<Series>& series = window.series;
  HtmlReportInput input;
  input.generated_utc = now_utc();
  input.source = window.db_path;
  char note[200];
  std::snprintf(note, sizeof note,
                "%zu runs%s%s, %zu series. Change points: step fit on the median time, permutation test p <= %g, "
                "level change >= %g%%.",
                runs.size(), since.empty() ? "" : " since ", since.c_str(), series.size(), options.max_p_value,
                100 * options.min_relative_change);
  input.notes.push_back(note);
  // A single run is no series: it is counted, not plotted.
  for (const SeriesChanges& sc : detect_series_changes(series, options)) {
    if (sc.series->points.size() < 2) ++input.single_run_series;
    else input.series.push_back(report_series(sc));
  }
  // Series that changed come first: they are what the page is read for.
  std::stable_partition(input.series.begin(), input.series.end(),
                        [](const ReportSeries& s) { return !s.changes.empty(); });
  if (const std::size_t single = input.single_run_series; single > 0) {
    input.notes.push_back(std::to_string(single) + " series with a single run are not plotted (trainbench history list "
                          "shows every run).");
  }
  // Each view from the newest run that has something for it (a model run has no all-reduce on one device).
  for (auto it = runs.rbegin(); it != runs.rend() && input.roofline.points.empty(); ++it) {
    input.roofline = roofline_of(*it, window.measurements);
  }
  const Expected<InstanceCatalog> catalog = read_instance_catalog(default_instance_catalog_path());
  for (auto it = runs.rbegin(); it != runs.rend() && input.bandwidth.points.empty(); ++it) {
    input.bandwidth = bandwidth_of(*it, window.measurements, catalog ? &*catalog : nullptr);
  }
  TB_RETURN_IF_ERROR(add_latest_costs(runs, db, input));
  return input;
}

}  // namespace tb
