// models/runtime/worker_pool.h: replicas × workers, each replica with a
// bounded FIFO queue. The building block of every component that serves
// requests with a fixed number of workers: a service, and later a database
// replica, a cache server, a queue's consumers.
//
// A request admitted to a replica takes one of its free workers or waits in
// its queue; a request that finds the queue full is rejected (failure
// queue_full). When a worker is freed, the request at the head of that
// replica's queue takes it. The pool counts what every such component
// reports: workers held and computing, queue length, waits (into the
// owner's ComponentStats), and each replica's busy time and completions.
// What a worker does with a request is its owner's business.
//
// A replica can be taken down (a crash) and brought back: while down, every
// request admitted to it is refused with the cause its owner gave; its owner
// empties it through holders() and take_waiting(). The pool marks the
// requests holding its workers (Request::held_by) to find them again.
//
// Load shedding (optional, declare_shedding): a request that has waited in
// the queue longer than shed_wait when a worker frees is dropped then, failed
// with shed, and the next one is judged (shed_next); a long queue is already
// bounded by queue_capacity (queue_full at admission). Dropping abandoned
// requests (optional, declare_dropping): in the same way, a request at the
// head of the queue whose callers have all given up on it
// (Request::awaited_all_the_way) is dropped, failed with abandoned.
//
// Rotation (autoscaling, optional: enable_rotation): each replica is then
// serving, starting, draining or off, and only serving replicas are in the
// rotation. A request the pool picks for itself goes round robin over the
// serving replicas; one addressed to a replica not serving (sent to it
// before it left the rotation) is turned over to the next serving one, so a
// replica out of the rotation takes nothing new. Who moves a replica from
// one state to another is the owner's business (models/runtime/autoscaler.h).
//
// Not modelled here: other queue disciplines, work stealing between
// replicas, per-request memory.
#pragma once

#include <cassert>
#include <cstdint>
#include <limits>
#include <vector>

#include "models/format/spec.h"
#include "models/runtime/component.h"
#include "models/runtime/metric_set.h"
#include "sim/metrics.h"
#include "sim/ring_buffer.h"

namespace archsim::models {

struct PoolConfig {
  std::int64_t replicas = 1;
  std::int64_t workers = 1;  // per replica
  std::int64_t queue_capacity = 100000;  // per replica
  double shed_wait_ms = 0;  // 0: no shedding
  bool drop_abandoned = false;  // drop the queued requests nobody waits for any more
};

// Declares a pool's parameters (replicas, workers, queue_capacity) in a
// component type's declaration, bound to its PoolConfig member: every type
// that owns a pool takes them with the same names, ranges and meaning.
template <class Config>
void declare_pool(spec::Spec& object, PoolConfig Config::*pool) {
  using spec::Json;
  using spec::Spec;
  object
      .optional("replicas", Spec::integer("Identical instances of the component").min(1).max(10000).default_value(1))
      .template store<Config>([pool](const Json& v, Config& c) { (c.*pool).replicas = v.get<std::int64_t>(); })
      .optional("workers", Spec::integer("Requests each replica serves at once (threads, processes)").min(1).max(100000).default_value(1))
      .template store<Config>([pool](const Json& v, Config& c) { (c.*pool).workers = v.get<std::int64_t>(); })
      .optional("queue_capacity",
                Spec::integer("Requests each replica holds waiting for a worker; one more is rejected (queue_full)")
                    .unit("requests")
                    .min(0)
                    .max(10'000'000)
                    .default_value(100000))
      .template store<Config>([pool](const Json& v, Config& c) { (c.*pool).queue_capacity = v.get<std::int64_t>(); });
}

// Declares `shed_wait_ms`, for a type whose owner sends back what the pool
// sheds (WorkerPool::shed_next) each time before it takes the next request.
template <class Config>
void declare_shedding(spec::Spec& object, PoolConfig Config::*pool) {
  using spec::Json;
  using spec::Spec;
  object
      .optional("shed_wait_ms",
                Spec::number("Load shedding: a request that has waited longer than this when a worker would take it "
                             "is dropped, failed with shed (the queue's length is bounded by queue_capacity)")
                    .unit("ms")
                    .greater_than(0)
                    .max(1e9))
      .template store<Config>([pool](const Json& v, Config& c) { (c.*pool).shed_wait_ms = v.get<double>(); });
}

// Declares `drop_abandoned`, for a type whose owner sends back what the pool
// drops (WorkerPool::shed_next) and checks its requests between steps
// (Request::awaited_all_the_way).
template <class Config>
void declare_dropping(spec::Spec& object, PoolConfig Config::*pool) {
  using spec::Json;
  using spec::Spec;
  object
      .optional("drop_abandoned",
                Spec::boolean("Drop a request whose callers have all given up on it (their timeouts fired), when a "
                              "worker would take it and before each step of its handler, failed with abandoned; "
                              "false: it is served to the end, for nobody (wasted work)")
                    .default_value(false))
      .template store<Config>([pool](const Json& v, Config& c) { (c.*pool).drop_abandoned = v.get<bool>(); });
}

// A replica's place in an autoscaled pool (WorkerPool::enable_rotation).
enum class InstanceState : std::uint8_t { Serving, Starting, Draining, Off };

class WorkerPool {
 public:
  enum class Admission { Started, Queued, Rejected };

