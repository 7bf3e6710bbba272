// The HTML report page (html/html_report.h): structure, escaping of every
// string from results, empty sections, a year of nightly history, and the
// page in headless Chromium (tests/support/chromium.h).
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "report/html/html_report.h"
#include "report/html/svg_plot.h"
#include "support/chromium.h"
#include "support/temp_dir.h"
#include "support/text.h"

namespace tb {
namespace {

using tbtest::contains;
using tbtest::expect_contains_all;

const char* const kScript = "<script>alert(\"x\")</script>";
const char* const kScriptEscaped = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;";
const char* const kQuotes = "a'b\"c&d";
const char* const kQuotesEscaped = "a&#39;b&quot;c&amp;d";

std::size_t count_of(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (std::size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + needle.size())) ++n;
  return n;
}

// "2026-09-27T02:15:00Z" plus `day` days.
std::string nightly_timestamp(int day) {
  using namespace std::chrono;
  const year_month_day date{sys_days{year{2026} / September / 27} + days{day}};
  char text[32];
  std::snprintf(text, sizeof text, "%04d-%02u-%02uT02:15:00Z", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()));
  return text;
}

// A deterministic noise in [-1, 1], peaked at 0 (no <random>: its distributions differ between libraries).
double wobble(int i, int seed) {
  const auto uniform = [](std::uint64_t x) {  // splitmix64 finaliser, to [0, 1)
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return static_cast<double>((x ^ (x >> 31)) >> 11) / 9007199254740992.0;
  };
  const std::uint64_t key = static_cast<std::uint64_t>(i) * 0x9e3779b97f4a7c15ull + static_cast<std::uint64_t>(seed);
  return uniform(key) + uniform(key + 0x632be59bd9b4e019ull) - 1.0;
}

// `n` nightly points around `level` (relative noise `noise`), the level multiplied by `step` from `change_at` on.
ReportSeries series(const std::string& title, const std::string& unit, int n, double level, double noise, int seed,
                    int change_at = -1, double step = 1.0, double p_value = 1.0) {
  ReportSeries s;
  s.title = title;
  s.subtitle = "backend cpu, device AMD EPYC 9R14, host bench-01";
  s.unit = unit;
  for (int i = 0; i < n; ++i) {
    char commit[41];
    std::snprintf(commit, sizeof commit, "%08x%08x%08x%08x%08x", 0x9e3779b9u * static_cast<unsigned>(i + 1),
                  0x85ebca6bu * static_cast<unsigned>(i + seed), 0xc2b2ae35u * static_cast<unsigned>(i),
                  0x27d4eb2fu * static_cast<unsigned>(seed), 0x165667b1u * static_cast<unsigned>(i + 7));
    const double l = change_at >= 0 && i >= change_at ? level * step : level;
    s.points.push_back({nightly_timestamp(i), commit, 1000 + i, l * (1.0 + noise * wobble(i, seed))});
  }
  if (change_at >= 0) s.changes.push_back({static_cast<std::size_t>(change_at), step - 1.0, p_value});
  return s;
}

