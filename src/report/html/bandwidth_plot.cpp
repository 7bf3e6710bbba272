// All-reduce bus bandwidth of a run against message size: busbw (GB/s,
// linear from 0) over bytes per rank (log, whole decades), one line per
// dtype, rank count, algorithm, transport and placement, and a horizontal
// line per known ceiling (memory or link bandwidth), so that a glance says how
// close the collective gets to what bounds it. A table repeats the numbers.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "report/html/html_text.h"
#include "report/html/report_sections.h"
#include "report/html/svg_plot.h"

namespace tb::html {

namespace {

constexpr double kWidth = 960;  // SVG viewBox (px)
constexpr double kHeight = 380;
constexpr PlotArea kArea{74, 16, kWidth - 74 - 20, kHeight - 16 - 50};

std::string gbps_text(double bytes_per_s) { return significant(bytes_per_s / 1e9, 3) + " GB/s"; }

// "1 KiB", "64 MiB", "3 B": a message size in binary units, as all-reduce sizes are chosen.
std::string size_text(double bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  std::size_t unit = 0;
  while (bytes >= 1024 && unit + 1 < std::size(kUnits)) {
    bytes /= 1024;
    ++unit;
  }
  return significant(bytes, 3) + " " + kUnits[unit];
}

// The groups in first-seen order; each point's colour class is its group's.
std::vector<std::string> groups_of(const BandwidthView& v) {
  std::vector<std::string> groups;
  for (const BandwidthPoint& p : v.points) {
    if (std::find(groups.begin(), groups.end(), p.group) == groups.end()) groups.push_back(p.group);
  }
  return groups;
}

std::string colour_of(const std::vector<std::string>& groups, const std::string& group) {
  const auto it = std::find(groups.begin(), groups.end(), group);
  return colour_class(static_cast<std::size_t>(it - groups.begin()));
}

bool drawable(const BandwidthPoint& p) { return positive(p.bytes) && positive(p.busbw_bytes_per_s); }

void append_svg(std::string& out, const BandwidthView& v, const std::vector<std::string>& groups) {
  double x_min = INFINITY, x_max = 0, y_max = 0;
  for (const BandwidthPoint& p : v.points) {
    if (!drawable(p)) continue;
    x_min = std::min(x_min, p.bytes);
    x_max = std::max(x_max, p.bytes);
    y_max = std::max(y_max, p.busbw_bytes_per_s);
  }
  for (const BandwidthCeiling& c : v.ceilings) {
    if (positive(c.bytes_per_s)) y_max = std::max(y_max, c.bytes_per_s);
  }
  const double x_lo = std::pow(10.0, std::floor(std::log10(x_min / 1.5)));
  const double x_hi = std::pow(10.0, std::ceil(std::log10(x_max * 1.5)));
  const double y_step = nice_step(0, y_max * 1.08 / 1e9, 5);
  const double y_hi = std::ceil(y_max * 1.08 / 1e9 / y_step) * y_step;
  const Scale x = Scale::log10(x_lo, x_hi, kArea.left, kArea.right());
  const Scale y = Scale::linear(0, y_hi, kArea.bottom(), kArea.top);

  std::vector<Tick> x_ticks;
  for (double b : log_ticks(x_lo, x_hi)) x_ticks.push_back({b, format_si(b) + "B"});
  const int decimals = std::max(0, -static_cast<int>(std::floor(std::log10(y_step) + 1e-9)));
  std::vector<Tick> y_ticks;
  for (double g : ticks_at_step(0, y_hi, y_step)) y_ticks.push_back({g, fixed(g, decimals)});

  open_svg(out, kWidth, kHeight, "plot bandwidth", "all-reduce bus bandwidth against message size");
  append_axes(out, kArea, x, x_ticks, y, y_ticks, "bytes per rank (log scale; kB, MB, GB = 10\xC2\xB3, 10\xE2\x81\xB6, 10\xE2\x81\xB9 B)",
              "bus bandwidth (GB/s)");
  for (const BandwidthCeiling& c : v.ceilings) {
    if (!positive(c.bytes_per_s)) continue;
    const double py = y(c.bytes_per_s / 1e9);
    out += "<g class=\"ceiling memory\">";
    append_title(out, c.label + ": " + gbps_text(c.bytes_per_s));
    append_line(out, "roof", kArea.left, py, kArea.right(), py);
    append_text(out, "roof-label", kArea.right() - 4, py - 5, "end", c.label + " \xC2\xB7 " + gbps_text(c.bytes_per_s));
    out += "</g>";
  }
  for (const std::string& group : groups) {
    std::vector<const BandwidthPoint*> line;
    for (const BandwidthPoint& p : v.points) {
      if (p.group == group && drawable(p)) line.push_back(&p);
    }
    std::stable_sort(line.begin(), line.end(),
                     [](const BandwidthPoint* a, const BandwidthPoint* b) { return a->bytes < b->bytes; });
    out += "<g class=\"bw " + colour_of(groups, group) + "\"><polyline class=\"bw-line\" points=\"";
    for (std::size_t i = 0; i < line.size(); ++i) {
      if (i > 0) out += ' ';
      append_coord(out, x(line[i]->bytes));
      out += ',';
      append_coord(out, y(line[i]->busbw_bytes_per_s / 1e9));
    }
    out += "\"/>";
    for (const BandwidthPoint* p : line) {
      out += "<circle class=\"rpt\"";
      append_coord_attr(out, "cx", x(p->bytes));
      append_coord_attr(out, "cy", y(p->busbw_bytes_per_s / 1e9));
      out += " r=\"4\">";
      append_title(out, p->label + " \xC2\xB7 " + size_text(p->bytes) + " per rank \xC2\xB7 busbw " +
                            gbps_text(p->busbw_bytes_per_s));
      out += "</circle>";
    }
    out += "</g>";
  }
  out += "</svg>";
}

void append_legend(std::string& out, const std::vector<std::string>& groups) {
  out += "<p class=\"legend\">";
  for (const std::string& group : groups) {
    out += "<span class=\"key " + colour_of(groups, group) + "\"></span>";
    append_escaped(out, group);
    out += ' ';
  }
  out += "<span class=\"key line\"></span>ceiling</p>";
}

void append_table(std::string& out, const BandwidthView& v) {
  const BandwidthCeiling* lowest = nullptr;  // the tightest known bound
  for (const BandwidthCeiling& c : v.ceilings) {
    if (positive(c.bytes_per_s) && (lowest == nullptr || c.bytes_per_s < lowest->bytes_per_s)) lowest = &c;
  }
  out += "<table><thead><tr><th>problem</th><th>line</th><th class=\"num\">bytes per rank</th>"
         "<th class=\"num\">busbw</th><th class=\"num\">of ";
  append_escaped(out, lowest != nullptr ? lowest->label : std::string("the ceiling"));
  out += "</th></tr></thead><tbody>";
  for (const BandwidthPoint& p : v.points) {
    out += "<tr>";
    append_element(out, "td", "", p.label);
    append_element(out, "td", "", p.group);
    append_element(out, "td", "num", size_text(p.bytes));
    append_element(out, "td", "num", gbps_text(p.busbw_bytes_per_s));
    append_element(out, "td", "num",
                   lowest != nullptr ? fixed(100.0 * p.busbw_bytes_per_s / lowest->bytes_per_s, 1) + "%"
                                     : "\xE2\x80\x94");  // em dash
    out += "</tr>";
  }
  out += "</tbody></table>";
}

}  // namespace

void append_bandwidth_section(std::string& out, const BandwidthView& view) {
  out += "<section id=\"bandwidth\"><h2>All-reduce bandwidth of the latest run with all-reduces</h2>";
  if (!view.title.empty() && !view.points.empty()) append_element(out, "p", "sub", view.title);
  if (std::none_of(view.points.begin(), view.points.end(), drawable)) {
    out += "<p class=\"empty\">No all-reduce in the history's runs: record one, e.g. <code>trainbench run "
           "--problem 'allreduce:bytes=1M:64M:*4,ranks=2' --db DB</code>.</p></section>";
    return;
  }
  const std::vector<std::string> groups = groups_of(view);
  out += "<figure class=\"card wide\">";
  append_svg(out, view, groups);
  append_legend(out, groups);
  out += "<p class=\"units\">x: bytes per rank (log) \xC2\xB7 y: bus bandwidth, GB/s (10<sup>9</sup> B/s), from 0: "
         "algbw \xC3\x97 2(n-1)/n for n ranks, what each link of a ring carries (nccl-tests' busbw) \xC2\xB7 "
         "ceilings: what bounds it \xC2\xB7 hover a point for its problem</p>";
  if (view.ceilings.empty()) {
    out += "<p class=\"empty\">Memory and link bandwidth of this device unknown: no ceiling drawn.</p>";
  }
  append_table(out, view);
  out += "</figure></section>";
}

}  // namespace tb::html
