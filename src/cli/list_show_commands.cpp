#include <algorithm>
#include <cstdio>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <vector>

#include "backends/backend_registry.h"
#include "catalog/instance_catalog.h"
#include "cli/commands.h"
#include "common/format.h"
#include "common/plain_table.h"
#include "kernels/kernel_registry.h"
#include "report/result_json.h"
#include "report/text_report.h"

namespace tb::cli {

int list_command(const std::string& what) {
  if (what == "kernels") {
    for (const KernelInfo& k : kernels()) {
      std::cout << k.name << ": " << k.summary << "\n  keys: " << k.keys << "\n  example: " << k.example << "\n";
    }
    return 0;
  }
  for (const BackendEntry& e : backend_entries()) {
    const std::unique_ptr<Backend> backend = e.create(BackendOptions{});
    const Status status = backend->available();
    std::cout << e.name << ": " << (status ? "available" : "unavailable") << ": ";
    if (status) {
      const DeviceInfo d = backend->device_info();
      const std::string units = compute_units_text(d);
      std::cout << d.name << (units.empty() ? "" : ", " + units) << "; " << e.summary;
    } else {
      std::cout << status.error().message;
    }
    std::cout << "\n";
  }
  // Not a registered Backend: run hands --backend projected to projected_run_command().
  std::cout << "projected: available: projection onto catalog instances: nothing runs; every figure labelled "
               "projected\n";
  return 0;
}

namespace {

std::string format_figure(const std::optional<double>& value) { return value ? format_significant(*value, 10) : "-"; }

}  // namespace

int list_instances_command(const std::string& catalog_path, int max_price_age_days) {
  const std::string path = catalog_path.empty() ? default_instance_catalog_path() : catalog_path;
  Expected<InstanceCatalog> catalog = read_instance_catalog(path);
  if (!catalog) return report_error(catalog.error());

  // Header, units row, then one row per instance; the last column (source) is not padded.
  std::vector<std::vector<std::string>> rows = {
      {"instance", "accelerator", "peak_bf16", "on_demand", "price_status", "price_date", "price_source"},
      {"", "(type x count)", "(TFLOPS/acc)", "(USD/h)", "", "", ""},
  };
  for (const Instance& i : catalog->instances) {
    const std::string accelerator =
        i.accelerator_count > 0 ? i.accelerator + " x" + std::to_string(i.accelerator_count) : std::string("-");
    rows.push_back({i.name, accelerator, format_figure(i.peak_bf16_tflops), format_figure(i.on_demand_usd_per_hour),
                    to_string(i.price_status), i.price_date.empty() ? "-" : i.price_date,
                    i.price_source.empty() ? "-" : i.price_source});
  }
  std::cout << render_rows(rows, {false, false, true, true, false, false, false});
  for (const std::string& warning : stale_prices(*catalog, today_utc(), max_price_age_days)) {
    report_warning(warning);
  }
  return 0;
}

std::string render_record(const RunRecord& record, const std::string& format) {
  if (format == "json") return to_json(record).dump(2) + "\n";
  if (format == "csv") return render_csv(record);
  return render_table(record);
}

int show_command(const std::string& path, const std::string& format) {
  Expected<RunRecord> record = read_result_file(path);
  if (!record) return report_error(record.error());
  std::cout << render_record(*record, format);
  return 0;
}

}  // namespace tb::cli