  WorkerPool(const PoolConfig& config, ComponentStats& stats, Context& context);

  // Picks the request's replica (the one a load balancer chose, else the
  // next in turn) and gives it a worker, a place in the queue, or the
  // queue_full failure (a replica that is down refuses with its own cause).
  // `request.arrived` must be set: a wait counts from it.
  Admission admit(Request& request, sim::Time now);
  // Picks the request's replica without admitting it (the one a load
  // balancer chose, else the next in turn), as admit() would; admit() then
  // keeps it.
  std::size_t choose_replica(Request& request);
  // admit(), and the owner's count of what it holds: an admitted request
  // (started or queued) is inside from now on, a refused one is counted as
  // rejected, for the owner to send back failed. The owner begins what
  // started.
  Admission enter(Request& request, sim::Time now) {
    const Admission admission = admit(request, now);
    if (admission == Admission::Rejected) ++stats_.counters.rejected;
    else stats_.in_system.add(now, +1);
    return admission;
  }
  // Frees the worker `request` held (the request is done here) and returns
  // the replica it was on.
  std::size_t free_worker(Request& request, sim::Time now);
  // The next request waiting at the replica takes the worker just freed
  // (its wait counted); null when none waits.
  Request* next(std::size_t replica, sim::Time now);
  // With shedding or dropping, before next(): the oldest request waiting
  // at the replica, taken out of the queue and failed with shed if it has
  // waited longer than shed_wait_ms, or with abandoned if nobody waits for
  // it any more, for the owner to count as gone and send back; null when
  // there is none (or neither is on).
  Request* shed_next(std::size_t replica, sim::Time now) {
    if (!judging_) [[likely]] return nullptr;
    return shed_oldest(replica, now);
  }
  bool drops_abandoned() const { return dropping_; }
  // The owner dropped a request that held a worker, between its steps.
  void count_dropped() { ++dropped_count_; }
  // The cause of a request dropped because nobody waits for it (dropping on).
  Failure abandoned() const { return abandoned_; }

  // Takes a replica down (`refusal`: the failure of what is admitted to it
  // meanwhile) or, with kNoFailure, brings it back. Taking one down begins
  // a new life of the pool (see life()).
  void set_down(std::size_t replica, Failure refusal) {
    if (refusal && !replicas_[replica].down) {
      assert(life_ < std::numeric_limits<std::uint32_t>::max() / 2);
      ++life_;
    }
    replicas_[replica].down = refusal;
  }
  bool down(std::size_t replica) const { return static_cast<bool>(replicas_[replica].down); }

