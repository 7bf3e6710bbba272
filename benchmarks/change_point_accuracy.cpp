// Accuracy and speed of the change-point detector on the synthetic protocol
// of docs/statistics.md, "Change points" (src/analysis/change_point_protocol.h).
//   change_point_accuracy [--series N] [--length L] [--noise F] [--step F] [--seed S] [--trials T]
// Prints, per trial and in total: the share of step series whose step was
// found within 2 points, the false-alarm rate, the mean |index error|; then
// the detector's time per 365-point series (median of several runs, ms).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "analysis/change_point_protocol.h"

namespace {

struct Args {
  tb::ProtocolOptions protocol;
  int trials = 1;
};

bool parse(int argc, char** argv, Args& a) {
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) return false;
    const char* value = argv[++i];
    if (flag == "--series") a.protocol.series = std::atoi(value);
    else if (flag == "--length") a.protocol.length = std::atoi(value);
    else if (flag == "--noise") a.protocol.noise = std::atof(value);
    else if (flag == "--step") a.protocol.step = std::atof(value);
    else if (flag == "--seed") a.protocol.seed = std::strtoull(value, nullptr, 0);
    else if (flag == "--trials") a.trials = std::atoi(value);
    else return false;
  }
  return a.protocol.series >= 2 && a.protocol.length > 2 * a.protocol.margin && a.trials >= 1;
}

void print_row(const char* name, const tb::ProtocolResult& r) {
  std::printf("%-8s  %4d  %5.1f%%  %5.1f%%  (%d + %d)  %5.2f\n", name, r.step_series + r.no_step_series,
              100.0 * r.found_rate(), 100.0 * r.false_alarm_rate(), r.false_alarms_no_step, r.false_alarms_step,
              r.mean_abs_index_error());
}

// Median over 7 rounds of the mean detection time of 50 series of 365 points
// (half with a step), as the report runs them (ms per series).
double median_ms_per_365_point_series(const tb::ProtocolOptions& base) {
  tb::ProtocolOptions o = base;
  o.length = 365;
  std::mt19937_64 gen(o.seed);
  std::vector<std::vector<double>> batch;
  for (int i = 0; i < 50; ++i) {
    const int at = i < 25 ? std::uniform_int_distribution<int>(o.margin, o.length - o.margin)(gen) : 0;
    batch.push_back(tb::synthetic_series(o, at, 1.0, gen));
  }
  std::vector<double> rounds;
  std::size_t found = 0;
  for (int round = 0; round < 7; ++round) {
    const auto start = std::chrono::steady_clock::now();
    for (const auto& s : batch) found += tb::detect_change_points(s).size();
    const std::chrono::duration<double, std::milli> elapsed = std::chrono::steady_clock::now() - start;
    rounds.push_back(elapsed.count() / static_cast<double>(batch.size()));
  }
  std::sort(rounds.begin(), rounds.end());
  std::printf("change points in the timed batch: %zu per round\n", found / rounds.size());
  return rounds[rounds.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  if (!parse(argc, argv, a)) {
    std::fprintf(stderr,
                 "usage: change_point_accuracy [--series N] [--length L] [--noise F] [--step F] [--seed S] "
                 "[--trials T]\n");
    return 2;
  }
  const tb::ProtocolOptions& p = a.protocol;
  std::printf("%d series of %d points (half with a %.0f%% step in [%d, %d]), noise %.1f%%, seed %llu, %d trial(s)\n",
              p.series, p.length, 100.0 * p.step, p.margin, p.length - p.margin, 100.0 * p.noise,
              static_cast<unsigned long long>(p.seed), a.trials);
  std::printf("trial     series  found  false alarms (no step + step)  mean |index error|\n");
  tb::ProtocolResult total;
  for (int t = 0; t < a.trials; ++t) {
    tb::ProtocolOptions o = p;
    o.seed = p.seed + static_cast<std::uint64_t>(t);
    const tb::ProtocolResult r = tb::run_protocol(o);
    print_row(std::to_string(o.seed).c_str(), r);
    total.step_series += r.step_series;
    total.no_step_series += r.no_step_series;
    total.found += r.found;
    total.false_alarms_no_step += r.false_alarms_no_step;
    total.false_alarms_step += r.false_alarms_step;
    total.sum_abs_index_error += r.sum_abs_index_error;
    total.located += r.located;
  }
  print_row("total", total);
  std::printf("time per 365-point series: %.3f ms (median of 7 rounds of 50 series)\n",
              median_ms_per_365_point_series(p));
  return 0;
}
