#include "cost/job_projection.h"

#include <algorithm>

namespace tb {
namespace {

Expected<JobRow> project_on(const JobRequest& req, const Instance& instance) {
  TB_ASSIGN_OR_RETURN(const ProjectionTarget target, projection_target(instance, req.plan.dtype));
  JobRow row;
  row.instance = instance.name;
  TB_ASSIGN_OR_RETURN(row.projection, project_training(req.model, req.plan, target, *req.efficiency));
  row.devices_per_instance = target.devices_per_instance;
  row.instances = row.projection.instances;
  row.tokens_per_s_per_instance =
      row.projection.tokens_per_s_per_device * static_cast<double>(req.plan.devices) / static_cast<double>(row.instances);
  row.price = price_for(instance, req.pricing, req.price_overrides);
  if (row.priced() && row.usable()) {
    row.usd_per_million_tokens =
        usd_per_million_tokens(*row.price.usd_per_hour * static_cast<double>(row.instances),
                               row.projection.tokens_per_s_per_device * static_cast<double>(req.plan.devices));
  }
  row.stated_error = stated_error(req.validation, target.device_class);
  return row;
}

// Fitting before not fitting; priced by USD per 1M tokens; unpriced by tokens/s, descending.
bool before(const JobRow& a, const JobRow& b) {
  if (a.usable() != b.usable()) return a.usable();
  const bool pa = a.priced() && a.usable(), pb = b.priced() && b.usable();
  if (pa != pb) return pa;
  if (pa) return a.usd_per_million_tokens < b.usd_per_million_tokens;
  return a.projection.tokens_per_s_per_device > b.projection.tokens_per_s_per_device;
}

}  // namespace

Expected<JobProjection> project_job(const JobRequest& req) {
  if (req.efficiency == nullptr) return bad_input("project_job: no efficiency table");
  JobProjection out;
  for (const Instance& instance : req.instances) {
    Expected<JobRow> row = project_on(req, instance);
    if (row) {
      out.rows.push_back(std::move(*row));
    } else if (req.skip_unprojectable) {
      out.skipped.push_back(instance.name + ": " + row.error().message);
    } else {
      return Error{row.error().code, "cannot project onto " + instance.name + ": " + row.error().message};
    }
  }
  std::stable_sort(out.rows.begin(), out.rows.end(), before);
  return out;
}

}  // namespace tb
