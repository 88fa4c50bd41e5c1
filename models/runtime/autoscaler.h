// models/runtime/autoscaler.h: target-tracking autoscaling of a WorkerPool.
//
// The pool is built with max_instances replicas; the autoscaler keeps each
// one serving, starting, draining or off (WorkerPool::enable_rotation). Every
// decision interval it measures one metric over the last window_s of the
// run, from the pool's own figures:
//   utilization   time-average of workers held, over the workers of the
//                 instances holding work (serving and draining);
//   queue_length  time-average of requests waiting, per serving instance;
//   request_rate  requests that reached the pool, per serving
//                 instance-second.
// The desired count is the load over the window in instances' worth at
// the target: ceil(mean workers held / (workers × target)), ceil(mean
// requests waiting / target), ceil(arrival rate / target), i.e. what the
// metric per instance reads times the instances it is per, over the target
// (target tracking's ceil(N × metric / target), with N the instances the
// window's measure is over rather than those serving at the instant), clamped
// to [min_instances, max_instances]. Above the count serving and starting, it
// starts off instances at once (scale out); each one serves startup_s later,
// and starting instances count towards the next decisions, so a slow start
// does not launch more and more. Below the count serving, with none
// starting and cooldown_s passed since the last scaling action of either
// direction, it drains instances, the highest-numbered serving ones first,
// down to the desired count (scale in): a draining instance leaves the
// rotation at once (takes nothing new), finishes what it holds and what
// waits in its queue, then is off.
//
// The owner hears of every instance that joins or leaves the rotation
// through the RotationWatchers registered with it (load balancers in front,
// as instances register with a target group), and calls emptied() when a
// replica's last request leaves (a draining replica is then off).
//
// Not modelled here: predictive and scheduled scaling, step scaling,
// several policies on one pool, warm pools, the replacement of unhealthy
// instances (a crashed instance stays counted as serving), instance
// start-up failures, a deregistration delay.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "models/format/spec.h"
#include "models/runtime/component.h"
#include "models/runtime/worker_pool.h"
#include "sim/metrics.h"
#include "sim/ring_buffer.h"

namespace archsim::models {

struct AutoscalingConfig {
  // In the order of the declaration's choices.
  enum class Metric { Utilization, QueueLength, RequestRate };
  Metric metric = Metric::Utilization;
  double target = 0.6;
  std::int64_t min_instances = 1;
  std::int64_t max_instances = 10;
  double interval_s = 60;
  double window_s = 0;  // 0: interval_s
  double startup_s = 60;
  double cooldown_s = 300;
  bool scale_in = true;
};

// The declaration of a service's `autoscaling` object. Its check needs the
// service's `replicas`: see check_autoscaling.
spec::NodeRef autoscaling_spec();
// Cross-field rules with the owner's replicas (the initial count).
void check_autoscaling(const spec::Json& autoscaling, std::int64_t replicas, const spec::Path& path,
                       spec::Errors& errors);

class Autoscaler {
 public:
  // Timer kinds the owner hands back to on_timer: first_timer, + 1, + 2.
  static constexpr std::uint32_t kTimerKinds = 3;

  // `initial`: the instances serving at the start; the others are off.
  Autoscaler(const AutoscalingConfig& config, std::int64_t initial, WorkerPool& pool, ComponentStats& stats,
             Context& context, sim::EventTarget& owner, std::uint32_t first_timer);

  void start();
  void on_timer(std::uint32_t kind, std::uint64_t data);
  // The replica's last request has left: a draining replica is off now.
  void emptied(std::size_t replica) {
    if (pool_.state(replica) == InstanceState::Draining && pool_.load(replica) == 0) turn_off(replica);
  }
  void watch(RotationWatcher& watcher) { watchers_.push_back(&watcher); }
  bool in_rotation(std::size_t replica) const { return pool_.state(replica) == InstanceState::Serving; }
  // Called with each replica that has just turned off (its memory is gone).
  std::function<void(std::size_t)> on_off;

  // Workers of the instances holding work (serving and draining): the
  // capacity the owner's utilization is over.
  sim::TimeWeighted& capacity() { return capacity_; }
  // Its mean over the measured window, up to now.
  double window_capacity(sim::Time now) const;
  void declare_metrics(MetricSet& metrics);
  void on_window_begin(sim::Time now);
  void check_invariants() const;

 private:
  // The pool's cumulative figures at one instant: a window's start.
  struct Sample {
    sim::Time at{};
    __int128 busy = 0, queue = 0, capacity = 0, serving = 0;
    std::uint64_t arrivals = 0;
  };
  Sample sample(sim::Time now) const;
  void decide();
  void scale_out(std::int64_t instances);
  void scale_in(std::int64_t instances);
  void turn_off(std::size_t replica);
  void set(std::size_t replica, InstanceState state);
  void tell(std::size_t replica, bool in);
  sim::Time now() const { return context_.engine.now(); }

  AutoscalingConfig config_;
  WorkerPool& pool_;
  ComponentStats& stats_;
  Context& context_;
  sim::EventTarget& owner_;
  std::uint32_t decide_kind_, sample_kind_, ready_kind_;
  sim::Time interval_{}, window_{}, startup_{}, cooldown_{};
  sim::RingBuffer<Sample> samples_;  // the starts of the windows of the decisions to come
  std::vector<RotationWatcher*> watchers_;
  std::int64_t counts_[4] = {0, 0, 0, 0};  // instances in each InstanceState
  sim::TimeWeighted serving_, starting_, draining_, running_, capacity_, desired_;
  std::int64_t min_serving_window_ = 0;
  std::int64_t max_serving_window_ = 0;
  bool acted_ = false;       // a scaling action has been taken
  sim::Time last_action_{};  // when the latest was
  double last_metric_ = 0;   // measured at the latest decision
  std::uint64_t decisions_ = 0, scale_outs_ = 0, scale_ins_ = 0, started_ = 0, stopped_ = 0;
  __int128 running_at_window_ = 0, capacity_at_window_ = 0, serving_at_window_ = 0;
  sim::Time window_start_{};
};

}  // namespace archsim::models
