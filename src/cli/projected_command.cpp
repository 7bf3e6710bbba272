// trainbench run --backend projected: the projected run (src/runner/projected_run.h)
// written to a result file and printed. Nothing runs on this machine.
#include <iostream>

#include "cli/commands.h"
#include "common/atomic_file.h"
#include "report/collective_report.h"
#include "report/result_json.h"
#include "runner/projected_run.h"

namespace tb::cli {

int projected_run_command(const RunRequest& args) {
  if (!args.db.empty()) {
    return report_error(bad_input("--db records measured runs into the history: --backend projected measures nothing "
                                  "(drop --db)"));
  }
  const Expected<ProjectedRun> run = project_run(args);
  if (!run) return report_error(run.error());
  if (Status s = check_writable_directory(args.out_dir); !s) return report_error(s.error());
  const RunRecord& record = run->record;
  const Expected<std::string> path = create_result_file(result_file_stem(args.out_dir, record.context), record);
  if (!path) return report_error(path.error());

  std::cout << render_record(record, args.format);
  if (args.format == "table") {
    const std::string lines = "projected: nothing ran on this machine; figures are a roofline projection for " +
                              run->instance + " (docs/cost.md)\npeak source: " + record.context.device.peak_source +
                              "\nresults: " + *path + "\n";
    std::cout << (has_collectives(record) ? as_comment_lines(lines) : lines);  // after an nccl-tests table: comments
  }
  return 0;
}

}  // namespace tb::cli
