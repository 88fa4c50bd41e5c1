#include "models/recorder.h"

namespace archsim::models {

void Recorder::begin_window(sim::Time) {
  for (Outcomes* o : {&all_}) {
    o->at_window = o->total;
    o->latency.clear();
  }
  for (auto& o : by_operation_) {
    o.at_window = o.total;
    o.latency.clear();
  }
  for (auto& o : by_workload_) {
    o.at_window = o.total;
    o.latency.clear();
  }
}

void Recorder::close_interval(sim::Time now, bool measured) {
  EndToEndInterval row;
  row.end_s = now.to_s();
  row.measured = measured;
  row.offered = all_.total.offered - at_interval_.offered;
  row.succeeded = all_.total.succeeded - at_interval_.succeeded;
  row.failed = all_.total.failed_total() - at_interval_.failed_total();
  const double seconds = (now - interval_start_).to_s();
  if (seconds > 0) row.throughput_qps = static_cast<double>(row.succeeded) / seconds;
  const sim::Histogram& h = interval_latency_;
  row.latency_mean_ms = h.mean() / 1e6;
  row.latency_p50_ms = h.quantile(0.5) / 1e6;
  row.latency_p90_ms = h.quantile(0.9) / 1e6;
  row.latency_p99_ms = h.quantile(0.99) / 1e6;
  row.latency_max_ms = static_cast<double>(h.max()) / 1e6;
  intervals_.push_back(row);
  interval_latency_.clear();
  at_interval_ = all_.total;
  interval_start_ = now;
}

}  // namespace archsim::models
