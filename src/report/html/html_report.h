// `trainbench report`: one self-contained HTML file (no scripts, fonts,
// styles or images from anywhere else; a Content-Security-Policy forbids
// fetching any) with inline SVG plots:
//  1. throughput over time per problem, detected change points marked (a
//     dashed line labelled "-12.3% (p=0.002)"); the y axis spans the padded
//     data range, not from zero, so that a few-percent change shows; the x
//     ticks give date and time of day (UTC); each point's tooltip gives run
//     id, timestamp, commit (first 12 characters) and value;
//  2. a roofline of the latest run's compute kernels: achieved FLOP/s against
//     arithmetic intensity (FLOP/B) on log-log axes, with the device's compute
//     ceilings (one per dtype; a point sits under the ceiling of the precision
//     it computed in) and its memory-bandwidth ceiling; point labels placed so
//     that none overlaps another;
//  3. the latest run's all-reduce bus bandwidth against message size, under
//     its memory and link ceilings;
//  4. USD per 1M tokens by instance, cheapest first, measured bars solid and
//     projected bars hatched; when there is none, why.
// A section with nothing to draw says so. SVG coordinates carry one decimal:
// 365 nightly runs x 50 problems make a page of about 2.8 MB.
// Every string that comes from results (problem, host, device, labels, ...)
// is escaped. docs/nightly.md shows it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tb {

struct ReportPoint {
  std::string timestamp_utc;  // ISO 8601, Z
  std::string git_commit;
  std::int64_t run_id = 0;
  double value = 0.0;  // throughput in the series' unit (> 0)
};

struct ReportChange {
  std::size_t index = 0;         // first point of the new level
  double relative_change = 0.0;  // (fraction; + is higher throughput)
  double p_value = 1.0;
};

struct ReportSeries {
  std::string title;      // problem string
  std::string subtitle;   // "backend cpu, device AMD EPYC 9R14"
  std::string unit;       // "TFLOP/s", "GB/s" (values are already in this unit)
  std::vector<ReportPoint> points;   // oldest first
  std::vector<ReportChange> changes; // ascending index
};

struct RooflinePoint {
  std::string label;           // problem string
  std::string dtype;
  double flop_per_byte = 0.0;  // arithmetic intensity, FLOP / minimum bytes (> 0)
  double flop_per_s = 0.0;     // achieved (> 0)
  std::string roof_dtype;      // whose ceiling is its roof: dtype, or the precision it computed in
                               // ("fp32" for bf16 widened to fp32 on a CPU without bf16 FMA); "" = dtype
};

struct RooflineCeiling {
  std::string label;           // "bf16 peak (spec: ...)", "fp32 peak (measured ...)"
  double flop_per_s = 0.0;     // (FLOP/s)
  std::string dtype;           // "bf16": points of this dtype sit under it (same colour, % of roof);
                               // empty: drawn grey, matched to no point
};

struct Roofline {
  std::string title;                       // "run 12, 2026-11-26T01:02:03Z, AMD EPYC 9R14 (cpu)"
  std::vector<RooflinePoint> points;       // empty: the section says there is nothing to draw
  std::vector<RooflineCeiling> compute;    // may be empty (unknown peaks: said in the section)
  double memory_bytes_per_s = 0.0;         // 0 when unknown (no slanted ceiling; said in the section)
};

// Bus bandwidth of the latest run's all-reduces against what bounds it.
struct BandwidthPoint {
  std::string label;    // problem string
  std::string group;    // the line it belongs to: "fp32, 2 ranks, ring over threads, out-of-place"
  double bytes = 0.0;   // bytes per rank (B; > 0)
  double busbw_bytes_per_s = 0.0;  // (B/s; > 0)
};

struct BandwidthCeiling {
  std::string label;          // "memory (memcpy, measured)", "NVLink (catalog, per GPU)"
  double bytes_per_s = 0.0;   // (B/s)
};

struct BandwidthView {
  std::string title;                       // as Roofline::title
  std::vector<BandwidthPoint> points;      // empty: the section says there is nothing to draw
  std::vector<BandwidthCeiling> ceilings;  // empty: said in the section
};

struct CostBar {
  std::string label;        // instance
  std::string provenance;   // "measured" | "projected"
  double usd_per_million_tokens = 0.0;  // (USD per 1e6 tokens; > 0)
  std::string note;         // e.g. "price 2026-10-01, aws-pricing-api"
};

struct HtmlReportInput {
  std::string title = "trainbench nightly report";
  std::string generated_utc;       // ISO 8601, Z
  std::string source;              // the database path
  std::string cost_title;          // "run 14 (llama3.2-1b, 1024 tokens/step)"; empty when no run has costs
  std::vector<ReportSeries> series;  // series with at least two runs
  std::size_t single_run_series = 0; // series with one run: counted, not plotted
  Roofline roofline;
  BandwidthView bandwidth;
  std::vector<CostBar> costs;      // unpriced rows left out by the caller
  std::string cost_note;           // why there is no cost to draw, or what a newer model run lacked; "" = none
  std::vector<std::string> notes;  // free text lines shown under the title (escaped)
};

std::string render_html_report(const HtmlReportInput& input);

// `text` with & < > " ' replaced by entities: safe in element content and in
// quoted attribute values. C0 control characters other than tab, LF and CR,
// and DEL (never valid in HTML text), become U+FFFD.
std::string html_escape(std::string_view text);

}  // namespace tb
