#include "models/runtime/bulkhead.h"

namespace archsim::models {

using spec::Json;
using spec::Spec;

spec::NodeRef bulkhead_spec() {
  static const spec::NodeRef node = [] {
    Spec b = Spec::object(
        "A bulkhead on these calls: a limit on how many are in flight from each replica of the caller; one more fails "
        "at once with bulkhead_full, and is never made");
    b.required("max_concurrent_calls",
               Spec::integer("Calls in flight at once from one replica of the caller").unit("calls").min(1).max(1'000'000))
        .to(&BulkheadConfig::max_concurrent_calls);
    return b.build();
  }();
  return node;
}

void Bulkheads::declare_metrics(MetricSet& metrics, const std::string& prefix) {
  metrics.level(prefix + ".in_flight", "calls", "Calls in flight through its bulkhead, over all its replicas", &total_);
  metrics.series_only();
  metrics.count(prefix + ".rejected", "calls", "Calls failed at once by its full bulkhead (bulkhead_full), never made",
                &rejected_);
  metrics.series_only();
}

Json Bulkheads::summary(sim::Time start, sim::Time end) const {
  Json out = Json::object();
  out["limit"] = limit_;
  out["rejected"] = rejected_ - rejected_at_window_;
  out["in_flight"] = {{"mean", sim::window_mean(total_at_window_, total_.integral(end), start, end)},
                      {"max", total_.max_window()}};
  return out;
}

void Bulkheads::on_window_begin(sim::Time now) {
  rejected_at_window_ = rejected_;
  total_at_window_ = total_.integral(now);
  total_.reset_window_max();
}

}  // namespace archsim::models