  // Rotation (autoscaling): the first `serving` replicas serve, the others
  // are off, from now on every replica has a state.
  void enable_rotation(std::int64_t serving);
  bool rotating() const { return rotating_; }
  InstanceState state(std::size_t replica) const { return replicas_[replica].state; }
  // Moves a replica to a state; the rotation follows (no allocation).
  void set_state(std::size_t replica, InstanceState state, sim::Time now);
  // The requests holding workers of the replica, in the request pool's
  // order. Walks the whole request pool: for a crash, not for every request.
  std::vector<Request*> holders(std::size_t replica) const;
  // Takes the oldest request waiting at the replica out of its queue, or null.
  Request* take_waiting(std::size_t replica, sim::Time now);

  // Compute steps and crashes. The pool's life counts the crashes of its
  // replicas so far. A request is stamped with the life in which it took its
  // worker and in which its latest compute step began (Request::life), and
  // the owner posts the step's end carrying that life (life()). When the end
  // comes in an earlier life than the pool's, the step may have been cut
  // short by a crash: it is still under way only if the request still holds
  // a worker here, stamped in the same life (cut_short).
  void begin_compute(sim::Time now, Request& request) {
    stats_.computing.add(now, +1);
    request.life = life_;
  }
  void end_compute(sim::Time now) { stats_.computing.add(now, -1); }
  std::uint32_t life() const { return life_; }
  bool cut_short(const Request& request, std::uint32_t life) const {
    return life != life_ && !(holds(request) && request.life == life);
  }

  std::int64_t replicas() const { return static_cast<std::int64_t>(replicas_.size()); }
  std::int64_t workers() const { return workers_; }
  std::int64_t capacity() const { return replicas() * workers_; }
  std::int64_t queue_capacity() const { return queue_capacity_; }
  // Whether the replica has a worker free (then nothing waits in its queue).
  bool has_free_worker(std::size_t replica) const { return replicas_[replica].busy < workers_; }
  // The oldest request waiting at the replica, left in place; null when none.
  const Request* first_waiting(std::size_t replica) const {
    const Replica& r = replicas_[replica];
    return r.queue.empty() ? nullptr : r.queue.front();
  }
  // Requests the replica holds: with a worker, and waiting.
  std::int64_t load(std::size_t replica) const {
    return replicas_[replica].busy + static_cast<std::int64_t>(replicas_[replica].queue.size());
  }
  // Whether `request` holds one of this pool's workers now.
  bool holds(const Request& request) const { return request.held_by == mark_; }

  // Declares the pool's own figures in its owner's metrics: its size, each
  // replica's throughput and utilization over the window (`instances`), and
  // with several replicas (up to kMaxReplicaSeries) a series column for each.
  void declare_metrics(MetricSet& metrics);
  static constexpr std::int64_t kMaxReplicaSeries = 100;
  // Per-replica figures over the measured window, for the results.
  void on_window_begin(sim::Time now);
  spec::Json replica_results(sim::Time window_start, sim::Time now) const;
  void check_invariants() const;

 private:
  struct Replica {
    std::int64_t busy = 0;
    sim::RingBuffer<Request*> queue;
    sim::TimeWeighted busy_time;  // kept only with several replicas
    std::uint64_t completed = 0;
    __int128 window_busy = 0;
    std::uint64_t window_completed = 0;
    Failure down{};  // down (crashed): what an admission fails with
    InstanceState state = InstanceState::Serving;  // with a rotation only
  };
  void start(Request& request, Replica& replica, sim::Time now);
  Request* shed_oldest(std::size_t replica, sim::Time now);
  [[gnu::noinline]] std::size_t choose_in_rotation(Request& request);

