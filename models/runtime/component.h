// models/runtime/component.h: what every node of a simulated architecture shares.
//
// A node is a workload or a component. Nodes talk only through scheduled
// deliveries over links (send, reply), never by calling each other's
// handlers, so every hop has a time and a place in the event order.
// Components count what happens to them in ComponentStats; the results are
// differences of cumulative counters between two instants (the end of the
// warm-up and the end of the run, or the ends of a reporting interval).
#pragma once

#include <cassert>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "models/runtime/fault.h"
#include "models/runtime/hedge_policy.h"
#include "models/runtime/metric_set.h"
#include "models/runtime/network.h"
#include "models/runtime/request.h"
#include "models/format/spec.h"
#include "sim/engine.h"
#include "sim/key_map.h"
#include "sim/histogram.h"
#include "sim/metrics.h"
#include "sim/rng.h"

namespace archsim::models {

// Everything a node needs from the run it belongs to.
struct Context {
  sim::Engine engine;
  sim::RandomStreams streams;
  RequestPool requests;
  FailureCauses failures;
  std::vector<std::string> operations;  // index = Request::operation
  // The system of record: the latest committed version of each key's data
  // (absent: 0, the data the run starts with), written by databases as writes
  // commit, read by every copy that judges whether it is stale.
  sim::KeyMap committed;
  // Keys are 0 .. key_space - 1: the largest key population of the workloads.
  std::uint64_t key_space = 0;
  sim::Time warmup_end{};
  sim::Time end{};
  std::size_t max_in_flight = 0;
  // Whether a caller may stop waiting for a reply in this run (a timeout
  // somewhere). Without it every reply is awaited, and departures skip the
  // walk up the calls that would tell.
  bool callers_may_give_up = false;
  bool over_in_flight = false;  // more requests alive than max_in_flight: the run stops
  FaultDetections detections;   // components' reports of faults they noticed (fault.h)

  explicit Context(std::uint64_t seed) : streams(seed) {}
};

// Event kinds every node understands; a node's own timers start at kFirstTimer.
// kRetryDue: a retry's backoff is over (models/runtime/retry_policy.h).
// kHedgeDue: a hedged call's delay is over (models/runtime/hedge_policy.h).
// A message reaching a node's network card is an event of the card's
// (kDeliverRequest or kDeliverReply), which hands it on once taken in.
enum NodeEvent : std::uint32_t {
  kDeliverRequest = 0,
  kDeliverReply = 1,
  kCallTimeout = 2,
  kRetryDue = 3,
  kHedgeDue = 4,
  kFirstTimer = 5
};

class Dependency;

class Node : public sim::EventTarget {
 public:
  Node(std::string name, Context& context) : name_(std::move(name)), context_(context) {}
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;
  virtual ~Node() = default;

  const std::string& name() const { return name_; }
  // The run this node belongs to.
  Context& context() const { return context_; }

  // A request has arrived here.
  virtual void on_request(Request& request) = 0;
  // A call this node made has come back (successful or not) while the node
  // was still waiting for it. Replies to calls given up on never get here.
  virtual void on_reply(Request& call) = 0;
  // The caller's timeout on `call` expired before its reply came. The call
  // is still out (the callee may be working on it); its late reply will be
  // dropped. Only nodes whose dependencies have timeouts get this.
  virtual void on_call_timeout(Request& call);
  virtual void on_timer(std::uint32_t kind, std::uint64_t data);
  // Whether this node wants to hear of requests sent to it as they leave
  // their sender (expect), a link latency before they arrive: a cache
  // uses the time to bring its key's index into the processor's cache.
  // Nothing it does there may change what the simulation does.
  virtual bool expects_requests() const { return false; }
  virtual void expect(const Request& request);

  void on_event(std::uint32_t kind, std::uint64_t data) final;

  // Replies that came after their caller had stopped waiting, dropped.
  const std::uint64_t& late_replies() const { return late_replies_; }
  // Numbers its dependencies with a retry policy, for their random streams.
  std::uint32_t next_retry_stream() { return retry_streams_++; }
  // Numbers its dependencies that draw message sizes, for their streams.
  std::uint32_t next_size_stream() { return size_streams_++; }
  // Its network card, or null: messages to and from it take no time there.
  NetworkCard* card() const { return card_; }

