// trainbench: verified kernel throughput and training cost across devices.
// Exit status: 0 ok, 1 a problem failed to run or verify, 2 bad input.
#include <CLI/CLI.hpp>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <string>

#include "backends/backend_registry.h"
#include "cli/commands.h"
#include "common/cpu_isa.h"
#include "common/echo.h"
#include "common/format.h"
#include "trainbench/build_info.h"

namespace {

constexpr const char* kRunExamples = R"(
Examples:
  trainbench run                       # the default suite of the accelerator in hand (--backend auto)
  trainbench run --problem gemm:m=4096,n=4096,k=4096,dtype=fp32
  trainbench run --backend cpu-onednn --problem 'gemm:m=1024:8192:*2,n=4096,k=4096,dtype=bf16'
  trainbench run --suite benchmarks/suites/default.suite --repetitions 9 --out results/
  trainbench run --problem gemm:m=512,n=512,k=512,ta=1 --format csv > gemm.csv
  trainbench run --problem 'allreduce:bytes=1K:64M:*4,ranks=4'
  mpirun -np 2 trainbench run --problem 'allreduce:bytes=1M:64M:*2,ranks=2,algo=ring|mpi' --min-busbw 1
  trainbench run --model llama3.2-1b --tokens 1024 --price 0.15
  trainbench run --model llama3-8b --tokens 2048 --tp 2 --dp 4 --instance p5.48xlarge,trn2.48xlarge

Sweeps: m=256|512|1024 (list), m=1024:8192:*2 (multiply), m=128:512:+128 (add).
Exit status: 0 ok, 1 a problem failed verification or could not run, 2 bad input.)";

// Options run --model and cost share: which instances, which prices, which budget.
void add_comparison_options(CLI::App* cmd, tb::ModelRequest& m) {
  cmd->add_option("--instance", m.instances,
                  "Catalog instances to project (repeatable, comma-separated; 'all'; 'none'); default: " +
                      std::string("trn1.32xlarge,trn2.48xlarge,p4d.24xlarge,p5.48xlarge,p5en.48xlarge"));
  cmd->add_option("--pricing", m.pricing, "on-demand | spot | capacity-block")->capture_default_str();
  cmd->add_option("--price", m.prices,
                  "USD per hour: 'USD' prices this machine, 'INSTANCE=USD' a catalog instance (repeatable)");
  cmd->add_option("--train-tokens", m.train_tokens, "Token budget of the time and cost columns (1T, 300B, 0 = none)")
      ->capture_default_str();
  cmd->add_option("--efficiency", m.efficiency,
                  "Override a projection efficiency for every device class: KERNEL.FIELD=VALUE, e.g. gemm.compute=0.7 "
                  "(repeatable; docs/cost.md)");
  cmd->add_option("--catalog", m.catalog, "Instance catalog CSV (default: the shipped data/instances.csv)");
  cmd->add_option("--max-price-age-days", m.max_price_age_days,
                  "Warn about compared instances whose price is dated more than this many days ago")
      ->check(CLI::Range(0, 36500))
      ->capture_default_str();
}

constexpr const char* kCostExamples = R"(
Examples:
  trainbench cost --results results/20261126T010203Z_cpu_host.json
  trainbench cost --results R.json --instance all --pricing spot --train-tokens 300B
  trainbench cost --results R.json --price 1.53 --instance p5.48xlarge,trn2.48xlarge --format csv)";