// A realistic report: four series (two with a change point), a CPU roofline
// with fp32 and bf16 ceilings and a bandwidth ceiling, 1 measured and 5 projected costs.
HtmlReportInput sample_input() {
  HtmlReportInput in;
  in.generated_utc = "2026-11-26T03:00:00Z";
  in.source = "results/history.db";
  in.notes = {"60 nightly runs from 2026-09-27 to 2026-11-25 on bench-01"};
  in.series.push_back(series("gemm:m=4096,n=4096,k=4096,dtype=bf16", "TFLOP/s", 60, 2.12, 0.012, 1, 41, 0.877,
                             0.002));
  in.series.push_back(series("gemm:m=4096,n=4096,k=4096,dtype=fp32", "TFLOP/s", 60, 1.05, 0.01, 2));
  in.series.push_back(series("attention:b=4,h=16,s=2048,d=128,dtype=bf16,causal=1", "TFLOP/s", 60, 1.31, 0.015, 3,
                             22, 1.085, 0.0004));
  in.series.push_back(series("allreduce:bytes=268435456,dtype=fp32,ranks=8", "GB/s", 60, 9.4, 0.02, 4));

  in.roofline.title = "run 1059, 2026-11-25T02:15:00Z, AMD EPYC 9R14 (cpu)";
  in.roofline.points = {{"gemm:m=4096,n=4096,k=4096,dtype=bf16", "bf16", 1365.3, 1.86e12, "bf16"},
                        {"gemm:m=512,n=512,k=512,dtype=bf16", "bf16", 170.7, 0.92e12, "bf16"},
                        {"gemm:m=4096,n=4096,k=64,dtype=bf16", "bf16", 30.1, 0.41e12, "bf16"},
                        {"attention:b=4,h=16,s=2048,d=128,dtype=bf16,causal=1", "bf16", 512.0, 1.42e12, "bf16"},
                        {"gemm:m=4096,n=4096,k=4096,dtype=fp32", "fp32", 682.7, 1.06e12, "fp32"},
                        {"gemm:m=4096,n=1,k=4096,dtype=fp32", "fp32", 0.5, 0.19e12, "fp32"}};
  in.roofline.compute = {{"bf16 peak (spec: 96 cores x 2.6 GHz x 32 FLOP/cycle)", 6.4e12, "bf16"},
                         {"fp32 peak (spec: 96 cores x 2.6 GHz x 16 FLOP/cycle)", 3.2e12, "fp32"}};
  in.roofline.memory_bytes_per_s = 460e9;

  in.cost_title = "run 1058 (llama3.2-1b, 1024 tokens/step)";
  const std::string note = "price 2026-10-01, aws-pricing-api, us-east-1 on-demand";
  in.costs = {{"trn1.32xlarge", "measured", 0.98, note}, {"g5.48xlarge", "projected", 2.41, note},
              {"p5.48xlarge", "projected", 0.78, note},  {"p4d.24xlarge", "projected", 1.35, note},
              {"g6e.48xlarge", "projected", 1.1, note},  {"trn2.48xlarge", "projected", 0.61, note}};
  return in;
}

// sample_input() with hostile text in a few places a real database could hold it.
HtmlReportInput hostile_sample_input() {
  HtmlReportInput in = sample_input();
  in.series.push_back(series(kScript, "TFLOP/s", 30, 1.0, 0.01, 5));
  in.series.back().subtitle = kQuotes;
  in.roofline.points.push_back({kQuotes, "bf16", 64, 0.5e12, "bf16"});
  in.costs.push_back({"<img src=x onerror=alert(1)>", "projected", 2.5, kScript});
  return in;
}

// Every string field of the input holds `<script>alert("F")</script>` with a
// different F, or, where the page shortens the text, a short hostile string.
HtmlReportInput every_field_hostile() {
  const auto hostile = [](const std::string& field) { return "<script>alert(\"" + field + "\")</script>"; };
  HtmlReportInput in;
  in.title = hostile("title");
  in.generated_utc = hostile("generated");
  in.source = hostile("source");
  in.cost_title = hostile("cost_title");
  in.notes = {hostile("note")};
  ReportSeries s;
  s.title = hostile("series_title");
  s.subtitle = hostile("subtitle");
  s.unit = hostile("unit");
  s.points = {{hostile("timestamp"), "a\"b<c'd&e", 1, 1.0}, {hostile("timestamp2"), "f>g", 2, 0.8}};
  s.changes = {{1, -0.2, 0.01}};
  in.series.push_back(s);
  in.roofline.title = hostile("roofline_title");
  in.roofline.points = {{hostile("point_label"), hostile("dtype"), 10, 1e11, hostile("roof_dtype")}};
  in.roofline.compute = {{hostile("ceiling_label"), 1e12, hostile("dtype")}};
  in.roofline.memory_bytes_per_s = 1e11;
  in.costs = {{hostile("cost_label"), hostile("provenance"), 1.0, hostile("cost_note")}};
  return in;
}

TEST(HtmlReport, EscapeReplacesMarkupCharacters) {
  EXPECT_EQ(html_escape(kQuotes), kQuotesEscaped);
  EXPECT_EQ(html_escape(kScript), kScriptEscaped);
  EXPECT_EQ(html_escape("plain text, 2.5 TFLOP/s \xC2\xB7 ok"), "plain text, 2.5 TFLOP/s \xC2\xB7 ok");
  EXPECT_EQ(html_escape(std::string("a\x01" "b\tc", 5)), "a\xEF\xBF\xBD" "b\tc");
}

