// Internal to tb_html: the four sections of the report page, each appended
// to `out` as a <section> (heading, plots, units notes, or a sentence saying
// there is nothing to draw). Every string from the input is escaped.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "report/html/html_report.h"

namespace tb::html {

// Throughput over time: one card with one SVG per series.
void append_throughput_section(std::string& out, const std::vector<ReportSeries>& series,
                               std::size_t single_run_series);

// The roofline of the latest run: one log-log SVG and a table of its points.
void append_roofline_section(std::string& out, const Roofline& roofline);

// All-reduce bus bandwidth against message size under its ceilings, and a table.
void append_bandwidth_section(std::string& out, const BandwidthView& view);

// USD per 1M tokens by instance: horizontal bars, cheapest first, and a table;
// `note` (why there is nothing to draw, or what a newer run lacked) said in the section.
void append_cost_section(std::string& out, std::string_view cost_title, const std::vector<CostBar>& costs,
                         std::string_view note);

}  // namespace tb::html