// run: each backend's own options, as its table declares them (backends/backend_option.h).
void add_backend_options(CLI::App* run_cmd, tb::BackendOptionValues& values) {
  using Kind = tb::BackendOptionSpec::Kind;
  for (const tb::BackendEntry& entry : tb::backend_entries()) {
    for (const tb::BackendOptionSpec& spec : entry.options) {
      const std::string flag(spec.flag), help(spec.help);
      if (spec.kind == Kind::kSwitch) {
        run_cmd->add_flag_callback(flag, [&values, flag] { values[flag] = "true"; }, help);
        continue;
      }
      CLI::Option* option = run_cmd->add_option_function<std::string>(
          flag, [&values, flag](const std::string& value) { values[flag] = value; }, help);
      if (spec.kind == Kind::kInteger) option->check(CLI::Range(spec.min, spec.max));
      if (spec.kind == Kind::kChoice) option->check(CLI::IsMember(std::vector<std::string>(spec.choices.begin(), spec.choices.end())));
      if (!spec.default_value.empty()) option->default_str(std::string(spec.default_value));
    }
  }
}

// run --model: the model, its step's shape and parallelism, and the comparison.
void add_model_options(CLI::App* run_cmd, tb::ModelRequest& m) {
  run_cmd->add_option("-m,--model", m.name,
                      "Run a model's training step: measure each unique problem, compose the step, compare instances "
                      "(data/models: llama3.2-1b, llama3-8b, llama3-70b, gpt3-175b)");
  run_cmd->add_option("--tokens", m.tokens,
                      "--model: tokens per step of one tensor-parallel group (micro_batch x seq_len), e.g. 2048");
  run_cmd->add_option("--micro-batch", m.micro_batch, "--model: sequences per step (default: the model file's)");
  run_cmd->add_option("--tp", m.tp, "--model: tensor-parallel degree (default: the model file's)");
  run_cmd->add_option("--dp", m.dp, "--model: data-parallel degree (default: the model file's)");
  run_cmd->add_option("--dp-overlap", m.dp_overlap,
                      "--model: on | off: the gradient all-reduce overlaps the backward")
      ->capture_default_str();
  run_cmd->add_option("--max-allreduce-bytes", m.max_allreduce_bytes,
                      "--model: all-reduces above this are measured at this size and their time scaled by bytes")
      ->capture_default_str();
  add_comparison_options(run_cmd, m);
}

