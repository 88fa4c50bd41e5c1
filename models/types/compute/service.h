// models/types/compute/service.h: a pool of identical replicas, each with a
// number of workers and a bounded FIFO queue (a WorkerPool).
//
// A request takes a free worker of its replica or waits in that replica's
// queue; a request that finds the queue full is rejected (queue_full). A
// worker runs the handler of the request's operation, a list of steps:
// compute for a drawn time; call another component and wait for the reply;
// call several in parallel and wait for all; or forward the request on, which
// frees the worker and lets the next component reply to the caller. A worker
// stays held while it waits on a call, so a slow dependency exhausts the pool
// and the queue builds upstream, as in life. A call may have a timeout: the
// worker stops waiting, the step fails (timeout), and the callee's work goes
// on; its late reply is dropped. A call may have a retry policy
// (models/runtime/retry_policy.h): the worker stays held through the
// backoffs and attempts, and the step sees only the last attempt's outcome. A failed call fails the handler: the
// remaining steps are skipped and the failure goes back to the caller. A
// parallel step waits for every call to end (reply or timeout) first. A call
// to a cache may carry steps to run on a miss (cache-aside: read the
// database, then fill the cache); on a hit they are skipped. A request
// carries the data version its last call brought back, so a fill stores what
// the database read returned.
//
// Faults (on_fault): a slowed replica's compute steps take k times their
// drawn time plus an added delay (the draws themselves unchanged). A crashed
// replica fails at once, with the cause crashed, the requests holding its
// workers (the calls they made are disowned: their replies are dropped) and
// those waiting in its queue, and refuses with crashed every request that
// reaches it, until it recovers, empty.
//
// Sessions (sessions: local): each user's session lives on the replica that
// admitted them; a crash loses its replica's sessions (session_table.h).
//
// Resilience (docs/models/resilience.md): the calls to one component may be
// guarded by a circuit breaker and a bulkhead, one per replica of the
// service, shared by every step that calls it; a call either refuses fails
// at once (circuit_open, bulkhead_full) and is never made. Load shedding:
// with shed_wait_ms, a request that waited longer than that when a worker
// would take it is dropped then (shed). With drop_abandoned, a request whose
// callers have all given up is dropped when a worker would take it or before
// its next step (abandoned); without it, it is served to the end for nobody
// (counted as orphaned, its worker time as wasted_utilization). The fault timeline's fail makes a
// replica fail a fraction of the requests reaching it at once (error),
// before they take a worker or a place in the queue.
//
// Autoscaling (optional, models/runtime/autoscaler.h): the pool has
// max_instances replicas, `replicas` of them serving at the start; a
// target-tracking policy launches and drains instances as a measured
// metric asks. Only serving instances take new requests, from the load
// balancers in front (told of every change: watch_rotation) or from the
// pool's own round robin; a drained instance finishes what it holds, then is
// off, and its sessions are gone. Utilization is over the workers of the
// instances holding work (serving and draining), time-averaged.
//
// Not modelled here: CPU contention between workers (each worker is its own
// processor), per-request memory.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "models/format/params.h"
#include "models/runtime/component_type.h"
#include "models/runtime/autoscaler.h"
#include "models/runtime/bulkhead.h"
#include "models/runtime/circuit_breaker.h"
#include "models/runtime/dependency.h"
#include "models/runtime/session_table.h"
#include "models/runtime/fail_fraction.h"
#include "models/runtime/slow_down.h"
#include "models/runtime/worker_pool.h"

namespace archsim::models {

struct StepConfig {
  enum class Kind { Compute, Call, Parallel, Forward } kind = Kind::Compute;
  Delay time;                           // Compute
  std::vector<DependencyConfig> calls;  // Call and Forward: one; Parallel: several
  std::vector<StepConfig> on_miss;      // Call: run only when a cache answers it with a miss
};

struct HandlerConfig {
  std::string operation;  // empty: the handler service_time makes for every other operation
  std::vector<StepConfig> steps;
};

struct ServiceConfig {
  std::string name;
  PoolConfig pool;
  std::vector<HandlerConfig> handlers;  // by declaration; service_time's last
  bool sessions_local = false;          // users' sessions held in the replicas' memory (session_table.h)
  std::optional<AutoscalingConfig> autoscaling;  // none: pool.replicas serve all along
  std::optional<double> bandwidth_bytes_per_s;   // each replica's network card; none: unlimited
};

spec::NodeRef service_spec();
ComponentType service_type();

class Service final : public Component {
 public:
  Service(ServiceConfig config, Context& context);

  const char* type() const override { return "service"; }
  void connect(Wiring& wiring) override;
  std::int64_t capacity() const override { return pool_.capacity(); }
  std::int64_t replicas() const override { return pool_.replicas(); }
  double mean_capacity(sim::Time now) const override {
    return autoscaler_ ? autoscaler_->window_capacity(now) : static_cast<double>(capacity());
  }
  bool in_rotation(std::size_t replica) const override { return !autoscaler_ || autoscaler_->in_rotation(replica); }
  void watch_rotation(RotationWatcher& watcher) override {
    if (autoscaler_) autoscaler_->watch(watcher);
  }
  void start() override;

