// Sub-commands of the trainbench executable. Each returns the process exit
// status: 0 ok, 1 a run or verification failed, 2 bad input (docs/cli.md).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "runner/runner.h"

namespace tb::cli {

struct RunArgs {
  std::string backend = "cpu";
  std::vector<std::string> problems;  // problem strings or sweeps
  std::vector<std::string> suites;    // suite file paths
  RunOptions options;
  std::string out_dir = "results";
  std::string format = "table";  // table | json | csv (stdout)
  double min_busbw_gb_per_s = 0.0;  // exit 1 when collectives' average bus bandwidth is below (GB/s); 0 = no floor
  std::string command_line;      // as typed, for the record
  std::string executable;
};

int run_command(const RunArgs& args);
int list_command(const std::string& what);  // "backends" | "kernels"
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
};
// Updates the catalog's on-demand prices from FILE and prints a table of the
// instances updated; writes nothing on bad input (exit 2).
int pricing_import_command(const PricingImportArgs& args);

// Prints "trainbench: error: <message>" to stderr and returns the exit status for the error.
int report_error(const Error& error);

}  // namespace tb::cli
