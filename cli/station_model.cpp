#include "cli/station_model.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <stdexcept>

#include <Eigen/Core>

#include "analysis/queueing.h"

namespace archsim::cli {

using spec::Json;

namespace {

// z of the standard normal's 99th percentile, as sim/distribution.cpp uses
// for a lognormal given by its mean and p99.
constexpr double kNormalZ99 = 2.3263478740408408;
// A queue is taken as unbounded when an unbounded queue of the same kind
// would exceed its capacity with at most this probability (C rho^q for
// M/M/c): its blocking is then far below anything a run can measure.
constexpr double kUnboundedTail = 1e-9;
// Forwards followed before a chain is called a loop.
constexpr int kMaxDepth = 64;

std::string number(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.4g", v);
  return buffer;
}

// What the tracing learns of one service.
struct Station {
  double rate = 0;    // per ms (open) or visits per cycle (closed); NaN when unknown
  double sum_mean = 0;    // sum of rate x E[S] over the classes
  double sum_second = 0;  // sum of rate x E[S^2]
  bool all_exponential = true;
  bool all_constant = true;
  std::vector<double> means;  // of each class
  std::vector<std::string> reasons;
  std::string caveat;
  std::map<std::string, double> forwards_to;  // station -> rate forwarded
  std::vector<std::string> forwarded_from;
  double external = 0;  // rate from workloads and load balancers
  bool reached = false;
  bool service_unknown = false;  // a step whose time is not known here

  void add_reason(const std::string& r) {
    if (std::find(reasons.begin(), reasons.end(), r) == reasons.end()) reasons.push_back(r);
  }
};

struct Tracer {
  const Json& config;
  std::map<std::string, const Json*> components;
  std::map<std::string, Station> stations;
  std::vector<std::string> scenario_reasons;

  void scenario_reason(const std::string& r) {
    if (std::find(scenario_reasons.begin(), scenario_reasons.end(), r) == scenario_reasons.end())
      scenario_reasons.push_back(r);
  }

