// The results document of a run; its format is docs/results-format.md.
#include <cmath>
#include <limits>

#include "models/simulation/simulation.h"

namespace archsim::models {

using spec::Json;

namespace {

double ms(double ns) { return ns / 1e6; }

Json latency_json(const sim::Histogram& h) {
  Json out = Json::object();
  out["count"] = h.count();
  out["mean"] = ms(h.mean());
  out["p50"] = ms(h.quantile(0.50));
  out["p90"] = ms(h.quantile(0.90));
  out["p99"] = ms(h.quantile(0.99));
  out["p999"] = ms(h.quantile(0.999));
  out["max"] = ms(static_cast<double>(h.max()));
  return out;
}

Json outcomes_json(const Outcomes& o, double seconds, const FailureCauses& causes) {
  const Tally t = o.total.minus(o.at_window);
  Json out = Json::object();
  out["offered"] = t.offered;
  out["completed"] = t.succeeded;
  Json failed = Json::object();
  failed["total"] = t.failed_total();
  for (std::size_t i = 1; i < causes.size(); ++i) failed[causes.name(Failure{static_cast<std::uint8_t>(i)})] = t.failed[i];
  out["failed"] = failed;
  out["throughput_qps"] = seconds > 0 ? static_cast<double>(t.succeeded) / seconds : 0.0;
  const std::uint64_t ended = t.succeeded + t.failed_total();
  out["success_ratio"] = ended > 0 ? static_cast<double>(t.succeeded) / static_cast<double>(ended) : 1.0;
  out["latency_ms"] = latency_json(o.latency);
  return out;
}

Json nullable(double v) { return std::isnan(v) ? Json(nullptr) : Json(v); }

Json place_json(const Network& network, std::int32_t place) {
  return place < 0 ? Json(nullptr) : Json(network.place_name(place));
}

}  // namespace

Json Simulation::results() const {
  const sim::Time now = context_.engine.now();
  const sim::Time start = std::min(context_.warmup_end, now);
  const double seconds = (now - start).to_s();

  Json out = Json::object();
  out["schema_version"] = kResultsSchemaVersion;
  out["archsim_version"] = ARCHSIM_VERSION;
  out["scenario"] = config_.at("name");
  out["seed"] = context_.streams.seed();
  out["duration_s"] = config_.at("duration_s");
  out["warmup_s"] = config_.at("warmup_s");
  out["measured_s"] = seconds;
  Json run = Json::object();
  run["completed"] = completed_;
  // A run that reached its end says so, whether or not events were left.
  run["stop_reason"] = completed_                                     ? "end"
                      : interrupted_                                   ? "interrupted"
                      : stop_reason_ == sim::StopReason::EventBudget ? "max_events"
                                                                       : "max_in_flight";
  run["problem"] = stop_problem_;
  run["simulated_s"] = now.to_s();
  run["events"] = context_.engine.events_processed();
  run["peak_requests_in_flight"] = context_.requests.peak();
  run["requests_in_flight_at_end"] = context_.requests.in_use();
  out["run"] = run;

  out["summary"] = outcomes_json(recorder_->all(), seconds, context_.failures);
  Json operations = Json::object();
  for (std::size_t i = 0; i < context_.operations.size(); ++i) {
    const Outcomes o = recorder_->operation(i);
    if (o.total.offered > 0) operations[context_.operations[i]] = outcomes_json(o, seconds, context_.failures);
  }
  out["operations"] = operations;
  Json workloads = Json::object();
  for (std::size_t i = 0; i < workloads_.size(); ++i)
    workloads[workloads_[i]->name()] = outcomes_json(recorder_->workload(i), seconds, context_.failures);
  out["workloads"] = workloads;

  // Components, and the bottleneck among them.
  Json components = Json::object();
  const Component* bottleneck = nullptr;
  double best_utilization = 0, best_compute_share = 0;
  for (const auto& c : components_) {
    const Snapshot end = c->stats().snapshot(now);
    const WindowFigures f = window_figures(c->window_start(), end);
    const ComponentStats& s = c->stats();
    Json j = Json::object();
    j["type"] = c->type();
    j["place"] = place_json(*network_, c->place());
    j["arrivals"] = f.arrivals;
    j["completed"] = f.completed;
    j["rejected"] = f.rejected;
    j["failed"] = f.failed;
    j["late_replies"] = c->late_replies_in_window();
    j["throughput_qps"] = f.throughput_qps;
    const double capacity = static_cast<double>(c->capacity());
    const double utilization = capacity > 0 ? f.mean_busy / capacity : std::numeric_limits<double>::quiet_NaN();
    const double compute_share = f.mean_busy > 0 ? f.mean_computing / f.mean_busy : 0;
    j["utilization"] = nullable(utilization);
    j["compute_utilization"] = nullable(capacity > 0 ? f.mean_computing / capacity : std::numeric_limits<double>::quiet_NaN());
    j["concurrency"] = {{"mean", f.mean_in_system}, {"max", s.in_system.max_window()}};
    j["queue_length"] = {{"mean", f.mean_queue}, {"max", s.queue.max_window()}};
    j["waited_fraction"] = f.waited_fraction;
    Json wait = latency_json(s.wait);
    wait["mean"] = f.mean_wait_ms;
    j["wait_ms"] = wait;
    Json latency = latency_json(s.residence);
    latency["mean"] = f.mean_residence_ms;
    j["latency_ms"] = latency;
    const Json extra = c->extra_results(now);
    for (const auto& [key, value] : extra.items()) j[key] = value;
    // Replicas placed apart: where each one is.
    bool apart = false;
    for (std::int32_t r = 0; r < c->replicas(); ++r) apart = apart || c->place(r) != c->place();
    if (apart) {
      Json by_replica = Json::array();
      for (std::int32_t r = 0; r < c->replicas(); ++r) by_replica.push_back(place_json(*network_, c->place(r)));
      j["place_by_replica"] = by_replica;
    }
    components[c->name()] = j;

    // The bottleneck is the most utilized pool; among pools within two
    // points of the top, the one that spends its time computing rather than
    // waiting on calls (a pool blocked on a slow dependency only looks busy).
    if (capacity > 0 && utilization > 0) {
      const bool near_top = std::fabs(utilization - best_utilization) <= 0.02;
      if (bottleneck == nullptr || (utilization > best_utilization + 0.02) ||
          (near_top && compute_share > best_compute_share)) {
        bottleneck = c.get();
        best_utilization = utilization;
        best_compute_share = compute_share;
      }
    }
  }
  out["components"] = components;
  out["network"] = network_->results();
  if (bottleneck) {
    const Json& b = components[bottleneck->name()];
    Json j = Json::object();
    j["component"] = bottleneck->name();
    j["utilization"] = best_utilization;
    j["compute_share"] = best_compute_share;
    j["queue_length_mean"] = b["queue_length"]["mean"];
    out["bottleneck"] = j;
  } else {
    out["bottleneck"] = nullptr;
  }

  // Time series, one entry per interval, columns as arrays.
  Json series = Json::object();
  series["interval_s"] = config_.at("report_interval_s");
  Json t = Json::array(), measured = Json::array(), offered = Json::array(), completed = Json::array(),
       failed = Json::array(), throughput = Json::array(), mean = Json::array(), p50 = Json::array(),
       p90 = Json::array(), p99 = Json::array(), max = Json::array();
  for (const auto& row : recorder_->intervals()) {
    t.push_back(row.end_s);
    measured.push_back(row.measured);
    offered.push_back(row.offered);
    completed.push_back(row.succeeded);
    failed.push_back(row.failed);
    throughput.push_back(row.throughput_qps);
    mean.push_back(row.latency_mean_ms);
    p50.push_back(row.latency_p50_ms);
    p90.push_back(row.latency_p90_ms);
    p99.push_back(row.latency_p99_ms);
    max.push_back(row.latency_max_ms);
  }
  series["t_s"] = t;
  series["measured"] = measured;
  series["offered"] = offered;
  series["completed"] = completed;
  series["failed"] = failed;
  series["throughput_qps"] = throughput;
  series["latency_mean_ms"] = mean;
  series["latency_p50_ms"] = p50;
  series["latency_p90_ms"] = p90;
  series["latency_p99_ms"] = p99;
  series["latency_max_ms"] = max;
  Json per_component = Json::object();
  for (const auto& c : components_) {
    Json cols = Json::object();
    for (const char* name : {"completed", "throughput_qps", "utilization", "queue_length_mean", "queue_length_max",
                             "concurrency_mean", "latency_mean_ms", "wait_mean_ms", "waited_fraction", "rejected",
                             "failed"})
      cols[name] = Json::array();
    for (const auto& row : c->intervals()) {
      cols["completed"].push_back(row.completed);
      cols["throughput_qps"].push_back(row.throughput_qps);
      cols["utilization"].push_back(nullable(row.utilization));
      cols["queue_length_mean"].push_back(row.queue_length_mean);
      cols["queue_length_max"].push_back(row.queue_length_max);
      cols["concurrency_mean"].push_back(row.concurrency_mean);
      cols["latency_mean_ms"].push_back(row.latency_mean_ms);
      cols["wait_mean_ms"].push_back(row.wait_mean_ms);
      cols["waited_fraction"].push_back(row.waited_fraction);
      cols["rejected"].push_back(row.rejected);
      cols["failed"].push_back(row.failed);
    }
    per_component[c->name()] = cols;
  }
  series["components"] = per_component;
  out["timeseries"] = series;
  return out;
}

}  // namespace archsim::models