TEST(HtmlReport, PageIsSelfContained) {
  const std::string html = render_html_report(sample_input());
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  expect_contains_all(html, {"<meta charset=\"utf-8\">",
                             "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
                             "style-src 'unsafe-inline'; img-src data:\">",
                             "<style>", "</html>"});
  EXPECT_FALSE(contains(html, "<script"));
  EXPECT_FALSE(contains(html, "src=\""));
  EXPECT_FALSE(contains(html, "@import"));
  // The only URL is the SVG namespace, which is a name, not a fetch.
  EXPECT_EQ(count_of(html, "://"), count_of(html, "xmlns=\"http://www.w3.org/2000/svg\""));
}

TEST(HtmlReport, OnePlotPerSeriesRooflineAndCostBars) {
  const HtmlReportInput in = sample_input();
  const std::string html = render_html_report(in);
  EXPECT_EQ(count_of(html, "<svg "), in.series.size() + 2);
  EXPECT_EQ(count_of(html, "class=\"plot throughput\""), in.series.size());
  EXPECT_EQ(count_of(html, "class=\"plot roofline\""), 1u);
  EXPECT_EQ(count_of(html, "class=\"plot cost\""), 1u);
  for (const ReportSeries& s : in.series) EXPECT_TRUE(contains(html, ">" + s.title + "</h3>")) << s.title;
  // One point (with its tooltip) per measurement.
  EXPECT_EQ(count_of(html, "<circle cx="), 4u * 60u);
  EXPECT_TRUE(contains(html, "run 1000 \xC2\xB7 2026-09-27T02:15:00Z \xC2\xB7 commit "));

  // Change points: a dashed line and a label each, down and up.
  EXPECT_EQ(count_of(html, "<g class=\"change down\">"), 1u);
  EXPECT_EQ(count_of(html, "<g class=\"change up\">"), 1u);
  EXPECT_EQ(count_of(html, "class=\"change-line\""), 2u);
  expect_contains_all(html, {">-12.3% (p=0.002)</text>", ">+8.5% (p&lt;0.001)</text>"});

  // Roofline: a point per problem, the two compute ceilings and the memory slope.
  EXPECT_EQ(count_of(html, "<circle class=\"rpt\""), in.roofline.points.size());
  EXPECT_EQ(count_of(html, "<g class=\"ceiling c"), 2u);
  EXPECT_EQ(count_of(html, "<g class=\"ceiling memory\">"), 1u);
  expect_contains_all(html, {"bf16 peak (spec: 96 cores x 2.6 GHz x 32 FLOP/cycle) \xC2\xB7 6.4 TFLOP/s",
                             "memory 460 GB/s", "arithmetic intensity (FLOP/B, log scale)"});

  // Cost: 1 measured and 5 projected bars (plus one legend swatch each), cheapest first.
  EXPECT_EQ(count_of(html, "<g class=\"cost measured\">"), 1u);
  EXPECT_EQ(count_of(html, "<g class=\"cost projected\">"), 5u);
  EXPECT_EQ(count_of(html, "class=\"bar measured\""), 2u);
  EXPECT_EQ(count_of(html, "class=\"bar projected\""), 6u);
  EXPECT_EQ(count_of(html, "<pattern id=\"tb-hatch\""), 1u);
  const std::size_t cheapest = html.find(">trn2.48xlarge</text>");
  const std::size_t dearest = html.find(">g5.48xlarge</text>");
  ASSERT_NE(cheapest, std::string::npos);
  ASSERT_NE(dearest, std::string::npos);
  EXPECT_LT(cheapest, dearest);
  expect_contains_all(html, {">$0.61</text>", ">$1.10</text>", ">$2.41</text>", "run 1058 (llama3.2-1b, 1024 tokens/step)"});

  // A units note under each plot.
  EXPECT_EQ(count_of(html, "<p class=\"units\">"), in.series.size() + 2);
}

