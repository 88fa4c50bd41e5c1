#include "models/runtime/recorder.h"

namespace archsim::models {

void Tally::add(const Tally& other) {
  offered += other.offered;
  succeeded += other.succeeded;
  latency_ns += other.latency_ns;
  for (std::size_t i = 0; i < failed.size(); ++i) failed[i] += other.failed[i];
}

Tally Tally::minus(const Tally& earlier) const {
  Tally t = *this;
  t.offered -= earlier.offered;
  t.succeeded -= earlier.succeeded;
  t.latency_ns -= earlier.latency_ns;
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

Tally Recorder::totals() const {
  Tally t;
  for (const auto& c : cells_) t.add(c.total);
  return t;
}

Tally Recorder::totals_of(const std::vector<std::uint32_t>& workloads) const {
  Tally t;
  for (const std::uint32_t w : workloads)
    for (std::size_t op = 0; op < operations_; ++op) t.add(cells_[w * operations_ + op].total);
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

std::vector<SeriesColumn> Recorder::begin_series(const std::vector<std::string>& operation_names,
                                                 const std::vector<bool>& sent_by_clients, const FailureCauses& causes) {
  using Kind = SeriesColumn::Kind;
  std::vector<SeriesColumn> c = {{"offered", "requests", Kind::Integer}, {"completed", "requests", Kind::Integer},
                                 {"failed", "requests", Kind::Integer}};
  for (std::size_t i = 1; i < causes.size(); ++i)
    c.push_back({"failed." + causes.name(Failure{static_cast<std::uint8_t>(i)}), "requests", Kind::Integer});
  for (const char* name : {"latency_mean_ms", "latency_p50_ms", "latency_p90_ms", "latency_p99_ms", "latency_max_ms"})
    c.push_back({name, "ms", Kind::Number});
  c.insert(c.begin() + 3 + static_cast<std::ptrdiff_t>(causes.size() - 1), {"throughput_qps", "requests/s", Kind::Number});
  series_operations_.clear();
  for (std::size_t op = 0; op < operation_names.size(); ++op)
    if (sent_by_clients[op]) series_operations_.push_back(op);
  if (series_operations_.size() < 2) series_operations_.clear();  // the totals say it all
  operation_at_interval_.assign(series_operations_.size(), Tally{});
  for (std::size_t op : series_operations_) {
      const spec::Path p = spec::Path() / "operations" / operation_names[op];
      c.push_back({(p / "offered").str(), "requests", Kind::Integer});
      c.push_back({(p / "completed").str(), "requests", Kind::Integer});
      c.push_back({(p / "failed").str(), "requests", Kind::Integer});
      c.push_back({(p / "throughput_qps").str(), "requests/s", Kind::Number});
      c.push_back({(p / "latency_mean_ms").str(), "ms", Kind::Number});
    }
  causes_ = causes.size();
  return c;
}

void Recorder::close_interval(sim::Time now, std::vector<double>& row) {
  const Tally total = totals();
  const Tally in_interval = total.minus(at_interval_);
  const double seconds = (now - interval_start_).to_s();
  row.push_back(static_cast<double>(in_interval.offered));
  row.push_back(static_cast<double>(in_interval.succeeded));
  row.push_back(static_cast<double>(in_interval.failed_total()));
  for (std::size_t i = 1; i < causes_; ++i) row.push_back(static_cast<double>(in_interval.failed[i]));
  row.push_back(seconds > 0 ? static_cast<double>(in_interval.succeeded) / seconds : 0.0);
  const sim::Histogram& h = interval_latency_;
  row.push_back(h.mean() / 1e6);
  row.push_back(h.quantile(0.5) / 1e6);
  row.push_back(h.quantile(0.9) / 1e6);
  row.push_back(h.quantile(0.99) / 1e6);
  row.push_back(static_cast<double>(h.max()) / 1e6);
  {
    for (std::size_t k = 0; k < series_operations_.size(); ++k) {
      const std::size_t op = series_operations_[k];
      Tally now_total;
      for (std::size_t w = 0; w < workloads_; ++w) now_total.add(cells_[w * operations_ + op].total);
      const Tally d = now_total.minus(operation_at_interval_[k]);
      row.push_back(static_cast<double>(d.offered));
      row.push_back(static_cast<double>(d.succeeded));
      row.push_back(static_cast<double>(d.failed_total()));
      row.push_back(seconds > 0 ? static_cast<double>(d.succeeded) / seconds : 0.0);
      row.push_back(d.succeeded > 0 ? static_cast<double>(d.latency_ns) / static_cast<double>(d.succeeded) / 1e6 : 0.0);
      operation_at_interval_[k] = now_total;
    }
  }
  interval_latency_.clear();
  at_interval_ = total;
  interval_start_ = now;
}

}  // namespace archsim::models
