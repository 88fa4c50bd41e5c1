#include "models/runtime/component.h"

#include "models/runtime/dependency.h"

#include <cassert>
#include <cmath>
#include <limits>

namespace archsim::models {

Failure FailureCauses::intern(std::string_view name) {
  for (std::size_t i = 1; i < names_.size(); ++i)
    if (names_[i] == name) return Failure{static_cast<std::uint8_t>(i)};
  // A cause registered once the run has started would have no column in the
  // time series: it must be registered before (see the class comment).
  assert(!closed_ && "a failure cause registered after the run started");
  assert(names_.size() < kMax && "more failure causes than FailureCauses::kMax");
  names_.emplace_back(name);
  return Failure{static_cast<std::uint8_t>(names_.size() - 1)};
}

void Node::on_timer(std::uint32_t, std::uint64_t) { assert(false && "unexpected timer"); }
void Node::expect(const Request&) {}

void Node::on_call_timeout(Request&) { assert(false && "a timeout on a dependency without one"); }

void Node::on_event(std::uint32_t kind, std::uint64_t data) {
  // The payload is a request for the kinds below; a node's own timers carry
  // what they like (0, often), so it is read as a request only there.
  switch (kind) {
    case kDeliverRequest:
      on_request(*reinterpret_cast<Request*>(data));
      return;
    case kDeliverReply: {
      Request& request = *reinterpret_cast<Request*>(data);
      // Only in a run where callers may give up (Context::callers_may_give_up)
      // can a reply come late or a call carry a timer; elsewhere every reply
      // is awaited, and goes straight to its handler.
      if (context_.callers_may_give_up) {
        // A call this node gave up on, or one made for a request that has
        // since gone back to the pool (its generation moved on), is over: the
        // reply is dropped here, and the parent is not touched beyond reading
        // its generation (pooled requests stay in memory for the whole run).
        if (!request.awaited()) [[unlikely]] {
          drop_late(request);
          return;
        }
        if (request.timer.valid()) {
          context_.engine.cancel(request.timer);
          request.timer = {};
        }
      }
      // Only a call under a retry policy has an attempt number. Handed on
      // whole (a tail call), so that nothing is kept across a call here.
      if (request.attempt != 0) [[unlikely]] {
        reply_under_retry(request);
        return;
      }
      on_reply(request);
      return;
    }
    case kCallTimeout:
      call_timed_out(*reinterpret_cast<Request*>(data));
      return;
    case kRetryDue:
      retry_due(*reinterpret_cast<Request*>(data));
      return;
    case kHedgeDue:
      hedge_due(*reinterpret_cast<HedgePolicy::Call*>(data));
      return;
    default:
      on_timer(kind, data);
      return;
  }
}

void Node::drop_late(Request& call) {
  ++late_replies_;
  drop(call);
}

void Node::call_timed_out(Request& call) {
  call.timer = {};
  // The request the call was made for may be gone (back in the pool, or
  // disowned by a crash: Request::disown_calls): then nobody is told.
  const bool told = call.awaited();
  call.abandoned = true;
  // A retry, if the policy makes one, replaces the call; its late reply is
  // dropped like any other.
  if (told && !(call.attempt != 0 && settle(call, true))) on_call_timeout(call);
  // A call lost on the way has no reply to come: it ends here.
  if (call.lost) context_.requests.release(call);
}

void Node::reply_under_retry(Request& attempt) {
  if (!settle(attempt, false)) on_reply(attempt);
}

bool Node::settle(Request& attempt, bool timed_out) {
  if (attempt.dependency->hedge() != nullptr) return settle_hedge(attempt, timed_out);
  RetryPolicy& policy = *attempt.dependency->retry();
  if (!timed_out && !attempt.failure) {
    policy.succeeded(attempt);
    return false;
  }
  const Failure cause = timed_out ? attempt.dependency->timeout_failure() : attempt.failure;
  const std::optional<sim::Time> wait = policy.after_failure(attempt, cause, timed_out);
  if (!wait) return false;
  retry(attempt, *wait, timed_out);
  // A failed reply is over; a timed-out attempt is still out, and its late
  // reply (or its loss) releases it.
  if (!timed_out) context_.requests.release(attempt);
  return true;
}

void Node::retry(const Request& failed, sim::Time wait, bool timed_out) {
  Request& next = new_request();
  // What Node::call gives a call, from the same parent; the callee's pool
  // picks its replica again.
  next.parent = failed.parent;
  next.parent_generation = failed.parent_generation;
  next.created = failed.created;  // the call's first attempt: the caller's wait runs from there
  next.user_id = failed.user_id;
  next.key = failed.key;
  next.operation = failed.operation;
  next.client_operation = failed.client_operation;
  next.access = failed.access;
  // What a write or a fill stores: the parent's, as for the first attempt
  // (a client's own request has no parent: its version was never changed).
  next.version = failed.parent != nullptr ? failed.parent->version : failed.version;
  next.scratch = failed.scratch;
  next.request_bytes = failed.request_bytes;  // the same message, sent again
  next.reply_bytes = failed.reply_bytes;
  next.dependency = failed.dependency;
  next.attempt = static_cast<std::uint8_t>(failed.attempt + 1);
  next.retried_after_timeout = timed_out;
  next.backoff = wait;
  context_.engine.post_in(wait, sim::Phase::Timer, this, kRetryDue, reinterpret_cast<std::uint64_t>(&next));
}

void Node::retry_due(Request& attempt) {
  // The request it was made for may have gone meanwhile (failed on another
  // call of a parallel step and back in the pool, or disowned by a crash).
  if (!attempt.awaited()) {
    context_.requests.release(attempt);
    return;
  }
  dispatch(*attempt.dependency, attempt);
}

void Node::first_attempt(Dependency& dependency, Request& request) {
  if (RetryPolicy* retry = dependency.retry()) {
    retry->called(request);
    return;
  }
  HedgePolicy& hedge = *dependency.hedge();
  HedgePolicy::Call& call = hedge.open(request, dependency, now());
  call.timer = context_.engine.schedule_in(hedge.delay(), sim::Phase::Timer, this, kHedgeDue,
                                           reinterpret_cast<std::uint64_t>(&call));
}

bool Node::settle_hedge(Request& attempt, bool timed_out) {
  HedgePolicy& hedge = *attempt.dependency->hedge();
  HedgePolicy::Call& call = hedge.call_of(attempt);
  const bool over = !timed_out && !attempt.failure;
  if (over) {
    // The first success answers the call; the others out lose the race.
    hedge.won(call, attempt, now());
  } else {
    hedge.ended(call, attempt);
    if (call.out > 0) {
      // Another attempt is still out: the call waits for it. A failed reply
      // is over; a timed-out attempt is still out, and its late reply (or
      // its loss) releases it.
      if (!timed_out) context_.requests.release(attempt);
      return true;
    }
  }
  // Answered, or failed with nothing else out: no more hedges.
  if (call.timer.valid()) context_.engine.cancel(call.timer);
  hedge.close(call);
  return false;
}

void Node::hedge_due(HedgePolicy::Call& call) {
  call.timer = {};
  Dependency& dependency = *call.dependency;
  HedgePolicy& hedge = *dependency.hedge();
  Request& parent = *call.parent;
  // The request it was made for has gone meanwhile (failed on another call
  // of a parallel step and back in the pool, or disowned by a crash): the
  // call is over, its attempts are late.
  if (parent.generation != call.parent_generation) {
    hedge.close(call);
    return;
  }
  // A hedge refused by the budget is the call's last: it waits for what is out.
  if (!hedge.allow_hedge()) return;
  // A call from the same parent, as the first was; the callee picks its
  // replica again (with round robin, the next one).
  Request& next = new_call(dependency, parent);
  next.created = call.created;  // the call's first attempt: the caller's wait runs from there
  next.scratch = call.scratch;
  hedge.sent_hedge(call, next, now());
  if (call.sent < hedge.max_attempts())
    call.timer = context_.engine.schedule_in(hedge.delay(), sim::Phase::Timer, this, kHedgeDue,
                                             reinterpret_cast<std::uint64_t>(&call));
  dispatch(dependency, next);
}

void Node::drop(Request& call) {
  if (call.timer.valid()) {
    context_.engine.cancel(call.timer);
    call.timer = {};
  }
  context_.requests.release(call);
}

bool Node::send_slow(Request& request, Link& link, std::int32_t from_replica) {
  if (from_replica == kParentsReplica) from_replica = request.parent != nullptr ? request.parent->instance : -1;
  std::optional<sim::Time> slowed;  // a slowed link's stretched latency
  if (link.disturbed) {
    const Verdict verdict =
        link.network->judge(link, Leg::Request, Endpoint{this, from_replica}, Endpoint{link.to, request.instance});
    if (!verdict.normal) {
      if (!link.paced || verdict.fate != Verdict::Fate::Deliver) {
        deliver_judged(request, verdict, link.to, kDeliverRequest, sim::Phase::Arrival);
        return true;
      }
      slowed = verdict.delay;
    }
  }
  if (!link.paced) return false;
  if (link.announced) link.to->expect(request);
  transmit(request, link, Leg::Request, from_replica, link.to, slowed ? *slowed : link.draw());
  return true;
}

bool Node::reply_slow(Request& request) {
  Link& link = *request.link;
  const bool paced = link.paced || card_ != nullptr;
  std::optional<sim::Time> slowed;
  if (link.disturbed) {
    // The reply goes from this node (the end of a forwarding chain, perhaps,
    // not the link's far end) to the caller's replica that made the call.
    const Request* parent = request.parent;
    const std::int32_t caller_replica =
        parent != nullptr && parent->generation == request.parent_generation ? parent->instance : -1;
    const Verdict verdict = link.network->judge(link, Leg::Reply, Endpoint{this, request.instance},
                                                Endpoint{request.reply_to, caller_replica});
    if (!verdict.normal) {
      if (!paced || verdict.fate != Verdict::Fate::Deliver) {
        deliver_judged(request, verdict, request.reply_to, kDeliverReply, sim::Phase::Departure);
        return true;
      }
      slowed = verdict.delay;
    }
  }
  if (!paced) return false;
  transmit(request, link, Leg::Reply, request.instance, request.reply_to, slowed ? *slowed : link.draw());
  return true;
}

void Node::transmit(Request& request, Link& link, Leg leg, std::int32_t from_replica, Node* to, sim::Time latency) {
  const bool is_request = leg == Leg::Request;
  const std::uint32_t bytes = is_request ? request.request_bytes : request.reply_bytes;
  sim::Time t = now();
  if (card_ != nullptr) t = card_->send(from_replica, t, bytes);
  std::optional<Transmitter>& wire = is_request ? link.request_wire : link.reply_wire;
  if (wire) t = wire->pass(t, bytes);
  t += latency;
  // To the receiver's card first, if it has one (NetworkCard::on_event).
  sim::EventTarget* target = to->card_ != nullptr ? static_cast<sim::EventTarget*>(to->card_) : to;
  context_.engine.post_in(t - now(), is_request ? sim::Phase::Arrival : sim::Phase::Departure, target,
                          is_request ? kDeliverRequest : kDeliverReply, reinterpret_cast<std::uint64_t>(&request));
}

void NetworkCard::on_event(std::uint32_t kind, std::uint64_t data) {
  owner->receive_on_card(*reinterpret_cast<Request*>(data), kind == kDeliverRequest ? Leg::Request : Leg::Reply);
}

void Node::receive_on_card(Request& request, Leg leg) {
  const bool is_request = leg == Leg::Request;
  std::int32_t replica = -1;
  if (is_request) {
    replica = receiving_replica(request);
  } else if (const Request* parent = request.parent;
             parent != nullptr && parent->generation == request.parent_generation) {
    replica = parent->instance;  // the replica that made the call
  }
  const sim::Time in = card_->receive(replica, now(), is_request ? request.request_bytes : request.reply_bytes);
  const std::uint32_t kind = is_request ? kDeliverRequest : kDeliverReply;
  const auto data = reinterpret_cast<std::uint64_t>(&request);
  if (in == now()) {
    on_event(kind, data);
    return;
  }
  context_.engine.post_in(in - now(), is_request ? sim::Phase::Arrival : sim::Phase::Departure, this, kind, data);
}

void Node::deliver_judged(Request& request, const Verdict& verdict, Node* to, std::uint32_t kind, sim::Phase phase) {
  const auto data = reinterpret_cast<std::uint64_t>(&request);
  switch (verdict.fate) {
    case Verdict::Fate::Deliver:
      context_.engine.post_in(verdict.delay, phase, to, kind, data);
      return;
    case Verdict::Fate::Refuse:
      // The connection is refused: whoever waits for the reply learns it at
      // once, as a failed reply (the link's failure replaces any other).
      request.failure = verdict.failure;
      context_.engine.post_in(sim::Time{}, sim::Phase::Departure, request.reply_to, kDeliverReply, data);
      return;
    case Verdict::Fate::Lose:
      lose(request);
      return;
  }
}

void Node::lose(Request& request) {
  if (!request.awaited()) {
    drop(request);
    return;
  }
  // Released when its caller's timeout fires. Without a timeout nobody will
  // ever give up: it stays in flight, as its caller waits for ever, and
  // limits.max_in_flight bounds what such waits can hold.
  if (request.timer.valid()) request.lost = true;
}

Request& Node::new_request() {
  Request& request = context_.requests.acquire();
  // Every request takes memory until it ends; past the limit the run stops
  // (at the end of this event) rather than running the machine out of memory.
  if (context_.requests.in_use() > context_.max_in_flight && !context_.over_in_flight) {
    context_.over_in_flight = true;
    context_.engine.stop();
  }
  return request;
}

WindowFigures window_figures(const Snapshot& a, const Snapshot& b) {
  WindowFigures f;
  f.seconds = (b.at - a.at).to_s();
  f.arrivals = b.counters.arrivals - a.counters.arrivals;
  f.rejected = b.counters.rejected - a.counters.rejected;
  f.completed = b.counters.completed - a.counters.completed;
  f.failed = b.counters.failed - a.counters.failed;
  f.started = b.counters.started - a.counters.started;
  f.waited = b.counters.waited - a.counters.waited;
  if (f.seconds > 0) f.throughput_qps = static_cast<double>(f.completed) / f.seconds;
  f.mean_in_system = sim::window_mean(a.in_system, b.in_system, a.at, b.at);
  f.mean_queue = sim::window_mean(a.queue, b.queue, a.at, b.at);
  f.mean_busy = sim::window_mean(a.busy, b.busy, a.at, b.at);
  f.mean_computing = sim::window_mean(a.computing, b.computing, a.at, b.at);
  if (f.completed > 0) {
    const double n = static_cast<double>(f.completed);
    f.mean_residence_ms = static_cast<double>(b.counters.residence_ns - a.counters.residence_ns) / n / 1e6;
  }
  if (f.started > 0) {
    const double n = static_cast<double>(f.started);
    f.mean_wait_ms = static_cast<double>(b.counters.wait_ns - a.counters.wait_ns) / n / 1e6;
    f.waited_fraction = static_cast<double>(f.waited) / n;
  }
  return f;
}

Snapshot ComponentStats::snapshot(sim::Time now) const {
  Snapshot s;
  s.at = now;
  s.counters = counters;
  s.in_system = in_system.integral(now);
  s.queue = queue.integral(now);
  s.busy = busy.integral(now);
  s.computing = computing.integral(now);
  return s;
}

void ComponentStats::begin_window() {
  residence.clear();
  wait.clear();
  in_system.reset_window_max();
  queue.reset_window_max();
  busy.reset_window_max();
  computing.reset_window_max();
}

Component::Component(std::string name, Context& context) : Node(std::move(name), context) {
  MetricSet& m = metrics_;
  ComponentCounters& c = stats_.counters;
  m.count("arrivals", "requests", "Requests that reached it", &c.arrivals);
  m.count("completed", "requests", "Admitted requests that left it: replied, failed or forwarded", &c.completed);
  m.count("rejected", "requests", "Requests turned away without service (queue full)", &c.rejected);
  m.count("failed", "requests", "Admitted requests that left with a failure", &c.failed);
  m.count("late_replies", "replies", "Replies to calls it had stopped waiting for, dropped", &late_replies());
  m.rate("throughput_qps", "requests/s", "Admitted requests that left it, per second", &c.completed);
  m.rate("goodput_qps", "requests/s", "Requests that left it successfully while their caller still waited, per second",
         &c.useful);
  m.count("orphaned", "requests", "Requests it finished after everyone waiting for them had given up (wasted work)",
          &c.orphaned);
  m.time_share("wasted_utilization",
               "Time-average of its workers held by requests it finished or dropped after everyone waiting for them "
               "had given up (work for nobody), over its workers; counted as each leaves",
               &c.wasted_ns, [this] { return static_cast<double>(capacity()); });
  m.of_capacity();
  m.share("utilization", "Time-average of workers held (computing or waiting on calls) over its workers", &stats_.busy,
          [this] { return static_cast<double>(capacity()); });
  m.of_capacity();
  m.share("compute_utilization", "Time-average of workers computing over its workers", &stats_.computing,
          [this] { return static_cast<double>(capacity()); });
  m.of_capacity();
  m.level("concurrency", "requests", "Requests admitted and not yet left", &stats_.in_system);
  m.level("queue_length", "requests", "Requests waiting for a worker", &stats_.queue);
  m.ratio("waited_fraction", "fraction", "Of the requests that got a worker, those that had to queue first", &c.waited,
          &c.started);
  m.distribution("wait_ms", "Time from admission to getting a worker", &stats_.wait, &c.wait_ns, &c.started,
                 "wait_mean_ms");
  m.distribution("latency_ms", "Time from admission to leaving", &stats_.residence, &c.residence_ns, &c.completed,
                 "latency_mean_ms");
}

void Component::begin_window(sim::Time now) {
  stats_.begin_window();
  metrics_.snapshot(now, window_start_);
  stats_window_start_ = stats_.snapshot(now);
  if (card() != nullptr) card()->begin_window(now);
  on_window_begin(now);
}

void Component::close_interval(sim::Time now, std::vector<double>& row) {
  metrics_.snapshot(now, scratch_);
  // Before the first interval every counter and integral is zero.
  if (interval_start_.values.size() != scratch_.values.size()) interval_start_.values.assign(scratch_.values.size(), 0);
  metrics_.series_row(interval_start_, scratch_, row);
  metrics_.reset_interval_maxima();
  std::swap(interval_start_, scratch_);
}

void Component::summary(sim::Time now, spec::Json& out) const {
  MetricSnapshot end;
  metrics_.snapshot(now, end);
  metrics_.summary(window_start_, end, out);
}

void Component::check_invariants() const {
  const auto& c = stats_.counters;
  // Every arrival is either rejected, completed, or still inside.
  assert(c.arrivals == c.rejected + c.completed + static_cast<std::uint64_t>(stats_.in_system.value()));
  assert(stats_.queue.value() >= 0 && stats_.busy.value() >= 0);
  assert(stats_.computing.value() <= stats_.busy.value());
  (void)c;
}

}  // namespace archsim::models