  std::int64_t workers_;
  std::int64_t queue_capacity_;
  std::vector<Replica> replicas_;
  std::size_t next_replica_ = 0;
  bool per_replica_;  // several replicas: track each one's busy time too
  ComponentStats& stats_;
  Failure queue_full_;
  const RequestPool& requests_;
  std::uint32_t mark_;  // set on the requests holding its workers (Request::held_by)
  std::uint32_t life_ = 0;  // crashes of its replicas so far
  bool judging_ = false;  // shedding_ || dropping_: the queue's head is judged before it is served
  bool shedding_ = false;
  sim::Time shed_wait_{};
  Failure shed_{};
  std::uint64_t shed_count_ = 0;
  bool dropping_ = false;
  Failure abandoned_{};
  std::uint64_t dropped_count_ = 0;  // of the abandoned, those dropped here (queued or between steps)
  bool rotating_ = false;              // autoscaled: replicas join and leave the rotation
  std::vector<std::size_t> rotation_;  // the serving replicas, in replica order
  std::size_t next_in_rotation_ = 0;   // index into rotation_
  // With a rotation, by replica: 1 while serving or draining (holding
  // work), else 0; apart from Replica, which the hot path indexes.
  struct InService {
    sim::TimeWeighted level;
    __int128 at_window = 0;
  };
  std::vector<InService> in_service_;
};

// The hot path, inline: every request passes through it.

inline std::size_t WorkerPool::choose_replica(Request& request) {
  if (rotating_) [[unlikely]] return choose_in_rotation(request);
  if (request.instance >= 0) {
    assert(static_cast<std::size_t>(request.instance) < replicas_.size());
    return static_cast<std::size_t>(request.instance);
  }
  const std::size_t r = next_replica_;
  next_replica_ = next_replica_ + 1 == replicas_.size() ? 0 : next_replica_ + 1;
  request.instance = static_cast<std::int32_t>(r);
  return r;
}

inline WorkerPool::Admission WorkerPool::admit(Request& request, sim::Time now) {
  Replica& replica = replicas_[choose_replica(request)];
  if (replica.down) [[unlikely]] {
    request.failure = replica.down;
    return Admission::Rejected;
  }
  if (replica.busy < workers_) {
    start(request, replica, now);
    return Admission::Started;
  }
  if (static_cast<std::int64_t>(replica.queue.size()) < queue_capacity_) {
    replica.queue.push_back(&request);
    stats_.queue.add(now, +1);
    return Admission::Queued;
  }
  request.failure = queue_full_;
  return Admission::Rejected;
}

// Inline in both admit() and next(), where the compiler would keep one copy
// out of line: inside its caller, the updates of the owner's figures at the
// same instant share their loads, and no registers are saved per request.
[[gnu::always_inline]] inline void WorkerPool::start(Request& request, Replica& replica, sim::Time now) {
  request.held_by = mark_;
  request.life = life_;
  request.started = now;
  ++replica.busy;
  if (per_replica_) replica.busy_time.set(now, replica.busy);
  stats_.busy.add(now, +1);
  const sim::Time waited = now - request.arrived;
  ++stats_.counters.started;
  if (waited.ns > 0) ++stats_.counters.waited;
  stats_.counters.wait_ns += waited.ns;
  stats_.wait.record(waited.ns);
}

inline std::size_t WorkerPool::free_worker(Request& request, sim::Time now) {
  const auto r = static_cast<std::size_t>(request.instance);
  Replica& replica = replicas_[r];
  assert(request.held_by == mark_);
  request.held_by = 0;
  --replica.busy;
  if (per_replica_) replica.busy_time.set(now, replica.busy);
  ++replica.completed;
  stats_.busy.add(now, -1);
  return r;
}

inline Request* WorkerPool::next(std::size_t r, sim::Time now) {
  Replica& replica = replicas_[r];
  if (replica.queue.empty()) return nullptr;
  Request& next = *replica.queue.pop_front();
  stats_.queue.add(now, -1);
  start(next, replica, now);
  return &next;
}

}  // namespace archsim::models
