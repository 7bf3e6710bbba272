#include <iostream>

#include "cli/commands.h"
#include "report/project_report.h"

namespace tb::cli {

int project_command(const ProjectArgs& args) {
  Expected<ProjectSession> s = run_project(args.request);
  if (!s) return report_error(s.error());
  for (const std::string& w : s->setup.warnings) report_warning(w);
  if (args.format == "json") {
    std::cout << job_to_json(s->job).dump(2) << "\n";
  } else if (args.format == "csv") {
    std::cout << render_job_csv(s->job);
  } else {
    std::cout << s->model.name << " on " << s->plan.devices << " devices, " << s->plan.summary() << ", "
              << s->plan.micro_batches() << " micro-batches per step, " << dtype_name(s->plan.dtype) << "; "
              << pricing_name(s->setup.pricing) << " prices\n";
    std::cout << render_job_table(s->job);
  }
  return 0;
}

int validate_command(const ValidateArgs& args) {
  Expected<ValidationReport> report = run_validate(args.request);
  if (!report) return report_error(report.error());
  if (args.format == "json") {
    std::cout << validation_to_json(*report).dump(2) << "\n";
  } else {
    std::cout << render_validation_table(*report);
  }
  return 0;
}

}  // namespace tb::cli