  // Where the node is: the place of one replica, or of the node as a whole
  // (replica -1; none when its replicas are apart), as an index into the
  // network's places; -1 for none.
  std::int32_t place(std::int32_t replica = -1) const {
    if (replica >= 0 && static_cast<std::size_t>(replica) < replica_places_.size())
      return replica_places_[static_cast<std::size_t>(replica)];
    return place_;
  }
  // `by_replica` is empty when the node was placed as a whole.
  void set_place(std::int32_t whole, std::vector<std::int32_t> by_replica) {
    place_ = whole;
    replica_places_ = std::move(by_replica);
  }
  // Gives it a network card (owned by the caller), before links to or
  // from it are made.
  void set_card(NetworkCard* card) { card_ = card; }

 protected:
  sim::Time now() const { return context_.engine.now(); }
  // Sends a request down a link, from replica `from_replica` of this node
  // (-1: none; kParentsReplica: the replica serving the request the call is
  // made for); it arrives after the link's latency, unless a fault on the
  // link refuses or loses it (see deliver_judged).
  static constexpr std::int32_t kParentsReplica = -2;
  void send(Request& request, Link& link, std::int32_t from_replica = -1);
  // Returns a request to its sender over the link it came by, in the
  // Departure phase (see network.h).
  void reply(Request& request);
  // A new request from the pool, checked against limits.max_in_flight.
  Request& new_request();
  // Makes a call on behalf of `parent` through a dependency and sends it;
  // `instance` picks the callee's replica (-1: the callee chooses).
  Request& call(Dependency& dependency, Request& parent, std::int32_t instance = -1);
  // The request call() sends, not yet sent (a hedge numbers it first).
  Request& new_call(Dependency& dependency, Request& parent, std::int32_t instance = -1);
  // A call through a dependency refused before it leaves (an open circuit
  // breaker, a full bulkhead): it comes back to this node at this instant,
  // failed with `failure`, as a reply; the callee never sees it.
  Request& refuse_call(Dependency& dependency, Request& parent, Failure failure);
  // Sends a request this node made (a client's request) through a
  // dependency: its timer starts, and its reply comes back here.
  void dispatch(Dependency& dependency, Request& request);

  std::string name_;
  Context& context_;

 private:
  // Sending and replying out of the common path: over a link with a fault
  // in force (asked of the network), or through transmitters (a link's
  // bandwidth, a network card at either end). False when the message is
  // to go the common way after all (a fault that leaves it alone).
  [[gnu::noinline]] bool send_slow(Request& request, Link& link, std::int32_t from_replica);
  [[gnu::noinline]] bool reply_slow(Request& request);
  // A message of `bytes` leaving replica `from_replica` of this node over
  // `link` for `to`, `latency` after it is on the wire: through this node's
  // card, the link's transmitter, and on arrival `to`'s card.
  void transmit(Request& request, Link& link, Leg leg, std::int32_t from_replica, Node* to, sim::Time latency);
  // A message reached this node's card: delivered once the card has taken it in.
  void receive_on_card(Request& request, Leg leg);
  friend struct NetworkCard;
  // The replica whose card takes in a request arriving now: the one it will
  // go to. By default the one its sender named; a pool that chooses on
  // arrival chooses here.
  virtual std::int32_t receiving_replica(Request& request) { return request.instance; }
  // A message the network did not let through as normal: delivered late,
  // refused (the request goes back at once to whoever waits for it, failed)
  // or lost.
  void deliver_judged(Request& request, const Verdict& verdict, Node* to, std::uint32_t kind, sim::Phase phase);
  // A message lost on the way. Nobody hears of it: its caller's timeout,
  // if any, ends the wait and releases it.
  void lose(Request& request);
  // Releases a call nobody waits for any more, and its timer.
  void drop(Request& call);
  // Out of the way of the common deliveries: a reply nobody waits for, and
  // a caller's timeout.
  [[gnu::noinline]] void drop_late(Request& call);
  [[gnu::noinline]] void call_timed_out(Request& call);
  // Retries (models/runtime/retry_policy.h), out of the way of the common
  // deliveries too. An attempt under a retry policy has ended (a reply, or
  // its timeout when `timed_out`): a success refunds the budget; a failure
  // the policy retries makes the next attempt, and true is returned, so the
  // handler hears nothing yet.
  [[gnu::noinline]] bool settle(Request& attempt, bool timed_out);
  // A reply to an attempt under a retry policy or hedging: settled, then
  // handed to on_reply unless the call goes on (a retry follows, or another
  // hedged attempt is still out).
  [[gnu::noinline]] void reply_under_retry(Request& attempt);
  // The first attempt of a call with several: counted, and a hedged one's
  // record opened and its first hedge timed.
  [[gnu::noinline]] void first_attempt(Dependency& dependency, Request& request);
  // Hedging's settle (see settle) and its timer.
  bool settle_hedge(Request& attempt, bool timed_out);
  [[gnu::noinline]] void hedge_due(HedgePolicy::Call& call);
  // The next attempt after `failed`: a new request, sent when the backoff
  // `wait` is over (kRetryDue).
  void retry(const Request& failed, sim::Time wait, bool timed_out);
  [[gnu::noinline]] void retry_due(Request& attempt);