TEST(HtmlReport, SvgNumbersHaveAtMostOneDecimal) {
  const std::string html = render_html_report(sample_input());
  const std::size_t start = html.find("<polyline class=\"series-line\" points=\"");
  ASSERT_NE(start, std::string::npos);
  const std::size_t begin = html.find("points=\"", start) + 8;
  const std::string coords = html.substr(begin, html.find('"', begin) - begin);
  int decimals = 0;
  bool after_point = false;
  for (const char c : coords) {
    if (c == '.') {
      after_point = true;
      decimals = 0;
    } else if (c >= '0' && c <= '9') {
      if (after_point) ++decimals;
      EXPECT_LE(decimals, 1) << coords;
    } else {
      after_point = false;
    }
  }
}

TEST(HtmlReport, EveryTextFieldIsEscaped) {
  const std::string html = render_html_report(every_field_hostile());
  EXPECT_FALSE(contains(html, "<script")) << html;
  EXPECT_FALSE(contains(html, "alert(\"")) << html;
  for (const char* field : {"title", "generated", "source", "cost_title", "note", "series_title", "subtitle",
                            "unit", "timestamp", "timestamp2", "roofline_title", "point_label", "dtype",
                            "ceiling_label", "cost_label", "provenance", "cost_note"}) {
    const std::string escaped = std::string("&lt;script&gt;alert(&quot;") + field + "&quot;)&lt;/script&gt;";
    EXPECT_TRUE(contains(html, escaped)) << "the " << field << " field is missing or not escaped";
  }
  // Git commits are shortened in tooltips; what is shown is escaped.
  EXPECT_TRUE(contains(html, "commit a&quot;b&lt;c&#39;d&amp;e")) << html;
  EXPECT_FALSE(contains(html, "a\"b<c'd&e"));
}

TEST(HtmlReport, HostileSampleTextAppearsOnlyEscaped) {
  const std::string html = render_html_report(hostile_sample_input());
  EXPECT_FALSE(contains(html, "<script"));
  EXPECT_FALSE(contains(html, "<img"));
  EXPECT_FALSE(contains(html, kQuotes));
  expect_contains_all(html, {kScriptEscaped, kQuotesEscaped, "&lt;img src=x onerror=alert(1)&gt;"});
}

TEST(HtmlReport, EmptySectionsSaySoAndDrawNothing) {
  const std::string html = render_html_report(HtmlReportInput{});
  EXPECT_FALSE(contains(html, "<svg"));
  expect_contains_all(html, {"No throughput history in the database: record runs with <code>trainbench run --db</code>",
                             "No roofline: no run in the window has a measured compute kernel",
                             "No all-reduce in the history's runs",
                             "No model run in the history: record a <code>trainbench run --model</code> run.",
                             "<title>trainbench nightly report</title>"});
}

// ---- Issue 20: what each section says and draws ------------------------------------

TEST(HtmlReport, TheCostSectionSaysWhyItHasNothingToDraw) {
  HtmlReportInput in;
  in.cost_note = "run 4 (model llama3.2-1b) compared 1 row, none with a price (this machine (AMD EPYC)): price it";
  const std::string html = render_html_report(in);
  EXPECT_TRUE(contains(html, "No cost to draw: run 4 (model llama3.2-1b) compared 1 row, none with a price"));
  EXPECT_FALSE(contains(html, "No model run in the history")) << "a model run was recorded";
  // With a chart, the note about a newer run stands beside it.
  in = sample_input();
  in.cost_note = "A newer model run is not drawn: run 9 (model x) has no cost comparison: skipped";
  const std::string with_chart = render_html_report(in);
  EXPECT_TRUE(contains(with_chart, "A newer model run is not drawn: run 9"));
  EXPECT_TRUE(contains(with_chart, "class=\"cost projected\""));
}

TEST(HtmlReport, PointsSitUnderTheCeilingOfThePrecisionTheyComputedIn) {
  HtmlReportInput in;
  // bf16 widened to fp32 on an AVX2 CPU: only an fp32 peak, which is its roof.
  in.roofline.points = {{"gemm:m=512,n=512,k=512,dtype=bf16", "bf16", 200, 60e9, "fp32"},
                        {"gemm:m=512,n=512,k=512,dtype=fp32", "fp32", 100, 180e9, "fp32"}};
  in.roofline.compute = {{"fp32 peak", 200e9, "fp32"}};
  in.roofline.memory_bytes_per_s = 30e9;
  const std::string html = render_html_report(in);
  // 60 / 200 of the fp32 roof, not a dash for a missing bf16 ceiling.
  expect_contains_all(html, {">200 GFLOP/s (fp32)<", ">30.0%<", ">90.0%<",
                             "bf16 points sit under the fp32 ceiling: this device computed them in fp32"});
}

