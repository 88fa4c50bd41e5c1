#include "models/types/traffic/load_balancer.h"

#include <cassert>


namespace archsim::models {

using spec::Json;
using spec::Spec;

namespace {
const std::vector<std::string> kPolicies = {"round_robin",       "weighted_round_robin", "random",
                                            "least_connections", "power_of_two_choices", "hash"};
}

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
        .to(&Config::latency);
    lb.check([](const Json& value, const spec::Path& path, spec::Errors& errors) {
      const std::string policy = value["policy"].get<std::string>();
      if (policy == "weighted_round_robin" && !value.contains("weights"))
        errors.add(path, "policy weighted_round_robin needs weights, one per replica of the backend");
      if (policy != "weighted_round_robin" && value.contains("weights"))
        errors.add(path / "weights", "only used by policy weighted_round_robin, but the policy is " + policy);
      if (policy != "hash" && value.contains("hash_on"))
        errors.add(path / "hash_on", "only used by policy hash, but the policy is " + policy);
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
      rng_(context.streams.for_component(name_)) {
  metrics_.extra("policy", [this](sim::Time, sim::Time) { return Json(kPolicies[static_cast<std::size_t>(policy_)]); });
  metrics_.extra("backend", [this](sim::Time, sim::Time) { return Json(backend_.target_name()); });
  metrics_.extra("sent_qps_by_replica", [this](sim::Time start, sim::Time end) {
    const double seconds = (end - start).to_s();
    Json shares = Json::array();
    for (std::size_t i = 0; i < sent_.size(); ++i)
      shares.push_back(seconds > 0 ? static_cast<double>(sent_[i] - window_sent_[i]) / seconds : 0.0);
    return shares;
  });
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
}

std::size_t LoadBalancer::pick(const Request& request) {
  const std::size_t n = open_.size();
  switch (policy_) {
    case Policy::RoundRobin: {
      const std::size_t i = next_;
      next_ = next_ + 1 == n ? 0 : next_ + 1;
      return i;
    }
    case Policy::WeightedRoundRobin: {
      // Smooth weighted round robin: every replica gains its weight, the
      // richest is picked and pays the total. Spreads picks evenly in time.
      std::int64_t total = 0;
      std::size_t best = 0;
      for (std::size_t i = 0; i < n; ++i) {
        current_weight_[i] += weights_[i];
        total += weights_[i];
        if (current_weight_[i] > current_weight_[best]) best = i;
      }
      current_weight_[best] -= total;
      return best;
    }
    case Policy::Random:
      return static_cast<std::size_t>(rng_.below(n));
    case Policy::LeastConnections: {
      // Ties go to the first replica at or after the round-robin position,
      // so an idle pool still shares the work.
      std::size_t best = next_;
      for (std::size_t k = 1; k < n; ++k) {
        const std::size_t i = (next_ + k) % n;
        if (open_[i] < open_[best]) best = i;
      }
      next_ = next_ + 1 == n ? 0 : next_ + 1;
      return best;
    }
    case Policy::PowerOfTwoChoices: {
      if (n == 1) return 0;
      const auto a = static_cast<std::size_t>(rng_.below(n));
      auto b = static_cast<std::size_t>(rng_.below(n - 1));
      if (b >= a) ++b;  // two distinct replicas
      return open_[b] < open_[a] ? b : a;
    }
    case Policy::Hash:
      return static_cast<std::size_t>(sim::mix64(hash_on_key_ ? request.key : request.user_id) % n);
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
  assert(kind == kForward);
  (void)kind;
  forward(*reinterpret_cast<Request*>(data));
}

void LoadBalancer::forward(Request& request) {
  const std::size_t i = pick(request);
  ++open_[i];
  ++sent_[i];
  // The replica is kept in the call's scratch for the reply: the callee may
  // renumber `instance` (a forward moves the request on).
  call(backend_, request, static_cast<std::int32_t>(i)).scratch = i;
}

void LoadBalancer::on_reply(Request& call) {
  Request& request = *call.parent;
  --open_[call.scratch];
  request.take_reply_from(call);
  context_.requests.release(call);
  stats_.depart(now(), request, context_.callers_may_give_up);
  reply(request);
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
}

}  // namespace archsim::models
