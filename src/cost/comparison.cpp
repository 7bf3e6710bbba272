#include "cost/comparison.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "common/format.h"
#include "common/plain_table.h"
#include "cost/training_projection.h"
#include "model/training_memory.h"

namespace tb {
namespace {

std::string settings_text(const RunSettings& run) {
  return "tp=" + std::to_string(run.tp) + " dp=" + std::to_string(run.dp);
}

StepFigures step_figures(const StepDecomposition& step, const StepTime& time, const ProjectionTarget& target) {
  StepFigures f;
  f.step_time_s = time.step_s;
  // A tensor-parallel group of tp devices shares the step's tokens.
  f.tokens_per_step = static_cast<double>(step.tokens) / static_cast<double>(step.run.tp);
  f.flop_per_token = step.flop_per_token();
  f.peak_flop_per_s = target.peak_flop_per_s;
  f.devices_per_instance = target.devices_per_instance;
  return f;
}

// The measured step: its measured kernels composed (compose_step), plus what
// no kernel of the decomposition measures, the memory-bound operations and the
// optimizer update, projected at this machine's memory bandwidth as project
// does (a note says how much of the step that is).
Expected<CostRow> measured_row(const ComparisonRequest& req) {
  StepTime time;
  TB_ASSIGN_OR_RETURN(time, compose_step(req.step, req.measured_seconds, req.step_options));
  TB_ASSIGN_OR_RETURN(const TrainingPlan plan, resolve_plan(req.step.model, single_micro_batch_plan(req.step.run)));
  TB_ASSIGN_OR_RETURN(const MemoryBoundTime memory_bound,
                      project_memory_bound(req.step.model, plan, stage_parameters(req.step.model, plan),
                                           req.this_machine, *req.efficiency));
  const double added = memory_bound.forward_s + memory_bound.backward_s + memory_bound.optimizer_s;
  time.step_s += added;
  const PriceChoice price = req.this_machine_price.value_or(PriceChoice{});
  TB_ASSIGN_OR_RETURN(CostRow row, make_cost_row(req.this_machine.label, "measured", settings_text(req.step.run),
                                                 step_figures(req.step, time, req.this_machine), price,
                                                 req.train_tokens));
  row.notes.push_back("the step includes " + format_fixed(added * 1e3, 1) + " ms (" +
                      format_fixed(added / time.step_s * 100.0, 0) + "%) of memory-bound operations and the optimizer "
                      "update projected at this machine's memory bandwidth, not measured");
  return row;
}

Expected<std::vector<double>> project_seconds(const StepDecomposition& step, const ProjectionTarget& target,
                                              const EfficiencyTable& efficiency, std::vector<std::string>* bounds) {
  TB_ASSIGN_OR_RETURN(const std::vector<ItemProjection> items, project_step(step, target, efficiency));
  std::vector<double> seconds;
  for (const ItemProjection& p : items) {
    seconds.push_back(p.seconds);
    if (bounds) bounds->push_back(p.bound);
  }
  return seconds;
}

Expected<TrainingProjection> instance_projection(const StepDecomposition& step, const ProjectionTarget& target,
                                                 const EfficiencyTable& efficiency) {
  // The step as the whole instance runs it (instance_run_settings), composed as project composes it.
  return project_training(step.model,
                          single_micro_batch_plan(instance_run_settings(step.run, target.devices_per_instance)), target,
                          efficiency);
}

std::string memory_note(const TrainingProjection& p, const std::string& label) {
  constexpr double kGiB = 1073741824.0;
  return "needs " + format_fixed(p.memory.total_bytes() / kGiB, 1) + " GiB per device (weights, gradients, Adam " +
         "state, activations and logits; trainbench project shows the parts); " + label + " has " +
         format_fixed(p.memory_capacity_bytes / kGiB, 1) + " GiB: raise tp, or shard with ZeRO (trainbench project --zero)";
}

Expected<CostRow> projected_row(const ComparisonRequest& req, const Instance& instance, const ProjectionTarget& target) {
  TB_ASSIGN_OR_RETURN(const TrainingProjection p, instance_projection(req.step, target, *req.efficiency));
  StepFigures figures;
  figures.step_time_s = p.time.step_s;
  figures.tokens_per_step = static_cast<double>(req.step.tokens) / static_cast<double>(p.plan.tp);
  figures.flop_per_token = p.flop_per_token;
  figures.peak_flop_per_s = target.peak_flop_per_s;
  figures.devices_per_instance = target.devices_per_instance;
  const PriceChoice price = price_for(instance, req.pricing, req.price_overrides);
  TB_ASSIGN_OR_RETURN(CostRow row,
                      make_cost_row(instance.name, "projected",
                                    settings_text(instance_run_settings(req.step.run, target.devices_per_instance)),
                                    figures, price, req.train_tokens));
  if (!p.fits_in_memory) row.notes.push_back(memory_note(p, target.label));
  row.stated_error = stated_error(req.validation, target.device_class);
  return row;
}

Status add_check(const ComparisonRequest& req, Comparison& out) {
  std::vector<std::string> bounds;
  TB_ASSIGN_OR_RETURN(const std::vector<double> projected,
                      project_seconds(req.step, req.this_machine, *req.efficiency, &bounds));
  for (std::size_t i = 0; i < req.step.items.size(); ++i) {
    const StepItem& item = req.step.items[i];
    out.check.push_back(CheckItem{item.phase, item.what, item.problem, req.measured_seconds[i], projected[i],
                                  (projected[i] - req.measured_seconds[i]) / req.measured_seconds[i], bounds[i],
                                  item.flop});
  }
  TB_ASSIGN_OR_RETURN(const StepTime measured, compose_step(req.step, req.measured_seconds, req.step_options));
  TB_ASSIGN_OR_RETURN(const StepTime proj, compose_step(req.step, projected, req.step_options));
  out.step_check_error = (proj.step_s - measured.step_s) / measured.step_s;
  return {};
}

}  // namespace

Expected<Comparison> build_comparison(const ComparisonRequest& req) {
  if (req.efficiency == nullptr) return bad_input("build_comparison: no efficiency table");
  Comparison out;
  if (!req.measured_seconds.empty()) {
    TB_ASSIGN_OR_RETURN(CostRow row, measured_row(req));
    TB_RETURN_IF_ERROR(add_check(req, out));
    row.projection_error = out.step_check_error;  // the model's own check travels with the measured row
    out.rows.push_back(std::move(row));
  }
  for (const Instance& instance : req.instances) {
    Expected<ProjectionTarget> target = projection_target(instance, req.step.run.dtype);
    Expected<CostRow> row = target ? projected_row(req, instance, *target) : Expected<CostRow>(target.error());
    if (row) {
      out.rows.push_back(std::move(*row));
    } else if (req.skip_unprojectable) {
      out.skipped.push_back(instance.name + ": " + row.error().message);
    } else {
      return row.error();
    }
  }
  sort_cost_rows(out.rows);
  return out;
}

Status check_projectable(const StepDecomposition& step, const Instance& instance, const EfficiencyTable& efficiency) {
  TB_ASSIGN_OR_RETURN(const ProjectionTarget target, projection_target(instance, step.run.dtype));
  TB_ASSIGN_OR_RETURN(const TrainingProjection projection, instance_projection(step, target, efficiency));
  (void)projection;
  return {};
}

}  // namespace tb