// The numbers of crowded points: never on top of one another or of a marker;
// those with no clear place are left to the table, and the page says how many.
TEST(HtmlReport, PointLabelsNeverOverlap) {
  HtmlReportInput in;
  for (int i = 0; i < 40; ++i) {
    in.roofline.points.push_back({"gemm:" + std::to_string(i), "bf16", 200.0 + 3.0 * (i % 7), 5e11 + 4e9 * (i % 5), "bf16"});
  }
  in.roofline.compute = {{"bf16 peak", 8e11, "bf16"}};
  in.roofline.memory_bytes_per_s = 36e9;
  const std::string html = render_html_report(in);
  std::vector<html::Box> labels, markers;
  for (std::size_t at = html.find("<text class=\"rpt-num\""); at != std::string::npos;
       at = html.find("<text class=\"rpt-num\"", at + 1)) {
    double x = 0, y = 0;
    char number[16] = {};
    ASSERT_EQ(std::sscanf(html.c_str() + at, "<text class=\"rpt-num\" x=\"%lf\" y=\"%lf\">%15[0-9]", &x, &y, number), 3)
        << html.substr(at, 80);
    labels.push_back(html::label_box(number, x, y - 9));
  }
  for (std::size_t at = html.find("<circle class=\"rpt\""); at != std::string::npos;
       at = html.find("<circle class=\"rpt\"", at + 1)) {
    double cx = 0, cy = 0;
    ASSERT_EQ(std::sscanf(html.c_str() + at, "<circle class=\"rpt\" cx=\"%lf\" cy=\"%lf\"", &cx, &cy), 2);
    markers.push_back({cx - 5, cy - 5, 10, 10});
  }
  ASSERT_EQ(markers.size(), 40u);
  ASSERT_GE(labels.size(), 10u) << "most crowded points still get their number";
  for (std::size_t i = 0; i < labels.size(); ++i) {
    for (std::size_t j = i + 1; j < labels.size(); ++j) EXPECT_FALSE(labels[i].overlaps(labels[j], 1.0)) << i << " " << j;
    for (const html::Box& m : markers) EXPECT_FALSE(labels[i].overlaps(m, 1.0)) << "label " << i << " on a marker";
  }
  if (labels.size() < 40) {
    EXPECT_TRUE(contains(html, std::to_string(40 - labels.size()) + " point numbers left out where points crowd"));
  }
}

TEST(HtmlReport, AllReducesHaveABandwidthViewUnderTheirCeilings) {
  HtmlReportInput in;
  in.bandwidth.title = "run 7, 2026-12-07T20:14:29Z, AMD EPYC (cpu)";
  for (const double bytes : {65536.0, 1048576.0, 16777216.0}) {
    in.bandwidth.points.push_back({"allreduce:bytes=" + std::to_string(bytes), "fp32, 2 ranks, ring over threads, out-of-place",
                                   bytes, 9e9});
  }
  in.bandwidth.ceilings = {{"memory bandwidth (memcpy, measured at start)", 36e9}};
  const std::string html = render_html_report(in);
  expect_contains_all(html, {"<section id=\"bandwidth\">", "class=\"plot bandwidth\"", "class=\"bw-line\"",
                             "memory bandwidth (memcpy, measured at start) \xC2\xB7 36 GB/s", ">25.0%<", ">64 KiB<",
                             ">16 MiB<", "bus bandwidth (GB/s)"});
  EXPECT_EQ(count_of(html, "<circle class=\"rpt\""), 3u);
  EXPECT_FALSE(contains(render_html_report(HtmlReportInput{}), "class=\"plot bandwidth\""));
}