  std::uint64_t late_replies_ = 0;
  std::uint32_t retry_streams_ = 0;
  std::uint32_t size_streams_ = 0;
  NetworkCard* card_ = nullptr;
  std::int32_t place_ = -1;
  std::vector<std::int32_t> replica_places_;
};

// Sending and replying, inline: every hop passes through them.

[[gnu::always_inline]] inline void Node::send(Request& request, Link& link, std::int32_t from_replica) {
  if (link.off_path) [[unlikely]] {
    if (send_slow(request, link, from_replica)) return;
  }
  if (link.announced) link.to->expect(request);
  const auto data = reinterpret_cast<std::uint64_t>(&request);
  if (link.request_channel >= 0)
    context_.engine.post_on(link.request_channel, link.to, kDeliverRequest, data);
  else
    context_.engine.post_in(link.draw(), sim::Phase::Arrival, link.to, kDeliverRequest, data);
}

[[gnu::always_inline]] inline void Node::reply(Request& request) {
  assert(request.link != nullptr && request.reply_to != nullptr);
  Link& link = *request.link;
  // The replier's own card counts too: at the end of a forwarding chain it
  // is not the link's far end.
  if (link.off_path | (card_ != nullptr)) [[unlikely]] {
    if (reply_slow(request)) return;
  }
  const auto data = reinterpret_cast<std::uint64_t>(&request);
  if (link.reply_channel >= 0)
    context_.engine.post_on(link.reply_channel, request.reply_to, kDeliverReply, data);
  else
    context_.engine.post_in(link.draw(), sim::Phase::Departure, request.reply_to, kDeliverReply, data);
}

// Counters of one component (or one replica), cumulative from time zero.
struct ComponentCounters {
  std::uint64_t arrivals = 0;     // requests that reached it
  std::uint64_t rejected = 0;     // turned away without service (queue full)
  std::uint64_t completed = 0;    // admitted and left (with or without failure)
  std::uint64_t failed = 0;       // of those, left with a failure from downstream
  std::uint64_t started = 0;      // admitted requests that got a worker
  std::uint64_t waited = 0;       // of those, had to queue first
  std::uint64_t useful = 0;       // left successfully with someone still waiting for the reply
  std::uint64_t orphaned = 0;     // left when nobody waited for the reply any more
  __int128 residence_ns = 0;      // total time admitted requests spent here
  __int128 wait_ns = 0;           // total time spent queueing
  __int128 wasted_ns = 0;         // time the orphaned held a worker here: from taking it to leaving
};

// One instant's view of a component's cumulative statistics.
struct Snapshot {
  sim::Time at{};
  ComponentCounters counters;
  __int128 in_system = 0;  // integrals of the time-weighted signals
  __int128 queue = 0;
  __int128 busy = 0;
  __int128 computing = 0;
};

// A component's figures over a window, from two snapshots.
struct WindowFigures {
  double seconds = 0;
  std::uint64_t arrivals = 0, rejected = 0, completed = 0, failed = 0, started = 0, waited = 0;
  double throughput_qps = 0;
  double mean_in_system = 0;
  double mean_queue = 0;
  double mean_busy = 0;
  double mean_computing = 0;
  double mean_residence_ms = 0;
  double mean_wait_ms = 0;      // over requests that got a worker
  double waited_fraction = 0;   // of requests that got a worker, those that queued
};
WindowFigures window_figures(const Snapshot& from, const Snapshot& to);

class ComponentStats {
 public:
  ComponentCounters counters;
  sim::TimeWeighted in_system;  // admitted and not yet left
  sim::TimeWeighted queue;      // waiting for a worker
  sim::TimeWeighted busy;       // workers held (computing or waiting on calls)
  sim::TimeWeighted computing;  // workers computing
  sim::Histogram residence;     // time admitted requests spent here, measured window
  sim::Histogram wait;          // time spent queueing, measured window