  void on_request(Request& request) override;
  void on_reply(Request& call) override;
  void on_call_timeout(Request& call) override;
  void on_timer(std::uint32_t kind, std::uint64_t data) override;
  bool on_fault(const FaultAction& action) override;

  void on_window_begin(sim::Time now) override;
  void check_invariants() const override;

 private:
  // A compute step's end is kComputeDone + the pool's life when the step
  // began; the autoscaler's timers come before it.
  enum Timer : std::uint32_t { kAutoscale = kFirstTimer, kComputeDone = kAutoscale + Autoscaler::kTimerKinds };
  // With a network card: a request's card is that of the replica it will
  // go to, chosen as it arrives.
  std::int32_t receiving_replica(Request& request) override {
    return static_cast<std::int32_t>(pool_.choose_replica(request));
  }
  struct Step {
    StepConfig::Kind kind = StepConfig::Kind::Compute;
    Delay time;
    int channel = -1;  // the engine's lane when the time is constant
    std::vector<Dependency> calls;
    std::vector<std::size_t> waits;  // for each call, its target's entry in waits_
    std::uint16_t skip_on_hit = 0;   // steps after it run only on a miss (on_miss)
  };
  // Time workers spent waiting on calls to one component, added as each
  // call ends, so the results can say what a busy pool waits on.
  struct Wait {
    std::string target;
    __int128 waited_ns = 0;
    __int128 at_window = 0;
    bool retried = false;           // some call step to it has a retry policy
    RetryCounters retries = {};     // of every call step to it
    RetryCounters retries_at_window = {};
    bool hedged = false;            // some call step to it is hedged
    HedgeCounters hedges = {};      // of every call step to it
    HedgeCounters hedges_at_window = {};
    const HedgePolicy* hedge = nullptr;  // the first step's, whose delay is reported
  };
  struct Handler {
    std::vector<Step> steps;
  };
  void begin(Request& request);
  void run(Request& request);
  void call_ended(Request& request);
  // Appends a step, and its on_miss steps after it, to `handler`.
  void add_step(Handler& handler, StepConfig& config);
  void declare_retry_metrics();  // and the hedges'
  void finish(Request& request);
  // Frees the request's worker and counts its departure; returns the
  // replica, whose worker the caller then hands on with serve_next.
  std::size_t leave(Request& request);
  void serve_next(std::size_t replica) {
    while (Request* late = pool_.shed_next(replica, now())) shed(*late);
    if (Request* next = pool_.next(replica, now())) begin(*next);
    else if (autoscaler_) [[unlikely]] autoscaler_->emptied(replica);
  }
  void compute_done(Request& request);
  [[gnu::noinline]] void forward(Request& request, Dependency& to);
  // A compute step's time on a slowed replica.
  [[gnu::noinline]] sim::Time slowed(const Step& step, const Request& request);
  void crash(std::size_t replica);

  // Resilience, out of the way of unguarded calls.
  struct Guard {
    std::unique_ptr<CircuitBreakers> breaker;  // null: none
    std::unique_ptr<Bulkheads> bulkhead;       // null: none
  };
  void add_guards(const DependencyConfig& call, std::size_t wait);
  void declare_guards();
  [[gnu::noinline]] void guarded_call(Dependency& dependency, std::size_t wait, Request& request);
  [[gnu::noinline]] void guarded_call_ended(const Request& call, bool failed);
  [[gnu::noinline]] void fail_at_once(Request& request);
  [[gnu::noinline]] void shed(Request& request);
  [[gnu::noinline]] void drop(Request& request);

  WorkerPool pool_;
  std::vector<Wait> waits_;  // by target, in order of first call; fixed after construction
  std::vector<Handler> handlers_;              // by declaration
  std::vector<std::string> handler_names_;     // operation each handler serves; "" = service_time
  std::vector<Handler*> by_operation_;         // by operation index; null: no handler (refused in validation)
  Failure timeout_{};                          // given by a call that timed out
  sim::Rng rng_;
  SlowDowns slow_;                             // by replica
  Failure crashed_{};                          // registered at the first crash
  std::unique_ptr<SessionTable> sessions_;     // sessions: local only
  std::unique_ptr<NetworkCard> card_;          // bandwidth_bytes_per_s only
  std::vector<Guard> guards_;                  // by target, as waits_
  bool guarded_ = false;                       // some call has a breaker or a bulkhead
  Failure circuit_open_{}, bulkhead_full_{};
  FailFractions failing_;                      // by replica
  Failure error_{};                            // registered at the first fail
  std::unique_ptr<Autoscaler> autoscaler_;     // autoscaling only
};

}  // namespace archsim::models