TEST(HtmlReport, TimeTicksCarryTheTimeOfDay) {
  HtmlReportInput in;
  ReportSeries s = series("gemm:m=64,n=64,k=64,dtype=fp32", "GFLOP/s", 3, 1.0, 0.01, 1);
  s.points[0].timestamp_utc = "2026-12-07T01:02:03Z";
  s.points[1].timestamp_utc = "2026-12-07T09:30:00Z";
  s.points[2].timestamp_utc = "2026-12-07T20:13:59Z";
  in.series = {s};
  std::string html = render_html_report(in);
  expect_contains_all(html, {">12-07 01:02<", ">12-07 09:30<", ">12-07 20:13<", "UTC date and time, 2026"});
  // Runs of the same minute: seconds tell them apart.
  in.series[0].points[1].timestamp_utc = "2026-12-07T01:02:40Z";
  in.series[0].points[2].timestamp_utc = "2026-12-07T01:02:55Z";
  html = render_html_report(in);
  expect_contains_all(html, {">12-07 01:02:03<", ">12-07 01:02:40<", ">12-07 01:02:55<"});
  // Across years, the year is on each tick.
  in.series[0].points[0].timestamp_utc = "2025-12-31T23:00:00Z";
  in.series[0].points[2].timestamp_utc = "2026-12-07T20:13:59Z";
  html = render_html_report(in);
  EXPECT_TRUE(contains(html, ">2025-12-31 23:00<")) << "with the year";
}

TEST(HtmlReport, OnlySingleRunSeriesSayNoSeriesHasTwoRunsYet) {
  HtmlReportInput in;
  in.single_run_series = 3;
  const std::string html = render_html_report(in);
  EXPECT_TRUE(contains(html, "No series has two runs yet: 3 series have a single run")) << html;
  EXPECT_FALSE(contains(html, "No throughput history in the database"));
  in.single_run_series = 1;
  EXPECT_TRUE(contains(render_html_report(in), "No series has two runs yet: 1 series has a single run"));
}

TEST(HtmlReport, RooflineWithoutKnownCeilingsSaysSo) {
  HtmlReportInput in;
  in.roofline.points = {{"gemm:m=64,n=64,k=64,dtype=fp32", "fp32", 10.7, 2e10, "fp32"}};
  const std::string html = render_html_report(in);
  EXPECT_EQ(count_of(html, "<svg "), 1u);
  EXPECT_EQ(count_of(html, "<circle class=\"rpt\""), 1u);
  EXPECT_FALSE(contains(html, "<g class=\"ceiling"));
  expect_contains_all(html, {"no compute ceilings drawn", "no bandwidth ceiling drawn"});
}

TEST(HtmlReport, DegenerateSeriesRenderWithoutNonFiniteNumbers) {
  HtmlReportInput in;
  in.series.push_back(series("one point", "TFLOP/s", 1, 2.0, 0, 1));
  in.series.push_back(series("flat", "GB/s", 5, 3.0, 0, 2));
  in.series.push_back(series("no points", "GB/s", 0, 1.0, 0, 3));
  in.series.back().changes = {{0, 0.5, 0.01}, {7, 0.5, 0.01}};  // out of range: ignored
  in.series.push_back(series("a missing value", "GB/s", 3, 1.0, 0, 4));
  in.series.back().points[1].value = NAN;
  const std::string html = render_html_report(in);
  EXPECT_EQ(count_of(html, "class=\"plot throughput\""), 3u);
  EXPECT_TRUE(contains(html, "No measured points in this series."));
  EXPECT_FALSE(contains(html, "nan"));
  EXPECT_FALSE(contains(html, "inf"));
  EXPECT_EQ(count_of(html, "class=\"change-line\""), 0u);
}

TEST(HtmlReport, YearOfNightlyHistoryForFiftyProblemsStaysSmall) {
  HtmlReportInput in = sample_input();
  in.series.clear();
  for (int p = 0; p < 50; ++p) {
    in.series.push_back(series("gemm:m=" + std::to_string(256 * (p + 1)) + ",n=4096,k=4096,dtype=bf16", "TFLOP/s",
                               365, 1.0 + 0.02 * p, 0.01, p, p % 5 == 0 ? 200 : -1, 0.93, 0.001));
  }
  const auto start = std::chrono::steady_clock::now();
  const std::string html = render_html_report(in);
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(count_of(html, "class=\"plot throughput\""), 50u);
  EXPECT_EQ(count_of(html, "<circle cx="), 50u * 365u);
  EXPECT_LT(html.size(), 5u * 1000u * 1000u);
  std::cout << "365 runs x 50 problems: " << html.size() << " bytes, rendered in " << ms << " ms\n";
  RecordProperty("bytes", static_cast<int>(html.size()));
}

