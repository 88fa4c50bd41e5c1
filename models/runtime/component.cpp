#include "models/runtime/component.h"

#include <cassert>
#include <cmath>
#include <limits>

namespace archsim::models {

const char* to_string(Failure failure) {
  switch (failure) {
    case Failure::None: return "none";
    case Failure::Timeout: return "timeout";
    case Failure::QueueFull: return "queue_full";
    case Failure::Count: break;
  }
  return "unknown";
}

void Node::on_timer(std::uint32_t, std::uint64_t) { assert(false && "unexpected timer"); }

void Node::on_event(std::uint32_t kind, std::uint64_t data) {
  switch (kind) {
    case kDeliverRequest: on_request(*reinterpret_cast<Request*>(data)); break;
    case kDeliverReply: on_reply(*reinterpret_cast<Request*>(data)); break;
    default: on_timer(kind, data); break;
  }
}

void Node::send(Request& request, Link& link) {
  const auto data = reinterpret_cast<std::uint64_t>(&request);
  if (link.request_channel >= 0)
    context_.engine.post_on(link.request_channel, link.to, kDeliverRequest, data);
  else
    context_.engine.post_in(link.draw(), sim::Phase::Arrival, link.to, kDeliverRequest, data);
}

void Node::reply(Request& request) {
  assert(request.link != nullptr && request.reply_to != nullptr);
  const auto data = reinterpret_cast<std::uint64_t>(&request);
  if (request.link->reply_channel >= 0)
    context_.engine.post_on(request.link->reply_channel, request.reply_to, kDeliverReply, data);
  else
    context_.engine.post_in(request.link->draw(), sim::Phase::Departure, request.reply_to, kDeliverReply, data);
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

Request& Node::make_call(Request& parent, Link& link, std::uint32_t operation) {
  Request& call = new_request();
  call.parent = &parent;
  call.reply_to = this;
  call.link = &link;
  call.created = now();
  call.user_id = parent.user_id;
  call.key = parent.key;
  call.operation = operation;
  return call;
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

void Component::begin_window(sim::Time now) {
  stats_.begin_window();
  window_start_ = stats_.snapshot(now);
  on_window_begin(now);
}

void Component::close_interval(sim::Time now) {
  const Snapshot end = stats_.snapshot(now);
  const WindowFigures f = window_figures(interval_start_, end);
  IntervalRow row;
  row.completed = f.completed;
  row.throughput_qps = f.throughput_qps;
  row.utilization = capacity() > 0 ? f.mean_busy / static_cast<double>(capacity())
                                   : std::numeric_limits<double>::quiet_NaN();
  row.queue_length_mean = f.mean_queue;
  row.queue_length_max = stats_.queue.max_interval();
  row.concurrency_mean = f.mean_in_system;
  row.latency_mean_ms = f.mean_residence_ms;
  row.wait_mean_ms = f.mean_wait_ms;
  row.waited_fraction = f.waited_fraction;
  row.rejected = f.rejected;
  row.failed = f.failed;
  intervals_.push_back(row);
  stats_.queue.reset_interval_max();
  interval_start_ = end;
}

spec::Json Component::extra_results(sim::Time) const { return spec::Json::object(); }

void Component::check_invariants() const {
  const auto& c = stats_.counters;
  // Every arrival is either rejected, completed, or still inside.
  assert(c.arrivals == c.rejected + c.completed + static_cast<std::uint64_t>(stats_.in_system.value()));
  assert(stats_.queue.value() >= 0 && stats_.busy.value() >= 0);
  assert(stats_.computing.value() <= stats_.busy.value());
  (void)c;
}

}  // namespace archsim::models
