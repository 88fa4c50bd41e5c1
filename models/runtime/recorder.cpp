#include "models/runtime/recorder.h"

namespace archsim::models {

void Tally::add(const Tally& other) {
  offered += other.offered;
  succeeded += other.succeeded;
  for (std::size_t i = 0; i < failed.size(); ++i) failed[i] += other.failed[i];
}

Tally Tally::minus(const Tally& earlier) const {
  Tally t = *this;
  t.offered -= earlier.offered;
  t.succeeded -= earlier.succeeded;
  for (std::size_t i = 0; i < failed.size(); ++i) t.failed[i] -= earlier.failed[i];
  return t;
}

void Outcomes::add(const Outcomes& other) {
  total.add(other.total);
  at_window.add(other.at_window);
  latency.merge(other.latency);
}

void Recorder::begin_window(sim::Time) {
  for (auto& c : cells_) {
    c.at_window = c.total;
    c.latency.clear();
  }
}

Tally Recorder::total_now() const {
  Tally t;
  for (const auto& c : cells_) t.add(c.total);
  return t;
}

Outcomes Recorder::all() const {
  Outcomes o;
  for (const auto& c : cells_) o.add(c);
  return o;
}

Outcomes Recorder::operation(std::size_t operation) const {
  Outcomes o;
  for (std::size_t w = 0; w < workloads_; ++w) o.add(cells_[w * operations_ + operation]);
  return o;
}

Outcomes Recorder::workload(std::size_t workload) const {
  Outcomes o;
  for (std::size_t op = 0; op < operations_; ++op) o.add(cells_[workload * operations_ + op]);
  return o;
}

void Recorder::close_interval(sim::Time now, bool measured) {
  const Tally total = total_now();
  const Tally in_interval = total.minus(at_interval_);
  EndToEndInterval row;
  row.end_s = now.to_s();
  row.measured = measured;
  row.offered = in_interval.offered;
  row.succeeded = in_interval.succeeded;
  row.failed = in_interval.failed_total();
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
  at_interval_ = total;
  interval_start_ = now;
}

}  // namespace archsim::models