// The browser tests fail (never skip) without Chromium: the report's promise
// is that it loads cleanly in a browser, and only a browser can check that.
std::string chromium_or_fail() {
  const std::optional<std::string> chromium = tbtest::find_chromium();
  if (!chromium) {
    ADD_FAILURE() << "Chromium not found (looked at $TRAINBENCH_CHROMIUM, then chromium and chromium-browser on "
                     "PATH): install it with `scripts/install-deps.sh --test` (or `apt-get install chromium`)";
    return "";
  }
  return *chromium;
}

std::string errors_of(const tbtest::BrowserLoad& load) {
  std::string text;
  for (const std::string& e : load.console_errors) text += e + "\n";
  return text;
}

TEST(HtmlReport, LoadsInChromiumWithoutErrors) {
  const std::string chromium = chromium_or_fail();
  ASSERT_FALSE(chromium.empty());
  tbtest::TempDir dir;
  const std::string page = dir.write("report.html", render_html_report(hostile_sample_input()));
  const std::string png = dir.file("report.png");
  const tbtest::BrowserLoad load = tbtest::load_in_chromium(chromium, page, png);
  ASSERT_TRUE(load.loaded) << load.log;
  EXPECT_TRUE(load.console_errors.empty()) << errors_of(load);
  expect_contains_all(load.dom, {"<section id=\"throughput\">", "<section id=\"roofline\">", "<section id=\"cost\">",
                                 "Throughput over time", "Roofline of the latest run", "USD per 1M tokens by instance",
                                 "-12.3% (p=0.002)"});
  // The DOM holds the hostile strings as text (serialized escaped), never as elements.
  EXPECT_FALSE(contains(load.dom, "<script")) << load.dom;
  EXPECT_FALSE(contains(load.dom, "<img")) << load.dom;
  expect_contains_all(load.dom, {"&lt;script&gt;alert(\"x\")&lt;/script&gt;", "a'b\"c&amp;d",
                                 "&lt;img src=x onerror=alert(1)&gt;"});

  // TRAINBENCH_REPORT_SAMPLE=/path/prefix also writes the clean sample as
  // prefix.html and its screenshot as prefix.png, for a person to look at.
  if (const char* prefix = std::getenv("TRAINBENCH_REPORT_SAMPLE"); prefix != nullptr && *prefix != '\0') {
    const std::string sample_html = std::string(prefix) + ".html";
    std::ofstream(sample_html, std::ios::binary) << render_html_report(sample_input());
    const tbtest::BrowserLoad sample = tbtest::load_in_chromium(chromium, sample_html, std::string(prefix) + ".png");
    EXPECT_TRUE(sample.loaded) << sample.log;
    EXPECT_TRUE(sample.console_errors.empty()) << errors_of(sample);
  }
}

// The negative control: console errors are detected, so an empty list above means something.
TEST(HtmlReport, ChromiumConsoleErrorsAreDetected) {
  const std::string chromium = chromium_or_fail();
  ASSERT_FALSE(chromium.empty());
  tbtest::TempDir dir;
  const std::string csp_blocked = dir.write(
      "blocked.html",
      "<!DOCTYPE html><html><head><meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
      "img-src data:\"><title>t</title></head><body><p>blocked image</p>"
      "<img src=\"http://example.invalid/x.png\" alt=\"\"></body></html>");
  const tbtest::BrowserLoad blocked = tbtest::load_in_chromium(chromium, csp_blocked);
  ASSERT_TRUE(blocked.loaded) << blocked.log;
  ASSERT_EQ(blocked.console_errors.size(), 1u) << blocked.log;
  EXPECT_TRUE(contains(blocked.console_errors[0], "Content Security Policy")) << blocked.console_errors[0];

  const std::string throwing = dir.write(
      "throws.html",
      "<!DOCTYPE html><html><head><title>t</title></head><body><p>script</p>"
      "<script>undefinedFunction();</script></body></html>");
  const tbtest::BrowserLoad thrown = tbtest::load_in_chromium(chromium, throwing);
  ASSERT_TRUE(thrown.loaded) << thrown.log;
  ASSERT_EQ(thrown.console_errors.size(), 1u) << thrown.log;
  EXPECT_TRUE(contains(thrown.console_errors[0], "undefinedFunction is not defined")) << thrown.console_errors[0];
}

}  // namespace
}  // namespace tb
