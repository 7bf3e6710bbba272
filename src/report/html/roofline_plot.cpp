// The roofline of the latest run: achieved FLOP/s against arithmetic
// intensity (FLOP/B) on log-log axes (whole decades), the compute ceilings as
// horizontal lines from their ridge point on, the memory ceiling as the slope
// bandwidth x intensity up to the highest ridge, so that together they draw
// min(peak, bandwidth x I). Points and ceilings of a dtype share a colour.
#include <algorithm>
#include <cmath>
#include <numbers>
#include <string>
#include <vector>

#include "report/html/html_text.h"
#include "report/html/report_sections.h"
#include "report/html/svg_plot.h"

namespace tb::html {

namespace {

constexpr double kWidth = 960;  // SVG viewBox (px)
constexpr double kHeight = 440;
constexpr PlotArea kArea{74, 16, kWidth - 74 - 20, kHeight - 16 - 50};

// The colour class of a dtype: its position among the dtypes seen, "cg" (grey) when empty.
class DtypeColours {
 public:
  std::string of(const std::string& dtype) const {
    if (dtype.empty()) return "cg";
    const auto it = std::find(seen_.begin(), seen_.end(), dtype);
    return colour_class(static_cast<std::size_t>(it - seen_.begin()));
  }
  void add(const std::string& dtype) {
    if (!dtype.empty() && std::find(seen_.begin(), seen_.end(), dtype) == seen_.end()) seen_.push_back(dtype);
  }
  const std::vector<std::string>& dtypes() const { return seen_; }

