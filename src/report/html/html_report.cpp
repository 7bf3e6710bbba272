// The page around the sections: head (charset, a Content-Security-Policy
// that forbids fetching anything, inline CSS with system fonts only), the
// header (title, generation time, source, notes), a table of contents, and
// the four sections (report_sections.h). No scripts at all.
#include "report/html/html_report.h"

#include "report/html/html_text.h"
#include "report/html/report_sections.h"

namespace tb {

namespace {

// Colours: c0..c5 for dtypes (roofline), cg grey; change points red (down) / green (up).
constexpr const char* kCss = R"css(
:root{--ink:#1f2933;--muted:#616e7c;--line:#d9e0e8;--bg:#f5f7fa;--card:#fff;--accent:#2f6fba;
--down:#c62828;--up:#2e7d32}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);
font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
header{background:#fff;border-bottom:1px solid var(--line);padding:20px 32px 14px}
h1{margin:0 0 4px;font-size:24px;font-weight:650}
h2{margin:28px 0 6px;font-size:19px;font-weight:650}
h3{margin:0;font-size:14px;font-weight:600;overflow-wrap:anywhere}
main{padding:0 32px 40px;max-width:1400px}
.meta,.sub,.summary,.units,.notes{color:var(--muted)}
.meta{margin:0}
.notes{margin:6px 0 0;padding-left:18px}
nav{margin-top:10px}
nav a{color:var(--accent);text-decoration:none;margin-right:18px;font-weight:500}
nav a:hover{text-decoration:underline}
.sub{margin:0 0 10px}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(520px,1fr));gap:16px}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:14px 16px;margin:0}
.card .sub,.card .summary{margin:2px 0 0;font-size:12.5px}
.units{font-size:12px;margin:6px 0 0}
.empty{background:#fff8e1;border:1px solid #f3e0a5;border-radius:6px;padding:10px 14px;color:#6b5a1e}
code{font-family:ui-monospace,"SF Mono",Menlo,Consolas,"DejaVu Sans Mono",monospace;font-size:12.5px;
background:#eef1f5;padding:1px 4px;border-radius:3px}
svg.plot{display:block;width:100%;height:auto;margin-top:8px;font-family:inherit}
.grid{stroke:#e8ecf1;stroke-width:1}
.axis{stroke:#9aa5b1;stroke-width:1}
.tick{font-size:11px;fill:var(--muted)}
.axis-title{font-size:11.5px;fill:var(--ink)}
.series-line{fill:none;stroke:var(--accent);stroke-width:1.4;stroke-linejoin:round}
.pts circle{fill:var(--accent)}
.pts circle:hover{fill:#0b3d7a;r:4}
.level{stroke:#8aa6cf;stroke-width:1.2;stroke-dasharray:2 3}
.change-line{stroke-width:1.3;stroke-dasharray:5 4}
.change-label{font-size:11px;font-weight:600}
.change.down .change-line{stroke:var(--down)}.change.down .change-label{fill:var(--down)}
.change.up .change-line{stroke:var(--up)}.change.up .change-label{fill:var(--up)}
.roof{stroke-width:2;fill:none}
.roof-label{font-size:11.5px}
.rpt{stroke:#fff;stroke-width:1.5}
.c0{--c:#2f6fba}.c1{--c:#d9822b}.c2{--c:#2e7d32}.c3{--c:#8e44ad}.c4{--c:#c62828}.c5{--c:#00838f}.cg{--c:#7b8794}.memory{--c:#52606d}
.ceiling .roof{stroke:var(--c)}.ceiling .roof-label{fill:var(--c)}.rpt{fill:var(--c)}
.legend{margin:6px 0 0;font-size:12.5px;color:var(--ink)}
.key{display:inline-block;width:11px;height:11px;border-radius:50%;background:var(--c);margin:0 5px 0 0;
vertical-align:-1px}
.key.line{width:16px;height:2px;border-radius:0;background:#52606d;vertical-align:3px;margin-left:8px}
.bar.measured{fill:var(--accent)}
.bar.projected{fill:url(#tb-hatch);stroke:var(--accent);stroke-width:1.5}
.bar-label{font-size:12.5px;fill:var(--ink)}
.bar-value{font-size:12px;font-weight:600;fill:var(--ink)}
.legend-text{font-size:12px;fill:var(--muted)}
table{border-collapse:collapse;margin-top:14px;font-size:12.5px;width:100%}
th,td{text-align:left;padding:5px 10px;border-bottom:1px solid var(--line);overflow-wrap:anywhere}
th{font-weight:600;color:var(--muted);background:#fafbfc}
tr.measured td{font-weight:600}
.rpt-num{font-size:10.5px;font-weight:600;fill:var(--ink)}
.leader{stroke:#9aa5b1;stroke-width:0.8}
.bw-line{fill:none;stroke:var(--c);stroke-width:1.6}
.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
footer{color:var(--muted);font-size:12px;padding:0 32px 24px}
)css";

void append_head(std::string& out, const HtmlReportInput& in) {
  out += "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
         "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
         "img-src data:\">"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
         // An empty data: icon, so that no browser asks for /favicon.ico.
         "<link rel=\"icon\" href=\"data:,\">";
  html::append_element(out, "title", "", in.title);
  out += "<style>";
  out += kCss;
  out += "</style></head>";
}

void append_header(std::string& out, const HtmlReportInput& in) {
  out += "<header>";
  html::append_element(out, "h1", "", in.title);
  out += "<p class=\"meta\">";
  if (!in.generated_utc.empty()) {
    out += "Generated ";
    html::append_escaped(out, in.generated_utc);
  }
  if (!in.source.empty()) {
    out += in.generated_utc.empty() ? "From " : " from ";
    out += "<code>";
    html::append_escaped(out, in.source);
    out += "</code>";
  }
  out += "</p>";
  if (!in.notes.empty()) {
    out += "<ul class=\"notes\">";
    for (const std::string& note : in.notes) html::append_element(out, "li", "", note);
    out += "</ul>";
  }
  out += "<nav><a href=\"#throughput\">Throughput over time (" + std::to_string(in.series.size()) +
         ")</a><a href=\"#roofline\">Roofline</a><a href=\"#bandwidth\">All-reduce bandwidth</a>"
         "<a href=\"#cost\">Cost per token</a></nav></header>";
}

// About the size of the page, so that the string grows once or twice, not tens of times.
std::size_t expected_size(const HtmlReportInput& in) {
  std::size_t points = 0;
  for (const ReportSeries& s : in.series) points += s.points.size();
  return 16384 + 6144 * in.series.size() + 160 * points + 512 * (in.roofline.points.size() + in.costs.size());
}

}  // namespace

std::string render_html_report(const HtmlReportInput& input) {
  std::string out;
  out.reserve(expected_size(input));
  append_head(out, input);
  out += "<body>";
  append_header(out, input);
  out += "<main>";
  html::append_throughput_section(out, input.series, input.single_run_series);
  html::append_roofline_section(out, input.roofline);
  html::append_bandwidth_section(out, input.bandwidth);
  html::append_cost_section(out, input.cost_title, input.costs, input.cost_note);
  out += "</main><footer>trainbench report \xC2\xB7 self-contained: no scripts, no network requests</footer>"
         "</body></html>\n";
  return out;
}

}  // namespace tb