  // `stream` is empty while the arrivals are Poisson, else why they are not.
  // `split` says how they were spread over replicas: "direct", "random",
  // "round_robin". `from` names the station that forwarded, or is empty.
  void visit(const std::string& target, const std::string& operation, double rate, const std::string& stream,
             const std::string& split, const std::string& from, int depth) {
    if (depth > kMaxDepth) {
      scenario_reason("requests are forwarded more than " + std::to_string(kMaxDepth) + " times in a row (a loop?)");
      return;
    }
    const auto it = components.find(target);
    if (it == components.end()) return;
    const Json& c = *it->second;
    const std::string type = c["type"].get<std::string>();
    if (type == "load_balancer") {
      const std::string policy = c.value("policy", std::string("round_robin"));
      std::string next_stream = stream;
      std::string next_split = "random";
      if (policy == "round_robin" || policy == "weighted_round_robin") {
        next_split = "round_robin";
      } else if (policy != "random") {
        if (next_stream.empty())
          next_stream = "load balancer " + target + " picks replicas by " + policy +
                        ", which looks at their state: a replica's arrivals are not Poisson";
      }
      visit(c["backend"].get<std::string>(), operation, rate, next_stream, next_split, "", depth + 1);
      return;
    }
    if (type != "service") {
      scenario_reason("requests reach " + target + ", a " + type +
                      ", which theory here does not model; the stations behind it are not traced");
      return;
    }
    Station& s = stations[target];
    s.reached = true;
    s.rate += rate;
    if (from.empty()) s.external += rate;
    else {
      stations[from].forwards_to[target] += rate;
      if (std::find(s.forwarded_from.begin(), s.forwarded_from.end(), from) == s.forwarded_from.end())
        s.forwarded_from.push_back(from);
    }
    if (!stream.empty()) s.add_reason(stream);
    const int replicas = c["replicas"].get<int>();
    if (replicas > 1 && split == "direct")
      s.caveat = "requests sent straight to a service go round robin over its " + std::to_string(replicas) +
                 " replicas: each replica sees smoother arrivals than Poisson, so theory overestimates the wait";
    if (replicas > 1 && split == "round_robin")
      s.caveat = "the load balancer spreads requests round robin: each replica sees smoother arrivals than "
                 "Poisson, so theory overestimates the wait";
    if (c.contains("shed_wait_ms")) s.add_reason("load shedding (shed_wait_ms) drops requests that waited too long");

    // The handler of the operation: its own, or the service_time as one compute step.
    Json steps;
    if (c.contains("handlers") && c["handlers"].contains(operation)) steps = c["handlers"][operation];
    else if (c.contains("service_time")) steps = Json::array({Json{{"compute", c["service_time"]}}});
    else return;  // validation makes sure this cannot happen

    double mean = 0, second = 0;
    int computes = 0;
    bool exponential = true, constant = true;
    for (std::size_t i = 0; i < steps.size(); ++i) {
      const Json& step = steps[i];
      if (step.contains("compute")) {
        std::string why;
        const auto m = distribution_moments(step["compute"], why);
        if (!m) {
          s.add_reason(why);
          s.service_unknown = true;
          exponential = constant = false;
          continue;
        }
        // Independent stages add: E[(A+B)^2] = E[A^2] + 2 E[A] E[B] + E[B^2].
        second += m->second + 2 * mean * m->mean;
        mean += m->mean;
        ++computes;
        exponential = exponential && m->exponential;
        constant = constant && m->constant;
      } else if (step.contains("forward")) {
        const std::string next = step["forward"].get<std::string>();
        const std::string op = step.value("operation", operation);
        visit(next, op, rate, "", "direct", target, depth + 1);
      } else if (step.contains("call")) {
        const std::string callee = step["call"].get<std::string>();
        s.add_reason("a worker stays held while it waits on its call to " + callee + " (not product form; E[S] counts its compute steps only, so lambda E[S] / c is the compute "
                     "utilization, not the workers')");
        if (step.contains("timeout_ms") || step.contains("retry"))
          s.add_reason("the call to " + callee + " has a timeout or retries, which change the arrival stream");
        visit(callee, step.value("operation", operation), rate,
              "arrivals are the calls of " + target + ", whose workers are held during the call: not Poisson", "direct",
              "", depth + 1);
      } else {
        const std::string kind = step.empty() ? std::string("?") : step.begin().key();
        s.add_reason("its handler has a " + kind + " step, which theory here does not model");
        s.service_unknown = true;
        exponential = constant = false;
      }
    }
    if (computes != 1) exponential = false;
    if (computes == 0) constant = false;
    s.sum_mean += rate * mean;
    s.sum_second += rate * second;
    s.all_exponential = s.all_exponential && exponential;
    s.all_constant = s.all_constant && constant;
    s.means.push_back(mean);
  }
};

// A mixture of classes is exponential (or constant) only if every class is,
// with the same mean.
bool same_means(const std::vector<double>& means) {
  for (double m : means)
    if (std::fabs(m - means.front()) > 1e-12 * std::max(1.0, std::fabs(m))) return false;
  return true;
}

void fill_open_theory(StationModel& m, const Station& s, int queue_capacity) {
  const double lambda = s.rate / m.replicas;  // per replica, per ms
  const double es = *m.mean_service_ms;
  const double second = s.sum_second / s.rate;
  const bool exponential = s.all_exponential && same_means(s.means);
  const bool constant = s.all_constant && same_means(s.means);
  const int c = m.workers;
  const double rho = lambda * es / c;
  const double mu = 1.0 / es;
  const std::string per = m.replicas > 1 ? " per replica" : "";
  // An unbounded queue of the same kind, and whether this one is as good as unbounded.
  bool unbounded = rho < 1;
  if (unbounded) {
    const double p_wait = exponential || c == 1 ? (c == 1 ? rho : analysis::erlang_c(c, lambda * es)) : rho;
    unbounded = p_wait * std::pow(rho, queue_capacity) <= kUnboundedTail;
  }
  try {
    if (unbounded) {
      analysis::QueueMetrics q{};
      if (exponential) {
        q = c == 1 ? analysis::mm1(lambda, mu) : analysis::mmc(lambda, mu, c);
        m.model = "M/M/" + std::to_string(c) + per;
      } else if (c == 1) {
        q = constant ? analysis::md1(lambda, es) : analysis::mg1(lambda, es, second);
        m.model = std::string(constant ? "M/D/1" : "M/G/1") + per;
      } else {
        m.reason = "service is not exponential and there are " + std::to_string(c) +
                   " workers: M/G/c has no exact formula";
        return;
      }
      m.theory = StationTheory{q.utilization, q.mean_wait, q.mean_response, q.mean_queue_length, q.mean_in_system,
                               std::nullopt};
      return;
    }
    if (!exponential) {
      m.reason = rho >= 1 ? "overloaded (lambda E[S] / c = " + number(rho) + " >= 1): no steady state"
                          : "a finite queue with service that is not exponential: M/G/c/K has no closed form here";
      return;
    }
    if (static_cast<long long>(queue_capacity) + c > 100000) {
      m.reason = "overloaded (lambda E[S] / c = " + number(rho) + " >= 1) with a queue too long to solve exactly";
      return;
    }
    const auto f = analysis::mmck(lambda, mu, c, c + queue_capacity);
    m.model = "M/M/" + std::to_string(c) + "/" + std::to_string(c + queue_capacity) + per;
    m.theory = StationTheory{f.utilization, f.mean_wait, f.mean_response, f.mean_queue_length, f.mean_in_system,
                             f.blocking_probability};
  } catch (const std::invalid_argument& e) {
    m.reason = e.what();
  }
}

}  // namespace

std::optional<double> StationModel::offered_utilization() const {
  if (!arrival_rate_per_ms || !mean_service_ms) return std::nullopt;
  return *arrival_rate_per_ms * *mean_service_ms / (replicas * workers);
}

std::optional<Moments> distribution_moments(const Json& d, std::string& reason) {
  const std::string type = d["type"].get<std::string>();
  Moments m;
  if (type == "constant") {
    const double v = d["value_ms"].get<double>();
    m = {v, v * v, false, true};
  } else if (type == "exponential") {
    const double v = d["mean_ms"].get<double>();
    m = {v, 2 * v * v, true, false};
  } else if (type == "uniform") {
    const double a = d["min_ms"].get<double>(), b = d["max_ms"].get<double>();
    m = {(a + b) / 2, (a * a + a * b + b * b) / 3, false, a == b};
  } else if (type == "lognormal") {
    const double mean = d["mean_ms"].get<double>();
    double sigma2;
    if (d.contains("cv")) {
      const double cv = d["cv"].get<double>();
      sigma2 = std::log1p(cv * cv);
    } else if (d.contains("p99_ms")) {
      const double z = kNormalZ99;
      const double sigma = z - std::sqrt(std::max(0.0, z * z - 2 * std::log(d["p99_ms"].get<double>() / mean)));
      sigma2 = sigma * sigma;
    } else {
      reason = "a lognormal without cv or p99_ms";
      return std::nullopt;
    }
    m = {mean, mean * mean * std::exp(sigma2), false, sigma2 == 0};
  } else if (type == "normal") {
    const double mean = d["mean_ms"].get<double>(), sd = d["stddev_ms"].get<double>();
    // Draws below zero are drawn again; below 6 sd the truncation moves the
    // moments by less than 1e-8 of themselves.
    if (sd > 0 && mean < 6 * sd) {
      reason = "a normal service time truncated at zero (mean below 6 stddev): its moments are not the declared ones";
      return std::nullopt;
    }
    m = {mean, mean * mean + sd * sd, false, sd == 0};
  } else if (type == "pareto") {
    const double scale = d["scale_ms"].get<double>(), shape = d["shape"].get<double>();
    if (shape <= 2) {
      reason = "a Pareto service time with shape " + number(shape) + " <= 2 has no finite variance";
      return std::nullopt;
    }
    m = {shape * scale / (shape - 1), shape * scale * scale / (shape - 2), false, false};
  } else if (type == "weibull") {
    const double scale = d["scale_ms"].get<double>(), shape = d["shape"].get<double>();
    m = {scale * std::tgamma(1 + 1 / shape), scale * scale * std::tgamma(1 + 2 / shape), shape == 1, false};
  } else if (type == "empirical") {
    // Linear between the points: each segment is uniform over its values.
    std::vector<std::pair<double, double>> points;
    for (const auto& [key, value] : d["percentiles_ms"].items()) points.emplace_back(std::stod(key), value.get<double>());
    std::sort(points.begin(), points.end());
    double mean = 0, second = 0;
    for (std::size_t i = 0; i + 1 < points.size(); ++i) {
      const double p = (points[i + 1].first - points[i].first) / 100;
      const double a = points[i].second, b = points[i + 1].second;
      mean += p * (a + b) / 2;
      second += p * (a * a + a * b + b * b) / 3;
    }
    m = {mean, second, false, false};
  } else {
    reason = "a service time of type " + type + ", whose moments are not known here";
    return std::nullopt;
  }
  return m;
}

ScenarioModel model_scenario(const Json& config) {
  Tracer tracer{config, {}, {}, {}};
  for (const auto& c : config["components"]) tracer.components[c["name"].get<std::string>()] = &c;

  const Json& workloads = config["workloads"];
  int open = 0, closed = 0;
  for (const auto& w : workloads) (w["arrival"]["type"] == "closed" ? closed : open) += 1;
  const bool mva_case = closed == 1 && open == 0;
  if (closed > 0 && !mva_case)
    tracer.scenario_reason("closed workloads beside other workloads: no single model covers the mix");

  if (config.contains("faults") && config["faults"].contains("timeline") && !config["faults"]["timeline"].empty())
    tracer.scenario_reason("faults on the timeline change the stations during the run; theory assumes a steady state");

  for (const auto& w : workloads) {
    const std::string name = w["name"].get<std::string>();
    const Json& arrival = w["arrival"];
    const std::string type = arrival["type"].get<std::string>();
    double rate = 1;  // closed: one visit per cycle
    std::string stream;
    if (type == "poisson") rate = arrival["rate_qps"].get<double>() / 1000.0;
    else if (type == "constant") {
      rate = arrival["rate_qps"].get<double>() / 1000.0;
      stream = "workload " + name + " sends evenly spaced requests, not a Poisson stream";
    } else if (type == "closed") {
      if (!mva_case) {
        rate = std::nan("");  // a rate the loop sets itself: unknown, and so is any sum it joins
        stream = "workload " + name + " is a closed loop of users";
      }
    } else {
      rate = std::nan("");
      stream = "workload " + name + " has " + type + " arrivals: not a Poisson stream of one rate";
    }
    if (w.contains("retry")) stream = "workload " + name + " retries failed requests, which adds arrivals";
    else if (w.contains("timeout_ms") && stream.empty())
      stream = "workload " + name + " gives up after timeout_ms: a timed-out request no longer counts at the client";
    // The operation mix, by weight.
    double total = 0;
    for (const auto& op : w["operations"]) total += op["weight"].get<double>();
    for (const auto& op : w["operations"]) {
      const double share = op["weight"].get<double>() / total;
      tracer.visit(w["target"].get<std::string>(), op["name"].get<std::string>(), rate * share, stream, "direct", "", 0);
    }
  }

  ScenarioModel model;
  model.scenario_reasons = tracer.scenario_reasons;
  for (const auto& c : config["components"]) {
    if (c["type"] != "service") continue;
    StationModel m;
    m.name = c["name"].get<std::string>();
    m.replicas = c["replicas"].get<int>();
    m.workers = c["workers"].get<int>();
    const auto it = tracer.stations.find(m.name);
    if (it == tracer.stations.end() || !it->second.reached) {
      m.reason = "no request traced to it reaches it (it sits behind a component theory here does not model)";
      model.stations.push_back(m);
      continue;
    }
    Station& s = it->second;
    if (s.rate > 0) {
      if (!mva_case) m.arrival_rate_per_ms = s.rate;
      if (!s.service_unknown) m.mean_service_ms = s.sum_mean / s.rate;
    }
    for (const auto& r : model.scenario_reasons)
      if (r.rfind("faults", 0) == 0 || r.rfind("closed workloads beside", 0) == 0) s.add_reason(r);
    for (const auto& r : s.reasons) m.reason += (m.reason.empty() ? "" : "; ") + r;
    m.caveat = s.caveat;
    model.stations.push_back(m);
  }

  // Departures of a station are Poisson (Burke) only from an exponential
  // multi-server queue with unbounded room: a station fed by any other is
  // not covered. Repeat until nothing changes (a chain is as long as the
  // number of stations at most).
  std::map<std::string, StationModel*> by_name;
  for (auto& m : model.stations) by_name[m.name] = &m;
  auto queue_capacity = [&](const std::string& name) { return (*tracer.components[name])["queue_capacity"].get<int>(); };
  if (!mva_case) {
    for (auto& m : model.stations)
      if (m.reason.empty() && m.arrival_rate_per_ms) fill_open_theory(m, tracer.stations[m.name], queue_capacity(m.name));
    for (std::size_t pass = 0; pass < model.stations.size(); ++pass) {
      bool changed = false;
      for (auto& m : model.stations) {
        if (!m.reason.empty()) continue;
        for (const auto& from : tracer.stations[m.name].forwarded_from) {
          const StationModel& up = *by_name[from];
          const bool poisson_out = up.reason.empty() && up.theory && !up.theory->blocking &&
                                   up.model.rfind("M/M/", 0) == 0 && up.caveat.empty();
          if (!poisson_out) {
            m.reason = "its arrivals are the departures of " + from +
                       ", which are Poisson only from an exponential queue with unbounded room";
            m.theory.reset();
            m.model.clear();
            changed = true;
            break;
          }
        }
      }
      if (!changed) break;
    }
  }

  // The whole network, when every station is covered: open, by the traffic
  // equations (Jackson); closed, by exact MVA.
  bool all_covered = model.scenario_reasons.empty();
  for (const auto& m : model.stations) {
    const Station& s = tracer.stations[m.name];
    all_covered = all_covered && s.reached && s.reasons.empty() && m.caveat.empty() && m.replicas == 1;
    if (!mva_case) all_covered = all_covered && m.reason.empty() && m.model.rfind("M/M/", 0) == 0 && !m.theory->blocking;
  }
  if (all_covered && !mva_case && !model.stations.empty()) {
    const auto n = static_cast<Eigen::Index>(model.stations.size());
    std::vector<analysis::JacksonStation> stations;
    Eigen::VectorXd external = Eigen::VectorXd::Zero(n);
    Eigen::MatrixXd routing = Eigen::MatrixXd::Zero(n, n);
    std::map<std::string, Eigen::Index> index;
    for (Eigen::Index i = 0; i < n; ++i) index[model.stations[static_cast<std::size_t>(i)].name] = i;
    for (Eigen::Index i = 0; i < n; ++i) {
      const StationModel& m = model.stations[static_cast<std::size_t>(i)];
      const Station& s = tracer.stations[m.name];
      stations.push_back({m.workers, 1.0 / *m.mean_service_ms});
      external(i) = s.external;
      for (const auto& [to, rate] : s.forwards_to) routing(i, index[to]) += rate / s.rate;
    }
    try {
      const auto jackson = analysis::jackson_open(stations, external, routing);
      model.system.model = "open Jackson network";
      model.system.mean_response_ms = jackson.mean_sojourn;
      for (Eigen::Index i = 0; i < n; ++i) {
        StationModel& m = model.stations[static_cast<std::size_t>(i)];
        if (!tracer.stations[m.name].forwarded_from.empty() || !tracer.stations[m.name].forwards_to.empty())
          m.model = "Jackson " + m.model;
      }
    } catch (const std::invalid_argument&) {
      // A station is unstable: each station's own row already says so.
    }
  }
  if (mva_case) {
    const Json* users_workload = nullptr;
    for (const auto& w : workloads) users_workload = &w;
    const Json& arrival = (*users_workload)["arrival"];
    std::string why;
    const auto think = distribution_moments(arrival["think_time"], why);
    const int users = arrival["users"].get<int>();
    std::vector<double> demands;
    std::string blocker;
    for (const auto& m : model.stations) {
      const Station& s = tracer.stations[m.name];
      if (!s.reached) continue;
      if (!s.reasons.empty()) blocker = m.name + ": " + s.reasons.front();
      else if (!(s.all_exponential && same_means(s.means))) blocker = m.name + ": service is not exponential";
      else if (m.replicas != 1 || m.workers != 1) blocker = m.name + ": MVA here is for single-worker stations";
      else if (!m.caveat.empty()) blocker = m.name + ": " + m.caveat;
      else if (queue_capacity(m.name) < users) blocker = m.name + ": its queue can reject requests";
      demands.push_back(s.sum_mean);  // visits x E[S]
    }
    if (!think) blocker = "the think time: " + why;
    if (!model.scenario_reasons.empty()) blocker = model.scenario_reasons.front();
    if (blocker.empty() && !demands.empty()) {
      const auto r = analysis::mva(demands, think->mean, users);
      model.system.model = "exact MVA, " + std::to_string(users) + " users";
      model.system.mean_response_ms = r.response_time;
      model.system.throughput_qps = r.throughput * 1000.0;
      std::size_t i = 0;
      for (auto& m : model.stations) {
        const Station& s = tracer.stations[m.name];
        if (!s.reached) continue;
        m.arrival_rate_per_ms = r.throughput * s.rate;
        const double visits = s.rate;
        StationTheory t;
        t.utilization = r.utilization[i];
        t.mean_response_ms = r.residence_time[i] / visits;
        t.mean_wait_ms = t.mean_response_ms - *m.mean_service_ms;
        t.mean_in_system = r.queue_length[i];
        t.mean_queue_length = r.queue_length[i] - r.utilization[i];
        m.theory = t;
        m.model = "MVA M/M/1";
        ++i;
      }
    } else {
      for (auto& m : model.stations)
        if (m.reason.empty())
          m.reason = "a closed workload, and the network is not one exact MVA solves (" + blocker + ")";
    }
  }
  return model;
}

}  // namespace archsim::cli
