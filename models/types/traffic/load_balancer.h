// models/types/traffic/load_balancer.h: spreads requests over the replicas of one service.
//
// Each request is proxied: the load balancer sends a call to the replica it
// picks and relays the reply, so it knows how many requests each replica has
// open through it (least_connections, power_of_two_choices). It may add a
// processing delay of its own but has no queue or capacity limit.
//
// Health checks (optional): every interval it sends each replica a probe, a
// real request of the probe's operation over the same link as any other, so
// a probe takes a worker of the replica (or waits for one behind the queue),
// is refused by a crashed replica, is refused or lost on a cut link, and
// times out on a replica too slow or too loaded to answer within the
// probe's timeout. A probe fails when its reply is a failure or its timeout
// fires first. k failed probes in a row eject a replica: no request is sent
// to it until m good probes in a row re-admit it. Without health checks the
// load balancer knows nothing of its replicas' health: a dead replica keeps
// getting its share. With every replica ejected, a request fails at once
// with no_healthy_backend. Each ejection is reported as a detection of the
// fault on that replica (FaultDetections), for the fault timeline's time to
// detect. Policy active_passive sends everything to the first replica not
// ejected, in replica order: the others stand by, answer probes, and take
// over once the active one is ejected; it fails back when that one is
// re-admitted.
//
// A backend that scales (autoscaling) tells the load balancer of every
// instance that joins or leaves its rotation: an instance out of the
// rotation (starting, draining, off) is sent nothing and probed not, like
// an ejected one; one that joins is judged afresh by the health checks.
// Each replica keeps its reasons to be out (ejected, out of the rotation)
// apart, so that neither undoes the other.
//
// Not modelled here: connection limits, timeouts and retries on the relayed
// calls, passive health checking (ejecting on the failures of real
// requests: outlier detection), a panic threshold (sending to ejected
// replicas when too few are left), jitter between probes, and consistent
// hashing (hash is a plain modulo over the replicas; a user whose replica
// is ejected is hashed again over those left).
#pragma once

#include <optional>
#include <vector>

#include "models/format/params.h"
#include "models/runtime/component_type.h"
#include "models/runtime/dependency.h"

namespace archsim::models {

struct HealthCheckConfig {
  double interval_ms = 1000;           // between rounds of probes
  double timeout_ms = 500;             // < interval_ms: one probe out per replica at most
  std::int64_t failures_to_eject = 3;  // k
  std::int64_t successes_to_readmit = 2;  // m
  std::string operation = "health";
};

struct LoadBalancerConfig {
  // In the order of the declaration's choices.
  enum class Policy { RoundRobin, WeightedRoundRobin, Random, LeastConnections, PowerOfTwoChoices, Hash, ActivePassive };
  enum class HashOn { UserId, Key };
  std::string name;
  std::string backend;
  Policy policy = Policy::RoundRobin;
  std::vector<std::int64_t> weights;
  HashOn hash_on = HashOn::UserId;
  Delay latency;
  std::optional<HealthCheckConfig> health_check;  // none: no probes, every replica is sent its share
};

spec::NodeRef load_balancer_spec();
ComponentType load_balancer_type();

class LoadBalancer final : public Component, public RotationWatcher {
 public:
  using Policy = LoadBalancerConfig::Policy;

  LoadBalancer(LoadBalancerConfig config, Context& context);

  const char* type() const override { return "load_balancer"; }
  void connect(Wiring& wiring) override;
  void start() override;
  void on_request(Request& request) override;
  void on_reply(Request& call) override;
  void on_call_timeout(Request& call) override;
  void on_timer(std::uint32_t kind, std::uint64_t data) override;
  void on_window_begin(sim::Time now) override;
  void check_invariants() const override;
  void rotation_changed(std::size_t replica, bool in) override;

 private:
  // Why a replica is sent nothing: bits of out_.
  static constexpr std::uint8_t kEjected = 1, kOutOfRotation = 2;
  enum Timer : std::uint32_t { kForward = kFirstTimer, kProbeRound };
  std::size_t pick(const Request& request);
  void forward(Request& request);
  // Health checks: a round of probes, one probe's outcome, and the changes
  // of a replica's standing.
  void probe_round();
  void probe_ended(std::size_t replica, bool good);
  void eject(std::size_t replica);
  void readmit(std::size_t replica);
  void list_healthy();

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

  // Health checks (all empty or zero without them).
  std::optional<HealthCheckConfig> health_;
  std::optional<Dependency> probe_;
  sim::Time probe_interval_{};
  std::vector<std::uint8_t> out_;           // by replica: why it is sent nothing (kEjected | kOutOfRotation), 0 if in
  std::vector<std::size_t> healthy_;        // replicas not out, in replica order
  std::vector<std::int64_t> failed_in_row_;  // consecutive failed probes, by replica
  std::vector<std::int64_t> good_in_row_;    // consecutive good probes, by replica
  sim::TimeWeighted healthy_count_;
  std::uint64_t probes_sent_ = 0, probes_failed_ = 0, ejections_ = 0, readmissions_ = 0;
  Failure no_healthy_{};
};

}  // namespace archsim::models
