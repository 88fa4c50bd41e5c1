// The results document of a run; its format is docs/results-format.md.
#include <algorithm>
#include <cmath>
#include <limits>
#include <string_view>

#include "models/simulation/faults.h"
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
  for (std::size_t i = 0; i < workloads_.size(); ++i) {
    Json w = outcomes_json(recorder_->workload(i), seconds, context_.failures);
    if (Json retries = workloads_[i]->retry_summary(); !retries.is_null()) w["retries"] = std::move(retries);
    workloads[workloads_[i]->name()] = std::move(w);
  }
  out["workloads"] = workloads;
  // End to end: the requests that reached each component per request sent
  // by the workloads whose requests can reach it (along the links), which
  // retries at every layer above it multiply.
  std::vector<std::pair<const Node*, std::uint64_t>> offered_reaching;
  for (const auto& c : components_) offered_reaching.emplace_back(c.get(), 0);
  for (const auto& w : workloads_) {
    const auto offered = workloads[w->name()]["offered"].get<std::uint64_t>();
    const std::vector<const Node*> reached = network_->reachable_from(*w);
    for (auto& [node, sum] : offered_reaching)
      if (std::find(reached.begin(), reached.end(), node) != reached.end()) sum += offered;
  }
  std::size_t component_index = 0;

  // Components, and the bottleneck among them.
  Json components = Json::object();
  const Component* bottleneck = nullptr;
  double best_utilization = 0, best_compute_share = 0, best_pool_utilization = 0;
  std::int64_t best_replica = -1;
  const char* best_resource = "workers";
  for (const auto& c : components_) {
    Json j = Json::object();
    j["type"] = c->type();
    j["place"] = place_json(*network_, c->place());
    c->summary(now, j);
    const std::uint64_t offered = offered_reaching[component_index++].second;
    j["arrivals_per_request"] =
        offered > 0 ? Json(static_cast<double>(j["arrivals"].get<std::uint64_t>()) / static_cast<double>(offered))
                    : Json(nullptr);
    // Replicas placed apart: where each one is.
    bool apart = false;
    for (std::int32_t r = 0; r < c->replicas(); ++r) apart = apart || c->place(r) != c->place();
    if (apart) {
      Json by_replica = Json::array();
      for (std::int32_t r = 0; r < c->replicas(); ++r) by_replica.push_back(place_json(*network_, c->place(r)));
      j["place_by_replica"] = by_replica;
    }

    // The bottleneck is the most utilized pool, judged by its hottest
    // replica (an uneven spread saturates one replica first); among pools
    // within two points of the top, the one that spends its time computing
    // rather than waiting on calls (a pool blocked on a slow dependency only
    // looks busy).
    const WindowFigures f = window_figures(c->stats_at_window_start(), c->stats().snapshot(now));
    const double capacity = c->mean_capacity(now);
    double pool_utilization = capacity > 0 ? f.mean_busy / capacity : 0;
    double utilization = pool_utilization;
    std::int64_t hottest = -1;
    if (j.contains("instances") && j["instances"].size() > 1)
      for (std::size_t i = 0; i < j["instances"].size(); ++i) {
        if (j["instances"][i]["utilization"].is_null()) continue;  // an instance that never held work
        const double u = j["instances"][i]["utilization"].get<double>();
        if (hottest < 0 || u > utilization) {
          utilization = u;
          hottest = static_cast<std::int64_t>(i);
        }
      }
    double compute_share = f.mean_busy > 0 ? f.mean_computing / f.mean_busy : 0;
    // A network card busier than the workers is the component's limit: its
    // replicas' cards saturate before their workers do.
    struct CardWay {
      const char* side;         // in network_card
      const char* resource;     // the bottleneck's name for it
      const char* utilization;  // the cards' mean, a figure of the component
    };
    static constexpr CardWay kCardWays[] = {{"out", "network_out", "network_out_utilization"},
                                            {"in", "network_in", "network_in_utilization"}};
    const char* resource = "workers";
    if (j.contains("network_card"))
      for (const CardWay& way : kCardWays) {
        const Json& side = j["network_card"][way.side];
        const double u = side["hottest_utilization"].get<double>();
        if (u > utilization) {
          resource = way.resource;
          utilization = u;
          pool_utilization = j[way.utilization].get<double>();
          hottest = c->replicas() > 1 ? side["hottest_replica"].get<std::int64_t>() : -1;
          compute_share = 1;  // a card is busy sending, never waiting on others
        }
      }
    // Without workers, only a card can be the limit.
    if ((capacity > 0 || resource != std::string_view("workers")) && utilization > 0) {
      const bool near_top = std::fabs(utilization - best_utilization) <= 0.02;
      if (bottleneck == nullptr || (utilization > best_utilization + 0.02) ||
          (near_top && compute_share > best_compute_share)) {
        bottleneck = c.get();
        best_utilization = utilization;
        best_pool_utilization = pool_utilization;
        best_compute_share = compute_share;
        best_replica = hottest;
        best_resource = resource;
      }
    }
    components[c->name()] = std::move(j);
  }
  out["components"] = components;
  out["network"] = network_->results();
  if (bottleneck) {
    const Json& b = components[bottleneck->name()];
    Json j = Json::object();
    j["component"] = bottleneck->name();
    j["resource"] = best_resource;
    j["utilization"] = best_pool_utilization;
    j["compute_share"] = best_compute_share;
    j["queue_length_mean"] = b["queue_length"]["mean"];
    // With several replicas: the hottest one, which decided the choice.
    j["hottest_replica"] = best_replica >= 0 ? Json(best_replica) : Json(nullptr);
    j["hottest_replica_utilization"] = best_replica >= 0 ? Json(best_utilization) : Json(nullptr);
    out["bottleneck"] = j;
  } else {
    out["bottleneck"] = nullptr;
  }

  out["faults"] = faults_->results(now, context_.failures);

  // The time series: its columns, and its rows unless they were streamed
  // to a sink as the run went (then the writer of the sink holds them).
  Json series = Json::object();
  series["interval_s"] = config_.at("report_interval_s");
  series["columns"] = series_columns_json(series_columns_);
  if (series_sink_ == &memory_series_ || series_sink_ == nullptr) series["rows"] = memory_series_.rows_json();
  out["timeseries"] = series;
  return out;
}

}  // namespace archsim::models
