#include "models/types/traffic/load_balancer.h"

#include <cassert>


namespace archsim::models {

using spec::Json;
using spec::Spec;

namespace {
const std::vector<std::string> kPolicies = {"round_robin",          "weighted_round_robin", "random",
                                            "least_connections",    "power_of_two_choices", "hash",
                                            "active_passive"};

spec::NodeRef health_check_spec() {
  using Config = HealthCheckConfig;
  static const spec::NodeRef node = [] {
    Spec h = Spec::object("Probes each replica of the backend every interval; k failed probes in a row eject it, m good "
                          "ones re-admit it");
    h.optional("interval_ms", Spec::number("Time between rounds of probes; the first round is one interval after the start")
                                  .unit("ms")
                                  .greater_than(0)
                                  .max(kMaxMilliseconds)
                                  .default_value(1000))
        .to(&Config::interval_ms)
        .optional("timeout_ms", Spec::number("A probe not answered within this long has failed; less than interval_ms")
                                    .unit("ms")
                                    .greater_than(0)
                                    .max(kMaxMilliseconds)
                                    .default_value(500))
        .to(&Config::timeout_ms)
        .optional("failures_to_eject", Spec::integer("Failed probes in a row that eject a replica (k)")
                                           .unit("probes")
                                           .min(1)
                                           .max(1000)
                                           .default_value(3))
        .to(&Config::failures_to_eject)
        .optional("successes_to_readmit", Spec::integer("Good probes in a row that re-admit an ejected replica (m)")
                                              .unit("probes")
                                              .min(1)
                                              .max(1000)
                                              .default_value(2))
        .to(&Config::successes_to_readmit)
        .optional("operation", Spec::string("Operation a probe asks for: a real request, served by the backend's handler "
                                            "for it (or its service_time)")
                                   .max_length(100)
                                   .default_value("health"))
        .to(&Config::operation);
    h.check([](const Json& value, const spec::Path& path, spec::Errors& errors) {
      const double interval = value["interval_ms"].get<double>();
      const double timeout = value["timeout_ms"].get<double>();
      if (timeout >= interval)
        errors.add(path / "timeout_ms", "must be less than interval_ms (" + spec::format_number(interval) + "), got " +
                                            spec::format_number(timeout) +
                                            ": a probe must end before the next round begins");
    });
    return h.build();
  }();
  return node;
}
}  // namespace

spec::NodeRef load_balancer_spec() {
  using Config = LoadBalancerConfig;
  static const spec::NodeRef node = [] {
    Spec lb = Spec::object("Spreads requests over the replicas of a service and relays the replies");
    lb.required("name", Spec::string("Unique name of the component").max_length(100))
        .to(&Config::name)
        .required("backend", Spec::reference("The component whose replicas receive the requests", "replicated").calls())
        .to(&Config::backend)
        .optional("policy", Spec::enumeration("How a replica is picked for each request", kPolicies).default_value("round_robin"))
        .to(&Config::policy)
        .optional("weights", Spec::array("Weight of each replica, in replica order (weighted_round_robin only)",
                                         Spec::integer("Relative share of requests").min(1).max(1'000'000))
                                 .items(1, 10000))
        .to(&Config::weights)
        .optional("hash_on", Spec::enumeration("Request attribute hashed to pick a replica (hash only; by default user_id, "
                                               "which keeps a user's session on one replica)",
                                               {"user_id", "key"}))
        .to(&Config::hash_on)
        .optional("latency", time_distribution_spec(), Json{{"type", "constant"}, {"value_ms", 0}})
        .to(&Config::latency)
        .optional("health_check", health_check_spec())
        .store<Config>([](const Json& v, Config& c) { c.health_check = spec::read<HealthCheckConfig>(v, *health_check_spec()); });
    lb.check([](const Json& value, const spec::Path& path, spec::Errors& errors) {
      const std::string policy = value["policy"].get<std::string>();
      if (policy == "weighted_round_robin" && !value.contains("weights"))
        errors.add(path, "policy weighted_round_robin needs weights, one per replica of the backend");
      if (policy != "weighted_round_robin" && value.contains("weights"))
        errors.add(path / "weights", "only used by policy weighted_round_robin, but the policy is " + policy);
      if (policy != "hash" && value.contains("hash_on"))
        errors.add(path / "hash_on", "only used by policy hash, but the policy is " + policy);
      if (policy == "active_passive" && !value.contains("health_check"))
        errors.add(path, "policy active_passive needs health_check: the standby takes over only once the active replica "
                         "is found down");
    });
    return lb.build();
  }();
  return node;
}

ComponentType load_balancer_type() {
  ComponentType t;
  t.name = "load_balancer";
  t.summary = "Spreads requests over a service's replicas by a policy and relays the replies";
  t.spec = load_balancer_spec();
  t.capabilities = {capability::kCallable};
  t.route = [](const Json& config, const std::string& operation, std::vector<Outflow>& out) {
    out.push_back({config["backend"].get<std::string>(), operation});
    return true;
  };
  t.originates = [](const Json& config, std::vector<Outflow>& out) {
    if (config.contains("health_check"))
      out.push_back({config["backend"].get<std::string>(), config["health_check"]["operation"].get<std::string>()});
  };
  t.check = [](const Json& config, const std::vector<std::string>&, const ScenarioView& scenario, const spec::Path& path,
               spec::Errors& errors) {
    // The weights must match the backend's replicas.
    if (!config.contains("weights")) return;
    const std::string backend = config["backend"].get<std::string>();
    const ComponentType* type = scenario.type_of(backend);
    if (type == nullptr || !type->replicas) return;
    const auto replicas = static_cast<std::size_t>(type->replicas(*scenario.component(backend)));
    if (config["weights"].size() != replicas)
      errors.add(path / "weights", "has " + std::to_string(config["weights"].size()) + " weights but backend \"" + backend +
                                       "\" has " + std::to_string(replicas) + " replicas");
  };
  t.make = factory<LoadBalancer, LoadBalancerConfig>(load_balancer_spec);
  return t;
}

LoadBalancer::LoadBalancer(LoadBalancerConfig config, Context& context)
    : Component(config.name, context),
      backend_(DependencyConfig{config.backend, "", std::nullopt}),
      policy_(config.policy),
      hash_on_key_(config.hash_on == LoadBalancerConfig::HashOn::Key),
      latency_(std::move(config.latency)),
      weights_(std::move(config.weights)),
      rng_(context.streams.for_component(name_)),
      health_(std::move(config.health_check)) {
  metrics_.extra("policy", [this](sim::Time, sim::Time) { return Json(kPolicies[static_cast<std::size_t>(policy_)]); });
  metrics_.extra("backend", [this](sim::Time, sim::Time) { return Json(backend_.target_name()); });
  metrics_.extra("sent_qps_by_replica", [this](sim::Time start, sim::Time end) {
    const double seconds = (end - start).to_s();
    Json shares = Json::array();
    for (std::size_t i = 0; i < sent_.size(); ++i)
      shares.push_back(seconds > 0 ? static_cast<double>(sent_[i] - window_sent_[i]) / seconds : 0.0);
    return shares;
  });
  if (!health_) return;
  probe_.emplace(DependencyConfig{config.backend, health_->operation, health_->timeout_ms});
  probe_interval_ = sim::Time::from_ms(health_->interval_ms);
  no_healthy_ = context.failures.intern("no_healthy_backend");
  MetricSet& m = metrics_;
  m.level("healthy_backends", "replicas", "Replicas of the backend not ejected by the health checks (and in its rotation, for one that scales)", &healthy_count_,
          LevelSeries::Mean);
  m.count("ejections", "replicas", "Replicas ejected after failures_to_eject failed probes in a row", &ejections_);
  m.count("readmissions", "replicas", "Ejected replicas re-admitted after successes_to_readmit good probes in a row",
          &readmissions_);
  m.count("probes_sent", "requests", "Health probes sent to the backend's replicas", &probes_sent_);
  m.count("probes_failed", "requests", "Health probes that failed or timed out", &probes_failed_);
}

void LoadBalancer::connect(Wiring& wiring) {
  backend_.connect(*this, wiring);
  auto& backend = dynamic_cast<Component&>(backend_.target());
  const auto n = static_cast<std::size_t>(backend.replicas());
  assert(n > 0 && (weights_.empty() || weights_.size() == n));  // checked in validation
  open_.assign(n, 0);
  sent_.assign(n, 0);
  window_sent_.assign(n, 0);
  current_weight_.assign(n, 0);
  if (latency_.is_constant() && !latency_.is_zero())
    latency_channel_ = context_.engine.channel(latency_.fixed(), sim::Phase::Departure);
  // Every replica counts as healthy until probes say otherwise; without
  // health checks the list stays whole, but for a backend that scales,
  // whose instances out of the rotation are left out.
  out_.assign(n, 0);
  for (std::size_t i = 0; i < n; ++i)
    if (!backend.in_rotation(i)) out_[i] |= kOutOfRotation;
  backend.watch_rotation(*this);
  healthy_.reserve(n);
  list_healthy();
  if (!probe_) return;
  probe_->connect(*this, wiring);
  failed_in_row_.assign(n, 0);
  good_in_row_.assign(n, 0);
  healthy_count_.set(now(), static_cast<std::int64_t>(healthy_.size()));
}

void LoadBalancer::start() {
  if (probe_) context_.engine.post_in(probe_interval_, sim::Phase::Timer, this, kProbeRound);
}

void LoadBalancer::list_healthy() {
  healthy_.clear();  // keeps its capacity: no allocation
  for (std::size_t i = 0; i < out_.size(); ++i)
    if (!out_[i]) healthy_.push_back(i);
}

// Each policy picks among the replicas not out (healthy_); with none
// out every choice, and every random draw, is what it would be without
// health checks. There is at least one (forward() checks).
std::size_t LoadBalancer::pick(const Request& request) {
  const std::size_t n = open_.size();
  const std::size_t h = healthy_.size();
  assert(h > 0);
  switch (policy_) {
    case Policy::RoundRobin: {
      // The turn passes over replicas out.
      std::size_t i = next_;
      if (h != n)
        while (out_[i]) i = i + 1 == n ? 0 : i + 1;
      next_ = i + 1 == n ? 0 : i + 1;
      return i;
    }
    case Policy::WeightedRoundRobin: {
      // Smooth weighted round robin: every replica gains its weight, the
      // richest is picked and pays the total. Spreads picks evenly in time.
      // Ejected replicas take no part: their weight stays where it was.
      std::int64_t total = 0;
      std::size_t best = healthy_.front();
      for (const std::size_t i : healthy_) {
        current_weight_[i] += weights_[i];
        total += weights_[i];
        if (current_weight_[i] > current_weight_[best]) best = i;
      }
      current_weight_[best] -= total;
      return best;
    }
    case Policy::Random:
      return healthy_[static_cast<std::size_t>(rng_.below(h))];
    case Policy::LeastConnections: {
      // Ties go to the first replica at or after the round-robin position,
      // so an idle pool still shares the work.
      std::size_t best = n;
      for (std::size_t k = 0; k < n; ++k) {
        const std::size_t i = (next_ + k) % n;
        if ((h == n || !out_[i]) && (best == n || open_[i] < open_[best])) best = i;
      }
      next_ = next_ + 1 == n ? 0 : next_ + 1;
      return best;
    }
    case Policy::PowerOfTwoChoices: {
      if (h == 1) return healthy_.front();
      const auto a = static_cast<std::size_t>(rng_.below(h));
      auto b = static_cast<std::size_t>(rng_.below(h - 1));
      if (b >= a) ++b;  // two distinct replicas
      return open_[healthy_[b]] < open_[healthy_[a]] ? healthy_[b] : healthy_[a];
    }
    case Policy::Hash: {
      // A user (or key) keeps its replica while that replica is in; when it
      // is ejected, the user is hashed again over the replicas left.
      const std::uint64_t hash = sim::mix64(hash_on_key_ ? request.key : request.user_id);
      const auto i = static_cast<std::size_t>(hash % n);
      return h != n && out_[i] ? healthy_[static_cast<std::size_t>(hash % h)] : i;
    }
    case Policy::ActivePassive:
      return healthy_.front();  // the first replica in: the others stand by
  }
  return 0;
}

void LoadBalancer::on_request(Request& request) {
  ++stats_.counters.arrivals;
  request.arrived = now();
  stats_.in_system.add(now(), +1);
  if (latency_.is_zero()) {
    forward(request);
  } else if (latency_channel_ >= 0) {
    context_.engine.post_on(latency_channel_, this, kForward, reinterpret_cast<std::uint64_t>(&request));
  } else {
    context_.engine.post_in(latency_.draw(rng_), sim::Phase::Departure, this, kForward,
                                reinterpret_cast<std::uint64_t>(&request));
  }
}

void LoadBalancer::on_timer(std::uint32_t kind, std::uint64_t data) {
  if (kind == kProbeRound) {
    probe_round();
    return;
  }
  assert(kind == kForward);
  forward(*reinterpret_cast<Request*>(data));
}

void LoadBalancer::forward(Request& request) {
  if (healthy_.empty()) [[unlikely]] {
    // Every replica is ejected: nowhere to send it.
    request.failure = no_healthy_;
    stats_.depart(now(), request, context_.callers_may_give_up);
    reply(request);
    return;
  }
  const std::size_t i = pick(request);
  ++open_[i];
  ++sent_[i];
  // The replica is kept in the call's scratch for the reply: the callee may
  // renumber `instance` (a forward moves the request on).
  call(backend_, request, static_cast<std::int32_t>(i)).scratch = i;
}

void LoadBalancer::on_reply(Request& call) {
  if (call.parent == nullptr) [[unlikely]] {
    // A probe (relayed calls always have a parent): good unless it failed.
    const std::size_t replica = call.scratch;
    const bool good = !call.failure;
    context_.requests.release(call);
    probe_ended(replica, good);
    return;
  }
  Request& request = *call.parent;
  --open_[call.scratch];
  request.take_reply_from(call);
  context_.requests.release(call);
  stats_.depart(now(), request, context_.callers_may_give_up);
  reply(request);
}

void LoadBalancer::on_call_timeout(Request& call) {
  // Only probes have a timeout; the probe stays out, and its late reply,
  // if one comes, is dropped (late_replies).
  assert(call.parent == nullptr);
  probe_ended(call.scratch, false);
}

void LoadBalancer::probe_round() {
  // One probe to each replica, in replica order, then the next round.
  // Every probe of a round has ended before the next (timeout_ms <
  // interval_ms), so a replica's outcomes come in the order sent.
  // Replicas out of the rotation are not probed.
  const auto n = static_cast<std::int32_t>(out_.size());
  for (std::int32_t r = 0; r < n; ++r) {
    if (out_[static_cast<std::size_t>(r)] & kOutOfRotation) [[unlikely]]
      continue;
    Request& probe = new_request();
    probe.created = now();
    probe.user_id = kNoUser;
    probe.operation = probe_->operation(probe);
    probe.instance = r;
    probe.scratch = static_cast<std::uint64_t>(r);
    ++probes_sent_;
    dispatch(*probe_, probe);
  }
  context_.engine.post_in(probe_interval_, sim::Phase::Timer, this, kProbeRound);
}

void LoadBalancer::probe_ended(std::size_t replica, bool good) {
  if (!good) {
    ++probes_failed_;
    good_in_row_[replica] = 0;
    if (++failed_in_row_[replica] == health_->failures_to_eject && !(out_[replica] & kEjected)) eject(replica);
  } else {
    failed_in_row_[replica] = 0;
    if (++good_in_row_[replica] == health_->successes_to_readmit && (out_[replica] & kEjected)) readmit(replica);
  }
}

void LoadBalancer::eject(std::size_t replica) {
  out_[replica] |= kEjected;
  list_healthy();
  healthy_count_.set(now(), static_cast<std::int64_t>(healthy_.size()));
  ++ejections_;
  context_.detections.detected(backend_.target(), static_cast<std::int32_t>(replica), *this, now());
}

void LoadBalancer::readmit(std::size_t replica) {
  out_[replica] &= static_cast<std::uint8_t>(~kEjected);
  list_healthy();
  healthy_count_.set(now(), static_cast<std::int64_t>(healthy_.size()));
  ++readmissions_;
}

void LoadBalancer::rotation_changed(std::size_t replica, bool in) {
  if (in) {
    // A new instance registered: the health checks judge it afresh.
    out_[replica] = 0;
    if (probe_) {
      failed_in_row_[replica] = 0;
      good_in_row_[replica] = 0;
    }
  } else {
    out_[replica] |= kOutOfRotation;
  }
  list_healthy();
  if (probe_) healthy_count_.set(now(), static_cast<std::int64_t>(healthy_.size()));
}

void LoadBalancer::on_window_begin(sim::Time) { window_sent_ = sent_; }

void LoadBalancer::check_invariants() const {
  Component::check_invariants();
  std::int64_t open = 0;
  for (auto o : open_) {
    assert(o >= 0);
    open += o;
  }
  // Every request inside is either waiting out the processing delay or open at a replica.
  assert(open <= stats_.in_system.value());
  (void)open;
  std::size_t in = 0;
  for (std::size_t i = 0; i < out_.size(); ++i) in += out_[i] ? 0 : 1;
  assert(in == healthy_.size());
  assert(!probe_ || healthy_count_.value() == static_cast<std::int64_t>(in));
  (void)in;
}

}  // namespace archsim::models
