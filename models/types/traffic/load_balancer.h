// models/types/traffic/load_balancer.h: spreads requests over the replicas of one service.
//
// Each request is proxied: the load balancer sends a call to the replica it
// picks and relays the reply, so it knows how many requests each replica has
// open through it (least_connections, power_of_two_choices). It may add a
// processing delay of its own but has no queue or capacity limit.
//
// Not modelled here: health checks and ejection, connection limits,
// timeouts on the backend, and consistent hashing (hash is a plain modulo
// over the replicas).
#pragma once

#include <vector>

#include "models/format/params.h"
#include "models/runtime/component_type.h"
#include "models/runtime/dependency.h"

namespace archsim::models {

struct LoadBalancerConfig {
  // In the order of the declaration's choices.
  enum class Policy { RoundRobin, WeightedRoundRobin, Random, LeastConnections, PowerOfTwoChoices, Hash };
  enum class HashOn { UserId, Key };
  std::string name;
  std::string backend;
  Policy policy = Policy::RoundRobin;
  std::vector<std::int64_t> weights;
  HashOn hash_on = HashOn::UserId;
  Delay latency;
};

spec::NodeRef load_balancer_spec();
ComponentType load_balancer_type();

class LoadBalancer final : public Component {
 public:
  using Policy = LoadBalancerConfig::Policy;

  LoadBalancer(LoadBalancerConfig config, Context& context);

  const char* type() const override { return "load_balancer"; }
  void connect(Wiring& wiring) override;
  void on_request(Request& request) override;
  void on_reply(Request& call) override;
  void on_timer(std::uint32_t kind, std::uint64_t data) override;
  void on_window_begin(sim::Time now) override;
  void check_invariants() const override;

 private:
  enum Timer : std::uint32_t { kForward = kFirstTimer };
  std::size_t pick(const Request& request);
  void forward(Request& request);

  Dependency backend_;
  Policy policy_;
  bool hash_on_key_ = false;
  Delay latency_;
  int latency_channel_ = -1;
  std::vector<std::int64_t> weights_;
  std::vector<std::int64_t> current_weight_;  // smooth weighted round robin state
  std::vector<std::int64_t> open_;            // requests open at each replica through here
  std::vector<std::uint64_t> sent_;           // requests sent to each replica, cumulative
  std::vector<std::uint64_t> window_sent_;
  std::size_t next_ = 0;
  sim::Rng rng_;
};

}  // namespace archsim::models
