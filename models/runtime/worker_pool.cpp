#include "models/runtime/worker_pool.h"

#include <cassert>

namespace archsim::models {

WorkerPool::WorkerPool(const PoolConfig& config, ComponentStats& stats, Context& context)
    : workers_(config.workers),
      queue_capacity_(config.queue_capacity),
      replicas_(static_cast<std::size_t>(config.replicas)),
      per_replica_(replicas_.size() > 1),
      stats_(stats),
      queue_full_(context.failures.intern("queue_full")),
      requests_(context.requests),
      mark_(context.requests.new_holder_mark()) {}

WorkerPool::Admission WorkerPool::admit(Request& request, sim::Time now) {
  std::size_t r;
  if (request.instance >= 0) {
    r = static_cast<std::size_t>(request.instance);
    assert(r < replicas_.size());
  } else {
    r = next_replica_;
    next_replica_ = next_replica_ + 1 == replicas_.size() ? 0 : next_replica_ + 1;
    request.instance = static_cast<std::int32_t>(r);
  }
  Replica& replica = replicas_[r];
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

void WorkerPool::start(Request& request, Replica& replica, sim::Time now) {
  request.held_by = mark_;
  ++replica.busy;
  if (per_replica_) replica.busy_time.set(now, replica.busy);
  stats_.busy.add(now, +1);
  const sim::Time waited = now - request.arrived;
  ++stats_.counters.started;
  if (waited.ns > 0) ++stats_.counters.waited;
  stats_.counters.wait_ns += waited.ns;
  stats_.wait.record(waited.ns);
}

std::size_t WorkerPool::free_worker(Request& request, sim::Time now) {
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

Request* WorkerPool::next(std::size_t r, sim::Time now) {
  Replica& replica = replicas_[r];
  if (replica.queue.empty()) return nullptr;
  Request& next = *replica.queue.pop_front();
  stats_.queue.add(now, -1);
  start(next, replica, now);
  return &next;
}

std::vector<Request*> WorkerPool::holders(std::size_t replica) const {
  std::vector<Request*> out;
  requests_.for_each([&](Request& r) {
    if (r.held_by == mark_ && static_cast<std::size_t>(r.instance) == replica) out.push_back(&r);
  });
  assert(static_cast<std::int64_t>(out.size()) == replicas_[replica].busy);
  return out;
}

Request* WorkerPool::take_waiting(std::size_t r, sim::Time now) {
  Replica& replica = replicas_[r];
  if (replica.queue.empty()) return nullptr;
  stats_.queue.add(now, -1);
  return replica.queue.pop_front();
}

void WorkerPool::on_window_begin(sim::Time now) {
  for (auto& r : replicas_) {
    r.window_busy = per_replica_ ? r.busy_time.integral(now) : stats_.busy.integral(now);
    r.window_completed = r.completed;
  }
}

spec::Json WorkerPool::replica_results(sim::Time start, sim::Time now) const {
  spec::Json instances = spec::Json::array();
  const double seconds = (now - start).to_s();
  for (const auto& r : replicas_) {
    spec::Json i = spec::Json::object();
    i["throughput_qps"] = seconds > 0 ? static_cast<double>(r.completed - r.window_completed) / seconds : 0.0;
    const __int128 busy = per_replica_ ? r.busy_time.integral(now) : stats_.busy.integral(now);
    i["utilization"] = sim::window_mean(r.window_busy, busy, start, now) / static_cast<double>(workers_);
    instances.push_back(i);
  }
  return instances;
}

void WorkerPool::check_invariants() const {
  std::int64_t busy = 0, queued = 0;
  for (const auto& r : replicas_) {
    assert(r.busy >= 0 && r.busy <= workers_);
    assert(static_cast<std::int64_t>(r.queue.size()) <= queue_capacity_);
    // A request waits only when every worker of its replica is busy.
    assert(r.queue.empty() || r.busy == workers_);
    busy += r.busy;
    queued += static_cast<std::int64_t>(r.queue.size());
  }
  assert(busy == stats_.busy.value());
  assert(queued == stats_.queue.value());
  (void)busy;
  (void)queued;
}

}  // namespace archsim::models