// run: what to run and how to time it; the backends' and --model's options follow.
CLI::App* add_run_command(CLI::App& app, tb::RunRequest& run) {
  CLI::App* run_cmd = app.add_subcommand("run", "Run, verify and time problems on one backend");
  run_cmd->add_option("-b,--backend", run.backend,
                      "Backend name (trainbench list backends); auto = cuda if a GPU is visible, else neuron if a "
                      "Neuron device is, else cpu")->capture_default_str();
  run_cmd->add_option("-p,--problem", run.problems, "Problem string or sweep; repeatable");
  run_cmd->add_option("-s,--suite", run.suites, "Suite file: one problem or sweep per line; repeatable");
  run_cmd->add_option("-r,--repetitions", run.options.repetitions, "Timed repetitions per problem")->capture_default_str();
  run_cmd->add_option("--min-time", run.options.min_time_s, "Minimum device time per repetition, seconds")
      ->capture_default_str();
  run_cmd->add_option("--warmup-time", run.options.warmup_time_s, "Untimed warm-up before timing, seconds")
      ->capture_default_str();
  run_cmd->add_option("--seed", run.options.seed, "Seed of the input fill and verification sample")
      ->check(CLI::Validator(  // CLI11 would otherwise wrap -1 around to 2^64-1 and clamp 2^64 and above
          [](std::string& value) {
            const std::string range = ": expected 0 to 18446744073709551615";
            if (value.find('-') != std::string::npos) return tb::echo_value(value) + " is negative" + range;
            std::uint64_t seed = 0;
            const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seed);
            if (ec == std::errc::result_out_of_range) return tb::echo_value(value) + " is out of range" + range;
            return std::string();  // CLI11 reports anything else that is not an integer
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
  run_cmd->add_flag("--median-only", run.median_only,
                    "benchmarks[] of the result file and JSON output: only each passed problem's median (one entry "
                    "per problem, for CI benchmark trackers); default: every repetition and aggregate (compare.py)");
  add_backend_options(run_cmd, run.backend_options.values);
  add_model_options(run_cmd, run.model);
  run_cmd->add_option("--db", run.db,
                      "Also record the run into this history database (created when missing; e.g. results/history.db)");

  run_cmd->footer(kRunExamples);
  return run_cmd;
}

struct ListArgs {
  std::string what, catalog;
  int max_price_age_days = 90;
};

CLI::App* add_list_command(CLI::App& app, ListArgs& a) {
  CLI::App* list_cmd = app.add_subcommand("list", "List backends (with availability), kernels, models or instances");
  list_cmd->add_option("what", a.what, "backends | kernels | models | instances")
      ->required()
      ->check(CLI::IsMember({"backends", "kernels", "models", "instances"}));
  list_cmd->add_option("--catalog", a.catalog, "instances: catalog CSV file (default: the shipped data/instances.csv)");
  list_cmd->add_option("--max-price-age-days", a.max_price_age_days,
                       "instances: warn about prices dated more than this many days ago")
      ->check(CLI::Range(0, 36500))
      ->capture_default_str();

  return list_cmd;
}

struct ShowArgs {
  std::string path, format = "table";
};

CLI::App* add_show_command(CLI::App& app, ShowArgs& a) {
  CLI::App* show_cmd = app.add_subcommand("show", "Print a result file as a table, CSV or JSON");
  show_cmd->add_option("file", a.path, "Result JSON file")->required();
  show_cmd->add_option("-f,--format", a.format, "table | csv | json")
      ->check(CLI::IsMember({"table", "json", "csv"}))
      ->capture_default_str();

  return show_cmd;
}

CLI::App* add_pricing_command(CLI::App& app, tb::cli::PricingImportArgs& pricing_import) {
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
  pricing_import_cmd->add_flag("--force", pricing_import.force,
                               "Replace prices dated after the file's (default: refuse an older file, exit 2)");

  return pricing_cmd;
}

CLI::App* add_cost_command(CLI::App& app, tb::cli::CostArgs& cost) {
  cost.model.dp_overlap.clear();  // default: as the results file was run
  CLI::App* cost_cmd = app.add_subcommand(
      "cost", "Tokens/s, MFU and USD per 1M tokens per instance from a run --model result, measured and projected");
  cost_cmd->add_option("--results", cost.results, "Result JSON written by trainbench run --model")->required();
  add_comparison_options(cost_cmd, cost.model);
  cost_cmd->add_option("--dp-overlap", cost.model.dp_overlap, "on | off (default: as the results file was run)");
  cost_cmd->add_option("-f,--format", cost.format, "table | csv | json")
      ->check(CLI::IsMember({"table", "json", "csv"}))
      ->capture_default_str();
  cost_cmd->footer(kCostExamples);

  return cost_cmd;
}

constexpr const char* kProjectExamples = R"(
Examples:
  trainbench project --model llama3-70b --instance p5.48xlarge,trn1.32xlarge --devices 128 --tp 4 --pp 4 \
    --vpp 5 --zero 1 --seq 8192 --micro-batch 1 --global-batch 128
  trainbench project --model llama3-8b --instance all --devices 64 --zero 3 --global-batch 512 --format json)";

CLI::App* add_project_command(CLI::App& app, tb::cli::ProjectArgs& a) {
  tb::ProjectRequest& r = a.request;
  CLI::App* cmd = app.add_subcommand(
      "project", "Project a model's training on instance types: step time, tokens/s, MFU, USD per 1M tokens, memory");
  cmd->add_option("-m,--model", r.model, "data/models name (trainbench list models)")->required();
  cmd->add_option("--devices", r.devices, "Accelerators: chips for Trainium, GPUs for NVIDIA (tp x cp x pp x dp)")
      ->required();
  cmd->add_option("--tp", r.tp, "Tensor-parallel degree, inside one instance")->capture_default_str();
  cmd->add_option("--cp", r.cp, "Context-parallel degree (each sequence split over cp devices)")->capture_default_str();
  cmd->add_option("--pp", r.pp, "Pipeline stages")->capture_default_str();
  cmd->add_option("--dp", r.dp, "Data-parallel degree (default: devices / (tp x cp x pp))");
  cmd->add_option("--vpp", r.vpp, "Virtual pipeline stages per device (interleaved 1F1B)")->capture_default_str();
  cmd->add_option("--zero", r.zero, "ZeRO stage 0-3 (3 with --tp 1 --pp 1 is FSDP)")->capture_default_str();
  cmd->add_option("--recompute", r.recompute, "none | selective | full")->capture_default_str();
  cmd->add_option("--seq", r.seq, "Sequence length (default: the model file's)");
  cmd->add_option("--micro-batch", r.micro_batch, "Sequences per replica per micro-batch")->capture_default_str();
  cmd->add_option("--global-batch", r.global_batch, "Sequences per optimizer step (default: dp x micro-batch)");
  cmd->add_option("--dtype", r.dtype, "bf16 | fp16")->capture_default_str();
  tb::ModelRequest& m = r.comparison;
  cmd->add_option("--instance", m.instances, "Catalog instances (repeatable, comma-separated; 'all')");
  cmd->add_option("--pricing", m.pricing, "on-demand | spot | capacity-block")->capture_default_str();
  cmd->add_option("--price", m.prices, "INSTANCE=USD per hour (repeatable)");
  cmd->add_option("--efficiency", m.efficiency, "Override an efficiency for every device class: KERNEL.FIELD=VALUE");
  cmd->add_option("--catalog", m.catalog, "Instance catalog CSV (default: the shipped data/instances.csv)");
  cmd->add_option("--published-runs", r.published_runs, "Published runs CSV (default: data/published-runs.csv)");
  cmd->add_option("-f,--format", a.format, "table | csv | json")
      ->check(CLI::IsMember({"table", "json", "csv"}))
      ->capture_default_str();
  cmd->footer(kProjectExamples);
  return cmd;
}

CLI::App* add_validate_command(CLI::App& app, tb::cli::ValidateArgs& a) {
  CLI::App* cmd = app.add_subcommand(
      "validate", "Project every published training run (data/published-runs.csv) and report the errors");
  cmd->add_option("--efficiency", a.request.efficiency, "Override an efficiency for every device class: KERNEL.FIELD=VALUE");
  cmd->add_option("--catalog", a.request.catalog, "Instance catalog CSV (default: the shipped data/instances.csv)");
  cmd->add_option("--published-runs", a.request.published_runs, "Published runs CSV (default: data/published-runs.csv)");
  cmd->add_option("-f,--format", a.format, "table | json")->check(CLI::IsMember({"table", "json"}))->capture_default_str();
  return cmd;
}

// Nightly tracking (docs/nightly.md).
constexpr const char* kDbHelp = "History database (default: results/history.db)";

struct HistoryArgs {
  tb::cli::HistoryImportArgs import_args;
  std::string list_db, since, format = "table";
  CLI::App* import_cmd = nullptr;
};

CLI::App* add_history_command(CLI::App& app, HistoryArgs& a) {
  const std::string db_help = kDbHelp;
  CLI::App* history_cmd = app.add_subcommand("history", "Record result files into the history database, or list its runs");
  history_cmd->require_subcommand(1);
  a.import_cmd =
      history_cmd->add_subcommand("import", "Record result JSON files (one transaction per run; duplicates skipped)");
  a.import_cmd->add_option("files", a.import_args.files, "Result JSON files")->required();
  a.import_cmd->add_option("--db", a.import_args.db, db_help + "; created when missing");
  CLI::App* history_list_cmd = history_cmd->add_subcommand("list", "The runs in the history, oldest first");
  history_list_cmd->add_option("--db", a.list_db, db_help);
  history_list_cmd->add_option("--since", a.since, "Only runs in this window: 30d, 12h, 2w, 2026-11-01 or all");
  history_list_cmd->add_option("-f,--format", a.format, "table | json")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();

  return history_cmd;
}

CLI::App* add_compare_command(CLI::App& app, tb::cli::CompareArgs& compare) {
  const std::string db_help = kDbHelp;
  CLI::App* compare_cmd = app.add_subcommand(
      "compare", "Compare two runs per problem (Mann-Whitney U test); exit 1 when any problem regressed");
  compare_cmd->add_option("base", compare.base, "Base: a result JSON file or a run id of the history")->required();
  compare_cmd->add_option("contender", compare.contender, "Contender: a result JSON file or a run id")->required();
  compare_cmd->add_option("--db", compare.db, db_help + "; for run ids");
  compare_cmd->add_option("--threshold", compare.threshold,
                          "Change of the median time that counts when significant: 5% or 0.05")
      ->capture_default_str();
  compare_cmd->add_option("--alpha", compare.alpha, "Significance level of the two-sided U test")->capture_default_str();
  compare_cmd->add_option("-f,--format", compare.format, "table | json")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();

  return compare_cmd;
}

CLI::App* add_regressions_command(CLI::App& app, tb::cli::RegressionsArgs& regressions) {
  const std::string db_help = kDbHelp;
  CLI::App* regressions_cmd = app.add_subcommand(
      "regressions", "Change points of every (problem, backend, device) series; exit 1 when any got slower");
  regressions_cmd->add_option("--db", regressions.db, db_help);
  regressions_cmd->add_option("--since", regressions.since, "Window: 30d, 12h, 2w, 2026-11-01 or all")
      ->capture_default_str();
  regressions_cmd->add_option("--threshold", regressions.threshold, "Smallest level change reported: 5% or 0.05")
      ->capture_default_str();
  regressions_cmd->add_option("--max-p", regressions.max_p, "Permutation p-value at or below which a change counts")
      ->capture_default_str();
  regressions_cmd->add_option("-f,--format", regressions.format, "table | json")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();

  return regressions_cmd;
}

CLI::App* add_report_command(CLI::App& app, tb::cli::ReportArgs& report) {
  const std::string db_help = kDbHelp;
  CLI::App* report_cmd = app.add_subcommand("report", "Write the history as one self-contained HTML page");
  report_cmd->add_option("--db", report.db, db_help);
  report_cmd->add_option("-o,--out", report.out, "HTML file to write (atomically)")->capture_default_str();
  report_cmd->add_option("--since", report.since, "Window: 365d, 12w, 2026-01-01 or all")->capture_default_str();
  report_cmd->add_option("--threshold", report.threshold, "Smallest level change marked: 5% or 0.05")
      ->capture_default_str();
  report_cmd->add_option("--max-p", report.max_p, "Permutation p-value at or below which a change is marked")
      ->capture_default_str();

  return report_cmd;
}

CLI::App* add_neff_info_command(CLI::App& app, tb::cli::NeffInfoArgs& a) {
  CLI::App* cmd = app.add_subcommand(
      "neff-info", "Print a compiled NEFF's tensors as the Neuron runtime reports them (JSON; on a Trainium host)");
  cmd->add_option("neff", a.neff, "The NEFF file")->required();
  cmd->add_option("--neuron-runtime", a.runtime,
                  "The runtime library (default: TRAINBENCH_NEURON_RUNTIME, libnrt.so.1, /opt/aws/neuron/lib/libnrt.so.1)");
  cmd->add_option("--lnc", a.lnc, "Logical NeuronCore size the NEFF was compiled for (1 or 2)")
      ->check(CLI::Range(1, 2))
      ->capture_default_str();
  return cmd;
}

// A mistyped subcommand: CLI11 says only "A subcommand is required"; this names the word typed.
bool unknown_subcommand(CLI::App& app, int argc, char** argv) {
  if (argc <= 1 || argv[1][0] == '-') return false;
  try {
    app.get_subcommand(argv[1]);
    return false;
  } catch (const CLI::OptionNotFound&) {
    std::fprintf(stderr,
                 "trainbench: error: unknown subcommand '%s': expected one of run, cost, project, validate, list, show, "
                 "pricing, history, compare, regressions, report, neff-info (trainbench --help)\n",
                 tb::echo_value(argv[1]).c_str());
    return true;
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"trainbench: kernel throughput verified against a reference, on CPUs, GPUs and Trainium"};
  app.set_version_flag("--version", std::string("trainbench ") + tb::build::kVersion + " (" + tb::build::kGitCommit + ")");
  app.require_subcommand(1);
  // CLI11's messages echo option values: escaped like ours (src/common/echo.h).
  app.failure_message([](const CLI::App* a, const CLI::Error& e) {
    const std::string what = e.what();
    return tb::escape_control(what) + CLI::FailureMessage::simple(a, e).substr(what.size());
  });
  tb::RunRequest run;
  ListArgs list;
  ShowArgs show;
  tb::cli::PricingImportArgs pricing_import;
  tb::cli::CostArgs cost;
  HistoryArgs history;
  tb::cli::CompareArgs compare;
  tb::cli::RegressionsArgs regressions;
  tb::cli::ReportArgs report;
  tb::cli::ProjectArgs project;
  tb::cli::ValidateArgs validate;
  tb::cli::NeffInfoArgs neff_info;
  CLI::App* run_cmd = add_run_command(app, run);
  CLI::App* list_cmd = add_list_command(app, list);
  add_show_command(app, show);
  CLI::App* pricing_cmd = add_pricing_command(app, pricing_import);
  CLI::App* cost_cmd = add_cost_command(app, cost);
  CLI::App* history_cmd = add_history_command(app, history);
  CLI::App* compare_cmd = add_compare_command(app, compare);
  CLI::App* regressions_cmd = add_regressions_command(app, regressions);
  CLI::App* report_cmd = add_report_command(app, report);
  CLI::App* project_cmd = add_project_command(app, project);
  CLI::App* validate_cmd = add_validate_command(app, validate);
  CLI::App* neff_info_cmd = add_neff_info_command(app, neff_info);
  if (unknown_subcommand(app, argc, argv)) return 2;
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  // TRAINBENCH_MAX_ISA caps the CPU kernels and probes (docs/cpu-isa.md): a bad value stops every command.
  if (const tb::Expected<std::optional<tb::CpuIsa>> cap = tb::cpu_isa_cap_from_env(); !cap) {
    std::fprintf(stderr, "trainbench: error: %s\n", cap.error().message.c_str());
    return 2;
  }
  if (*run_cmd) {
    for (int i = 0; i < argc; ++i) run.command_line += (i ? " " : "") + tb::shell_quote(argv[i]);
    run.executable = argv[0];
    return tb::cli::run_command(run);
  }
  if (*list_cmd) {
    if (list.what == "instances") return tb::cli::list_instances_command(list.catalog, list.max_price_age_days);
    if (list.what == "models") return tb::cli::list_models_command();
    return tb::cli::list_command(list.what);
  }
  if (*pricing_cmd) return tb::cli::pricing_import_command(pricing_import);
  if (*cost_cmd) return tb::cli::cost_command(cost);
  if (*project_cmd) return tb::cli::project_command(project);
  if (*validate_cmd) return tb::cli::validate_command(validate);
  if (*neff_info_cmd) return tb::cli::neff_info_command(neff_info);
  if (*history_cmd) {
    if (*history.import_cmd) return tb::cli::history_import_command(history.import_args);
    return tb::cli::history_list_command(history.list_db, history.since, history.format);
  }
  if (*compare_cmd) return tb::cli::compare_command(compare);
  if (*regressions_cmd) return tb::cli::regressions_command(regressions);
  if (*report_cmd) return tb::cli::report_command(report);
  return tb::cli::show_command(show.path, show.format);
}
