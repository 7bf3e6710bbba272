// trainbench: verified kernel throughput and training cost across devices.
// Exit status: 0 ok, 1 a problem failed to run or verify, 2 bad input.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>

#include "cli/commands.h"
#include "trainbench/build_info.h"

namespace {

std::string shell_quote(const std::string& arg) {
  if (!arg.empty() && arg.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./=:,") ==
                          std::string::npos) {
    return arg;
  }
  std::string out = "'";
  for (char c : arg) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

constexpr const char* kRunExamples = R"(
Examples:
  trainbench run --problem gemm:m=4096,n=4096,k=4096,dtype=fp32
  trainbench run --backend cpu-onednn --problem 'gemm:m=1024:8192:*2,n=4096,k=4096,dtype=bf16'
  trainbench run --suite benchmarks/suites/default.suite --repetitions 9 --out results/
  trainbench run --problem gemm:m=512,n=512,k=512,ta=1 --format csv > gemm.csv
  trainbench run --problem 'allreduce:bytes=1K:64M:*4,ranks=4'
  mpirun -np 2 trainbench run --problem 'allreduce:bytes=1M:64M:*2,ranks=2,algo=ring|mpi' --min-busbw 1

Sweeps: m=256|512|1024 (list), m=1024:8192:*2 (multiply), m=128:512:+128 (add).
Exit status: 0 ok, 1 a problem failed verification or could not run, 2 bad input.)";

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"trainbench: kernel throughput verified against a reference, on CPUs, GPUs and Trainium"};
  app.set_version_flag("--version", std::string("trainbench ") + tb::build::kVersion + " (" + tb::build::kGitCommit + ")");
  app.require_subcommand(1);

  tb::cli::RunArgs run;
  CLI::App* run_cmd = app.add_subcommand("run", "Run, verify and time problems on one backend");
  run_cmd->add_option("-b,--backend", run.backend, "Backend name (trainbench list backends)")->capture_default_str();
  run_cmd->add_option("-p,--problem", run.problems, "Problem string or sweep; repeatable");
  run_cmd->add_option("-s,--suite", run.suites, "Suite file: one problem or sweep per line; repeatable");
  run_cmd->add_option("-r,--repetitions", run.options.repetitions, "Timed repetitions per problem")->capture_default_str();
  run_cmd->add_option("--min-time", run.options.min_time_s, "Minimum device time per repetition, seconds")
      ->capture_default_str();
  run_cmd->add_option("--warmup-time", run.options.warmup_time_s, "Untimed warm-up before timing, seconds")
      ->capture_default_str();
  run_cmd->add_option("--seed", run.options.seed, "Seed of the input fill and verification sample")
      ->check(CLI::Validator(  // CLI11 would otherwise wrap -1 around to 2^64-1
          [](std::string& value) {
            return value.find('-') == std::string::npos ? std::string()
                                                        : value + " is negative: expected 0 to 18446744073709551615";
          },
          ""))
      ->capture_default_str();
  run_cmd->add_option("-t,--threads", run.options.threads, "Host threads; 0 = all logical CPUs")->capture_default_str();
  run_cmd->add_option("--comm-timeout", run.options.comm_timeout_s,
                      "Collectives: seconds a rank waits for another before the run fails")
      ->capture_default_str();
  run_cmd->add_option("--min-busbw", run.min_busbw_gb_per_s,
                      "Collectives: exit 1 when the average bus bandwidth is below this, GB/s (0 = no floor)")
      ->capture_default_str();
  run_cmd->add_option("-o,--out", run.out_dir, "Directory for the JSON result file")->capture_default_str();
  run_cmd->add_option("-f,--format", run.format, "What to print on stdout")
      ->check(CLI::IsMember({"table", "json", "csv"}))
      ->capture_default_str();
  run_cmd->footer(kRunExamples);

  std::string list_what, list_catalog;
  int list_max_price_age_days = 90;
  CLI::App* list_cmd = app.add_subcommand("list", "List backends (with availability), kernels or instances");
  list_cmd->add_option("what", list_what, "backends | kernels | instances")
      ->required()
      ->check(CLI::IsMember({"backends", "kernels", "instances"}));
  list_cmd->add_option("--catalog", list_catalog, "instances: catalog CSV file (default: the shipped data/instances.csv)");
  list_cmd->add_option("--max-price-age-days", list_max_price_age_days,
                       "instances: warn about prices dated more than this many days ago")
      ->check(CLI::Range(0, 36500))
      ->capture_default_str();

  std::string show_path, show_format = "table";
  CLI::App* show_cmd = app.add_subcommand("show", "Print a result file as a table, CSV or JSON");
  show_cmd->add_option("file", show_path, "Result JSON file")->required();
  show_cmd->add_option("-f,--format", show_format, "table | csv | json")
      ->check(CLI::IsMember({"table", "json", "csv"}))
      ->capture_default_str();

  tb::cli::PricingImportArgs pricing_import;
  CLI::App* pricing_cmd = app.add_subcommand("pricing", "Update the instance catalog's prices from a price file");
  pricing_cmd->require_subcommand(1);
  CLI::App* pricing_import_cmd = pricing_cmd->add_subcommand(
      "import", "Import on-demand prices from an AWS Price List offer file or a SkyPilot catalog CSV");
  pricing_import_cmd->add_option("file", pricing_import.file, "Price file (.json: AWS offer file; .csv: SkyPilot)")
      ->required();
  pricing_import_cmd->add_option("--format", pricing_import.format, "aws | skypilot (default: from the file name)")
      ->check(CLI::IsMember({"aws", "skypilot"}));
  pricing_import_cmd->add_option("--catalog", pricing_import.catalog,
                                 "Catalog CSV to update (default: the shipped data/instances.csv)");
  pricing_import_cmd->add_option("--out", pricing_import.out, "Write the updated catalog here (default: --catalog)");
  pricing_import_cmd->add_option("--date", pricing_import.date,
                                 "skypilot: price_date of the imported prices, YYYY-MM-DD (default: today, UTC)");

  // CLI11 reports a mistyped subcommand only as "A subcommand is required";
  // name the word the user typed instead.
  if (argc > 1 && argv[1][0] != '-') {
    try {
      app.get_subcommand(argv[1]);
    } catch (const CLI::OptionNotFound&) {
      std::fprintf(stderr,
                   "trainbench: error: unknown subcommand '%s': expected one of run, list, show, pricing "
                   "(trainbench --help)\n",
                   argv[1]);
      return 2;
    }
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }

  if (*run_cmd) {
    for (int i = 0; i < argc; ++i) run.command_line += (i ? " " : "") + shell_quote(argv[i]);
    run.executable = argv[0];
    return tb::cli::run_command(run);
  }
  if (*list_cmd) {
    if (list_what == "instances") return tb::cli::list_instances_command(list_catalog, list_max_price_age_days);
    return tb::cli::list_command(list_what);
  }
  if (*pricing_cmd) return tb::cli::pricing_import_command(pricing_import);
  return tb::cli::show_command(show_path, show_format);
}
