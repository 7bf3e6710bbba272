#include <cstdio>
#include <iostream>

#include "backends/backend_registry.h"
#include "cli/commands.h"
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
      std::cout << d.name << ", " << d.compute_units << " threads; " << e.summary;
    } else {
      std::cout << status.error().message;
    }
    std::cout << "\n";
  }
  return 0;
}

int show_command(const std::string& path, const std::string& format) {
  Expected<RunRecord> record = read_result_file(path);
  if (!record) return report_error(record.error());
  if (format == "json") {
    std::cout << to_json(*record).dump(2) << "\n";
  } else if (format == "csv") {
    std::cout << render_csv(*record);
  } else {
    std::cout << render_table(*record);
  }
  return 0;
}

}  // namespace tb::cli
