// Sub-commands of the trainbench executable. Each returns the process exit
// status: 0 ok, 1 a run or verification failed, 2 bad input (docs/cli.md).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "runner/project_session.h"
#include "runner/run_request.h"

namespace tb::cli {

int run_command(const RunRequest& args);

// run --backend projected --instance NAME: each problem's time and throughput
// projected onto one catalog instance (roofline and alpha-beta ring models of
// docs/cost.md); nothing runs or is verified, every figure is labelled
// `projected`. run_command() hands over to it.
int projected_run_command(const RunRequest& args);

// trainbench cost --results FILE: the comparison of a run --model result,
// recomputed with today's catalog and the options given.
struct CostArgs {
  std::string results;  // result JSON written by run --model
  ModelRequest model;      // instances, pricing, prices, train_tokens, efficiency, catalog (the rest is from the file)
  std::string format = "table";  // table | csv | json
};
int cost_command(const CostArgs& args);
int list_command(const std::string& what);  // "backends" | "kernels"
// The shipped models with parameter counts and training FLOP per token (decomposition and analytic).
int list_models_command();
// The instance catalog as a table; stale-price warnings on stderr. Empty
// `catalog` = the shipped data/instances.csv.
int list_instances_command(const std::string& catalog, int max_price_age_days);
int show_command(const std::string& path, const std::string& format);

// trainbench pricing import FILE (docs/catalog.md, "Importing prices").
struct PricingImportArgs {
  std::string file;     // the price file
  std::string format;   // "aws" | "skypilot"; empty = from the file name (.json | .csv)
  std::string catalog;  // empty = the shipped data/instances.csv
  std::string out;      // empty = write back to the catalog
  std::string date;     // skypilot: price_date, YYYY-MM-DD; empty = today (UTC)
  bool force = false;   // replace prices dated after the file's (default: refuse, exit 2)
};
// Updates the catalog's on-demand prices from FILE and prints a table of the
// instances updated; writes nothing on bad input (exit 2).
int pricing_import_command(const PricingImportArgs& args);

// trainbench neff-info NEFF: the NEFF's tensors (name, input/output, dtype,
// shape, bytes) in the runtime's order, as JSON on stdout; loads it with the
// Neuron runtime, so it runs on a Trainium host (or against the tests' fake).
struct NeffInfoArgs {
  std::string neff;
  std::string runtime;  // --neuron-runtime; empty = the backend's search
  int lnc = 1;          // logical NeuronCore size the NEFF was compiled for
};
int neff_info_command(const NeffInfoArgs& args);

// The record as `format` prints it: "json" (the result file's document),
// "csv", or "table" (render_table alone, without run's device lines).
std::string render_record(const RunRecord& record, const std::string& format);

// Nightly tracking (docs/nightly.md). `db` empty = results/history.db.
struct HistoryImportArgs {
  std::vector<std::string> files;  // result JSON files; all are read and checked before any is recorded
  std::string db;
};
int history_import_command(const HistoryImportArgs& args);
int history_list_command(const std::string& db, const std::string& since, const std::string& format);

// trainbench compare BASE CONTENDER: each a result file or a run id of the history.
struct CompareArgs {
  std::string base, contender;
  std::string db;
  std::string threshold = "5%";  // relative change of the median time that counts
  double alpha = 0.05;           // significance level of the U test
  std::string format = "table";  // table | json
};
int compare_command(const CompareArgs& args);  // 1 when any problem regressed

struct RegressionsArgs {
  std::string db;
  std::string since = "30d";
  std::string threshold = "5%";  // smallest level change reported
  double max_p = 0.01;           // permutation p-value at or below which a change is significant
  std::string format = "table";  // table | json
};
int regressions_command(const RegressionsArgs& args);  // 1 when any series got slower

struct ReportArgs {
  std::string db;
  std::string out = "results/report.html";
  std::string since = "365d";
  std::string threshold = "5%";
  double max_p = 0.01;
};
int report_command(const ReportArgs& args);

// trainbench project: a training job projected on instance types
// (docs/cost.md, "Projecting a training job"); bad input exits 2.
struct ProjectArgs {
  ProjectRequest request;
  std::string format = "table";  // table | csv | json
};
int project_command(const ProjectArgs& args);

// trainbench validate: every published run projected, errors per row, per
// device class and leave-one-out (docs/cost.md, "Published runs and the stated error").
struct ValidateArgs {
  ValidateRequest request;
  std::string format = "table";  // table | json
};
int validate_command(const ValidateArgs& args);

// Prints "trainbench: error: <message>" to stderr and returns the exit status
// for the error. The message is printed through escape_control
// (src/common/echo.h): whatever user input it echoes reaches the terminal
// printable and whole (a NUL does not cut it short).
int report_error(const Error& error);
// Prints "trainbench: warning: <message>" to stderr, escaped like report_error.
void report_warning(const std::string& message);

}  // namespace tb::cli