  Snapshot snapshot(sim::Time now) const;
  // An admitted request leaves (replied, forwarded or failed): count it and
  // its time here.
  // `check_awaited`: callers may have given up (Context::callers_may_give_up).
  [[gnu::always_inline]] void depart(sim::Time now, const Request& request, bool check_awaited) {
    in_system.add(now, -1);
    ++counters.completed;
    if (request.failure) ++counters.failed;
    if (check_awaited && !request.awaited_all_the_way()) [[unlikely]] {
      ++counters.orphaned;
      // A request that never took a worker here held none.
      if (request.started >= request.arrived) counters.wasted_ns += (now - request.started).ns;
    } else if (!request.failure) {
      ++counters.useful;
    }
    const sim::Time stay = now - request.arrived;
    counters.residence_ns += stay.ns;
    residence.record(stay.ns);
  }
  // Starts the measured window: histograms and running maxima start afresh.
  void begin_window();
};

// Told when a replica of a component that scales (autoscaling) joins or
// leaves its rotation: a load balancer in front, as an instance registers
// with a target group or is deregistered from it. The call is immediate,
// control plane rather than a message on a link.
class RotationWatcher {
 public:
  virtual void rotation_changed(std::size_t replica, bool in) = 0;

 protected:
  ~RotationWatcher() = default;
};

class Component : public Node {
 public:
  // Declares the figures every component reports (metrics()); a type adds
  // its own in its constructor.
  Component(std::string name, Context& context);
  virtual const char* type() const = 0;
  // Resolves the names in its configuration into nodes and links.
  virtual void connect(class Wiring& wiring) = 0;
  virtual void start() {}
  // Workers in total (0 when the component has none: utilization is undefined).
  virtual std::int64_t capacity() const { return 0; }
  // Identical instances a load balancer can spread requests over (0: none).
  virtual std::int64_t replicas() const { return 0; }
  // Workers, averaged over the measured window up to now: capacity(), but
  // for a pool that scales, the workers of the instances holding work.
  virtual double mean_capacity(sim::Time) const { return static_cast<double>(capacity()); }
  // Whether a replica takes new requests: always, but for a pool that
  // scales, whose instances join and leave the rotation; a watcher hears of
  // each change.
  virtual bool in_rotation(std::size_t) const { return true; }
  virtual void watch_rotation(RotationWatcher&) {}
  // A fault reaches the component (fault.h); false when its type does not
  // support the action, which then changes nothing.
  virtual bool on_fault(const FaultAction&) { return false; }

  const ComponentStats& stats() const { return stats_; }
  const MetricSet& metrics() const { return metrics_; }
  // The measured window begins: histograms and maxima start afresh.
  void begin_window(sim::Time now);
  // A reporting interval ends: appends this component's series columns.
  void close_interval(sim::Time now, std::vector<double>& row);
  const MetricSnapshot& window_start() const { return window_start_; }
  const Snapshot& stats_at_window_start() const { return stats_window_start_; }
  // The summary figures of the measured window, up to now.
  void summary(sim::Time now, spec::Json& out) const;

  // Called when the measured window begins, for a component's own figures.
  virtual void on_window_begin(sim::Time) {}
  virtual void check_invariants() const;

 protected:
  ComponentStats stats_;
  MetricSet metrics_;

 private:
  MetricSnapshot window_start_;
  Snapshot stats_window_start_;
  MetricSnapshot interval_start_;
  MetricSnapshot scratch_;
};

// Name resolution while a simulation is built.
class Wiring {
 public:
  virtual ~Wiring() = default;
  virtual Node& node(const std::string& name) = 0;  // validated to exist
  virtual Node* find_node(const std::string& name) = 0;  // null when there is none
  virtual Link& link(Node& from, Node& to) = 0;
  virtual std::uint32_t operation(const std::string& name) = 0;
  virtual Failure failure_cause(std::string_view name) = 0;
};

}  // namespace archsim::models
