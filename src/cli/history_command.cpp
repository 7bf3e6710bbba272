// trainbench history import FILE... and trainbench history list.
#include <chrono>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "common/plain_table.h"
#include "history/history_db.h"
#include "history/new_history_guard.h"
#include "history/tracking_options.h"
#include "report/result_json.h"

namespace tb::cli {

int history_import_command(const HistoryImportArgs& args) {
  const std::string db_path = args.db.empty() ? kDefaultHistoryDb : args.db;
  // Every file is read and checked first: a bad one records nothing.
  std::vector<RunRecord> records;
  records.reserve(args.files.size());
  for (const std::string& file : args.files) {
    Expected<RunRecord> record = read_result_file(file);
    if (!record) return report_error(record.error());
    records.push_back(std::move(*record));
  }
  NewHistoryGuard new_db(db_path);  // declared first, so it acts after `db` is closed
  Expected<HistoryDb> db = HistoryDb::open(db_path, HistoryDb::Mode::kReadWrite);
  if (!db) return report_error(db.error());
  int imported = 0, present = 0;
  for (std::size_t i = 0; i < records.size(); ++i) {
    // One transaction per run: an interrupted import keeps the runs it finished.
    const Expected<RecordOutcome> outcome = db->record(records[i], args.files[i]);
    if (!outcome) return report_error(outcome.error());
    if (outcome->already_present) {
      ++present;
      std::cout << args.files[i] << ": already in the history as run " << outcome->run_id << "\n";
    } else {
      ++imported;
      new_db.keep();
      std::cout << args.files[i] << ": run " << outcome->run_id << " (" << records[i].results.size()
                << " problems)\n";
    }
    std::cout.flush();
  }
  std::cout << "history: " << db_path << " (schema version " << db->schema_version() << "): " << imported
            << " runs imported, " << present << " already present\n";
  return 0;
}

int history_list_command(const std::string& db_arg, const std::string& since_arg, const std::string& format) {
  const std::string db_path = db_arg.empty() ? kDefaultHistoryDb : db_arg;
  const Expected<std::string> since = parse_since(since_arg, std::chrono::system_clock::now());
  if (!since) return report_error(since.error());
  Expected<HistoryDb> db = HistoryDb::open(db_path, HistoryDb::Mode::kReadOnly);
  if (!db) return report_error(db.error());
  const Expected<std::vector<HistoryRun>> runs = db->runs(*since);
  if (!runs) return report_error(runs.error());
  if (format == "json") {
    nlohmann::json out = nlohmann::json::array();
    for (const HistoryRun& r : *runs) {
      out.push_back({{"run_id", r.id}, {"timestamp_utc", r.timestamp_utc}, {"host", r.host}, {"backend", r.backend},
                     {"device", r.device}, {"instance", r.instance}, {"git_commit", r.git_commit},
                     {"problem_count", r.measurement_count}, {"source", r.source}});
    }
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  std::vector<std::vector<std::string>> rows = {
      {"run", "time", "host", "backend", "device", "instance", "commit", "problems", "source"},
      {"id", "UTC", "", "", "", "", "", "count", ""}};
  for (const HistoryRun& r : *runs) {
    rows.push_back({std::to_string(r.id), r.timestamp_utc, r.host, r.backend, r.device,
                    r.instance.empty() ? "-" : r.instance, r.git_commit, std::to_string(r.measurement_count),
                    r.source});
  }
  std::cout << render_rows(rows, {true, false, false, false, false, false, false, true, false});
  std::cout << runs->size() << " runs in " << db_path << (since->empty() ? "" : " since " + *since) << "\n";
  return 0;
}

}  // namespace tb::cli