 private:
  std::vector<std::string> seen_;
};

// The dtype whose ceiling is `p`'s roof: the precision it computed in.
const std::string& roof_dtype(const RooflinePoint& p) { return p.roof_dtype.empty() ? p.dtype : p.roof_dtype; }

// The attainable FLOP/s at intensity `i` under the ceiling of `dtype`: min(its peak, bandwidth x i); 0 when unknown.
double roof_at(const Roofline& r, const std::string& dtype, double i) {
  for (const RooflineCeiling& c : r.compute) {
    if (!dtype.empty() && c.dtype == dtype && positive(c.flop_per_s)) {
      return positive(r.memory_bytes_per_s) ? std::min(c.flop_per_s, r.memory_bytes_per_s * i) : c.flop_per_s;
    }
  }
  return 0;
}

// Whole decades around `lo`..`hi` with some room at both ends.
void decade_range(double lo, double hi, double& out_lo, double& out_hi) {
  out_lo = std::pow(10.0, std::floor(std::log10(lo / 1.5)));
  out_hi = std::pow(10.0, std::ceil(std::log10(hi * 1.5)));
}

// Tick labels with SI prefixes ("500 G", "2 T"), or plain numbers ("0.1", "1000") where `plain`.
std::vector<Tick> log_axis_ticks(double lo, double hi, bool plain) {
  std::vector<Tick> ticks;
  for (double v : log_ticks(lo, hi)) {
    ticks.push_back({v, plain && v >= 1e-3 && v < 1e5 ? significant(v, 3) : format_si(v)});
  }
  return ticks;
}

std::string flops_text(double v) { return format_si(v) + "FLOP/s"; }

std::string percent_of_roof(const Roofline& r, const RooflinePoint& p) {
  const double roof = roof_at(r, roof_dtype(p), p.flop_per_byte);
  return roof > 0 ? fixed(100.0 * p.flop_per_s / roof, 1) + "%" : "\xE2\x80\x94";  // em dash
}

struct Frame {
  Scale x, y;
};

void append_memory_ceiling(std::string& out, const Roofline& r, const Frame& f) {
  const double bw = r.memory_bytes_per_s;
  double top_peak = 0;
  for (const RooflineCeiling& c : r.compute) {
    if (positive(c.flop_per_s)) top_peak = std::max(top_peak, c.flop_per_s);
  }
  const double x_start = std::max(f.x.lo(), f.y.lo() / bw);
  const double x_end = std::min(top_peak > 0 ? top_peak / bw : f.x.hi(), f.y.hi() / bw);
  if (!(x_start < x_end)) return;
  const double x1 = f.x(x_start), y1 = f.y(bw * x_start), x2 = f.x(x_end), y2 = f.y(bw * x_end);
  out += "<g class=\"ceiling memory\">";
  append_title(out, "memory bandwidth ceiling: " + format_si(bw) + "B/s \xC3\x97 intensity");
  append_line(out, "roof", x1, y1, x2, y2);
  // The label runs along the slope, a quarter of the way up, just above it.
  const double angle = std::atan2(y2 - y1, x2 - x1) * 180.0 / std::numbers::pi;
  const double lx = x1 + 0.25 * (x2 - x1), ly = y1 + 0.25 * (y2 - y1);
  out += "<text class=\"roof-label\" transform=\"translate(";
  append_coord(out, lx);
  out += ' ';
  append_coord(out, ly);
  out += ") rotate(";
  append_coord(out, angle);
  out += ")\" y=\"-6\">";
  append_escaped(out, "memory " + format_si(bw) + "B/s");
  out += "</text></g>";
}

void append_compute_ceilings(std::string& out, const Roofline& r, const Frame& f, const DtypeColours& colours) {
  for (const RooflineCeiling& c : r.compute) {
    if (!positive(c.flop_per_s) || c.flop_per_s > f.y.hi() || c.flop_per_s < f.y.lo()) continue;
    const double ridge = positive(r.memory_bytes_per_s) ? c.flop_per_s / r.memory_bytes_per_s : f.x.lo();
    const double x_start = std::max(f.x.lo(), ridge);
    if (x_start >= f.x.hi()) continue;
    const double py = f.y(c.flop_per_s);
    out += "<g class=\"ceiling " + colours.of(c.dtype) + "\">";
    append_title(out, c.label + ": " + flops_text(c.flop_per_s));
    append_line(out, "roof", f.x(x_start), py, f.x(f.x.hi()), py);
    append_text(out, "roof-label", f.x(f.x.hi()) - 4, py - 5, "end", c.label + " \xC2\xB7 " + flops_text(c.flop_per_s));
    out += "</g>";
  }
}

constexpr double kMarkerRadius = 5;

// Each point numbered as its row in the table below the plot, the number
// placed clear of every other label and marker (a leader line where it had
// to move away); its tooltip names it. Returns the numbers left out.
int append_points(std::string& out, const Roofline& r, const Frame& f, const DtypeColours& colours) {
  std::vector<std::size_t> drawn;
  std::vector<std::pair<double, double>> at;
  std::vector<std::string> numbers;
  for (std::size_t i = 0; i < r.points.size(); ++i) {
    const RooflinePoint& p = r.points[i];
    if (!positive(p.flop_per_byte) || !positive(p.flop_per_s)) continue;
    drawn.push_back(i);
    at.emplace_back(f.x(p.flop_per_byte), f.y(p.flop_per_s));
    numbers.push_back(std::to_string(i + 1));
  }
  const std::vector<std::optional<Box>> labels = place_labels(at, numbers, kArea, kMarkerRadius);
  int left_out = 0;
  for (std::size_t k = 0; k < drawn.size(); ++k) {
    const RooflinePoint& p = r.points[drawn[k]];
    const auto [px, py] = at[k];
    out += "<g class=\"" + colours.of(p.dtype) + "\">";
    std::string tip = "#" + numbers[k] + " " + p.label + " \xC2\xB7 " + p.dtype + " \xC2\xB7 " +
                      significant(p.flop_per_byte, 3) + " FLOP/B \xC2\xB7 " + flops_text(p.flop_per_s) +
                      " \xC2\xB7 " + percent_of_roof(r, p) + " of the " + roof_dtype(p) + " roof";
    append_title(out, tip);
    out += "<circle class=\"rpt\"";
    append_coord_attr(out, "cx", px);
    append_coord_attr(out, "cy", py);
    out += " r=\"5\"/>";
    if (const std::optional<Box>& box = labels[k]) {
      // Nearest point of the label's box; a leader from the marker's edge when the label stands off.
      const double nx = std::clamp(px, box->x, box->x + box->width);
      const double ny = std::clamp(py, box->y, box->y + box->height);
      const double distance = std::hypot(nx - px, ny - py);
      if (distance > kMarkerRadius + 6) {
        const double ux = (nx - px) / distance, uy = (ny - py) / distance;
        append_line(out, "leader", px + ux * (kMarkerRadius + 1), py + uy * (kMarkerRadius + 1), nx - ux, ny - uy);
      }
      append_text(out, "rpt-num", box->x, box->y + 9, "start", numbers[k]);
    } else {
      ++left_out;
    }
    out += "</g>";
  }
  return left_out;
}

// Returns the point numbers left out of the plot (no clear place for them).
int append_svg(std::string& out, const Roofline& r, const DtypeColours& colours) {
  double x_min = INFINITY, x_max = 0, y_min = INFINITY, y_max = 0;
  for (const RooflinePoint& p : r.points) {
    if (!positive(p.flop_per_byte) || !positive(p.flop_per_s)) continue;
    x_min = std::min(x_min, p.flop_per_byte);
    x_max = std::max(x_max, p.flop_per_byte);
    y_min = std::min(y_min, p.flop_per_s);
    y_max = std::max(y_max, p.flop_per_s);
  }
  for (const RooflineCeiling& c : r.compute) {
    if (!positive(c.flop_per_s)) continue;
    y_min = std::min(y_min, c.flop_per_s);
    y_max = std::max(y_max, c.flop_per_s);
    if (!positive(r.memory_bytes_per_s)) continue;
    x_min = std::min(x_min, c.flop_per_s / r.memory_bytes_per_s);
    x_max = std::max(x_max, c.flop_per_s / r.memory_bytes_per_s);
  }
  double x_lo, x_hi, y_lo, y_hi;
  decade_range(x_min, x_max, x_lo, x_hi);
  decade_range(y_min, y_max, y_lo, y_hi);
  const Frame f{Scale::log10(x_lo, x_hi, kArea.left, kArea.right()),
                Scale::log10(y_lo, y_hi, kArea.bottom(), kArea.top)};

  open_svg(out, kWidth, kHeight, "plot roofline", "roofline: achieved FLOP/s against arithmetic intensity");
  append_axes(out, kArea, f.x, log_axis_ticks(x_lo, x_hi, true), f.y, log_axis_ticks(y_lo, y_hi, false),
              "arithmetic intensity (FLOP/B, log scale)", "achieved FLOP/s (log scale)");
  if (positive(r.memory_bytes_per_s)) append_memory_ceiling(out, r, f);
  append_compute_ceilings(out, r, f, colours);
  const int left_out = append_points(out, r, f, colours);
  out += "</svg>";
  return left_out;
}

void append_legend(std::string& out, const DtypeColours& colours) {
  out += "<p class=\"legend\">";
  for (const std::string& dtype : colours.dtypes()) {
    out += "<span class=\"key " + colours.of(dtype) + "\"></span>";
    append_escaped(out, dtype);
    out += ' ';
  }
  out += "<span class=\"key line\"></span>ceiling (roof)</p>";
}

void append_table(std::string& out, const Roofline& r) {
  out += "<table><thead><tr><th class=\"num\">#</th><th>problem</th><th>dtype</th><th class=\"num\">intensity (FLOP/B)</th>"
         "<th class=\"num\">achieved</th><th class=\"num\">roof at this intensity</th>"
         "<th class=\"num\">of roof</th></tr></thead><tbody>";
  for (std::size_t i = 0; i < r.points.size(); ++i) {
    const RooflinePoint& p = r.points[i];
    const double roof = roof_at(r, roof_dtype(p), p.flop_per_byte);
    out += "<tr>";
    append_element(out, "td", "num", std::to_string(i + 1));
    append_element(out, "td", "", p.label);
    append_element(out, "td", "", p.dtype);
    append_element(out, "td", "num", significant(p.flop_per_byte, 3));
    append_element(out, "td", "num", flops_text(p.flop_per_s));
    append_element(out, "td", "num", roof > 0 ? flops_text(roof) + " (" + roof_dtype(p) + ")" : "\xE2\x80\x94");
    append_element(out, "td", "num", percent_of_roof(r, p));
    out += "</tr>";
  }
  out += "</tbody></table>";
}

}  // namespace

void append_roofline_section(std::string& out, const Roofline& roofline) {
  out += "<section id=\"roofline\"><h2>Roofline of the latest run with compute kernels</h2>";
  if (!roofline.title.empty()) append_element(out, "p", "sub", roofline.title);
  const bool drawable = std::any_of(roofline.points.begin(), roofline.points.end(), [](const RooflinePoint& p) {
    return positive(p.flop_per_byte) && positive(p.flop_per_s);
  });
  if (!drawable) {
    out += "<p class=\"empty\">No roofline: no run in the window has a measured compute kernel with a known "
           "arithmetic intensity.</p></section>";
    return;
  }
  DtypeColours colours;
  for (const RooflinePoint& p : roofline.points) colours.add(p.dtype);
  for (const RooflineCeiling& c : roofline.compute) colours.add(c.dtype);

  out += "<figure class=\"card wide\">";
  const int left_out = append_svg(out, roofline, colours);
  append_legend(out, colours);
  // Points under another dtype's ceiling: the precision they computed in, said once per pair.
  std::vector<std::string> said;
  for (const RooflinePoint& p : roofline.points) {
    if (roof_dtype(p) == p.dtype) continue;
    const std::string pair = p.dtype + " under the " + roof_dtype(p) + " roof";
    if (std::find(said.begin(), said.end(), pair) != said.end()) continue;
    said.push_back(pair);
    append_element(out, "p", "units",
                   p.dtype + " points sit under the " + roof_dtype(p) + " ceiling: this device computed them in " +
                       roof_dtype(p) + " (no " + p.dtype + " arithmetic of its own), and their % of roof is of the " +
                       roof_dtype(p) + " peak.");
  }
  if (left_out > 0) {
    append_element(out, "p", "units",
                   std::to_string(left_out) + (left_out == 1 ? " point number" : " point numbers") +
                       " left out where points crowd: hover a point for its problem, or read the table.");
  }
  out += "<p class=\"units\">x: arithmetic intensity, FLOP per minimum byte moved (log) \xC2\xB7 "
         "y: achieved FLOP/s (log; k, M, G, T, P = 10<sup>3</sup>, 10<sup>6</sup>, 10<sup>9</sup>, "
         "10<sup>12</sup>, 10<sup>15</sup>) \xC2\xB7 roof: min(peak of the dtype each point computed in, memory "
         "bandwidth \xC3\x97 intensity) \xC2\xB7 points numbered as in the table; hover one for its "
         "problem \xC2\xB7 all-reduces: bandwidth view below</p>";
  if (roofline.compute.empty()) {
    out += "<p class=\"empty\">Peak FLOP/s of this device unknown: no compute ceilings drawn.</p>";
  }
  if (!positive(roofline.memory_bytes_per_s)) {
    out += "<p class=\"empty\">Memory bandwidth of this device unknown: no bandwidth ceiling drawn.</p>";
  }
  append_table(out, roofline);
  out += "</figure></section>";
}

}  // namespace tb::html
