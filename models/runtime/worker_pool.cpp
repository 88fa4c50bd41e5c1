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
      mark_(context.requests.new_holder_mark()) {
  if (config.shed_wait_ms > 0) {
    shedding_ = true;
    shed_wait_ = sim::Time::from_ms(config.shed_wait_ms);
    shed_ = context.failures.intern("shed");
  }
  if (config.drop_abandoned) {
    dropping_ = true;
    abandoned_ = context.failures.intern("abandoned");
  }
  judging_ = shedding_ || dropping_;
}

Request* WorkerPool::shed_oldest(std::size_t r, sim::Time now) {
  Replica& replica = replicas_[r];
  if (replica.queue.empty()) return nullptr;
  const Request& head = *replica.queue.front();
  Failure cause{};
  if (shedding_ && now - head.arrived > shed_wait_) {
    cause = shed_;
    ++shed_count_;
  } else if (dropping_ && !head.awaited_all_the_way()) {
    cause = abandoned_;
    ++dropped_count_;
  } else {
    return nullptr;
  }
  Request* request = replica.queue.pop_front();
  stats_.queue.add(now, -1);
  request->failure = cause;
  return request;
}

void WorkerPool::enable_rotation(std::int64_t serving) {
  assert(serving >= 1 && serving <= replicas());
  rotating_ = true;
  rotation_.reserve(replicas_.size());
  in_service_.resize(replicas_.size());
  for (std::size_t i = 0; i < replicas_.size(); ++i) {
    const bool on = static_cast<std::int64_t>(i) < serving;
    replicas_[i].state = on ? InstanceState::Serving : InstanceState::Off;
    in_service_[i].level.set(sim::Time{}, on ? 1 : 0);
  }
  set_state(0, InstanceState::Serving, sim::Time{});  // lists the rotation
}

void WorkerPool::set_state(std::size_t replica, InstanceState state, sim::Time now) {
  assert(rotating_);
  replicas_[replica].state = state;
  in_service_[replica].level.set(now, state == InstanceState::Serving || state == InstanceState::Draining ? 1 : 0);
  rotation_.clear();  // keeps its capacity: no allocation
  for (std::size_t i = 0; i < replicas_.size(); ++i)
    if (replicas_[i].state == InstanceState::Serving) rotation_.push_back(i);
  if (next_in_rotation_ >= rotation_.size()) next_in_rotation_ = 0;
}

std::size_t WorkerPool::choose_in_rotation(Request& request) {
  // A replica a load balancer chose keeps the request if it serves; one that
  // has left the rotation since takes nothing new: the next in turn does.
  if (request.instance >= 0 && replicas_[static_cast<std::size_t>(request.instance)].state == InstanceState::Serving)
    return static_cast<std::size_t>(request.instance);
  assert(!rotation_.empty());
  const std::size_t r = rotation_[next_in_rotation_];
  next_in_rotation_ = next_in_rotation_ + 1 == rotation_.size() ? 0 : next_in_rotation_ + 1;
  request.instance = static_cast<std::int32_t>(r);
  return r;
}

void WorkerPool::declare_metrics(MetricSet& metrics) {
  metrics.extra("replicas", [this](sim::Time, sim::Time) { return spec::Json(replicas()); });
  metrics.extra("workers", [this](sim::Time, sim::Time) { return spec::Json(workers_); });
  metrics.extra("queue_capacity", [this](sim::Time, sim::Time) { return spec::Json(queue_capacity_); });
  if (shedding_)
    metrics.count("shed", "requests", "Requests dropped when a worker would have taken them, having waited longer than shed_wait_ms",
                  &shed_count_);
  if (dropping_)
    metrics.count("abandoned_dropped", "requests",
                  "Requests dropped, waiting or between steps, because everyone waiting for them had given up",
                  &dropped_count_);
  metrics.extra("instances", [this](sim::Time start, sim::Time end) { return replica_results(start, end); });
  if (!per_replica_ || replicas() > kMaxReplicaSeries) return;
  for (std::size_t i = 0; i < replicas_.size(); ++i) {
    const std::string prefix = "replicas[" + std::to_string(i) + "].";
    metrics.rate(prefix + "throughput_qps", "requests/s", "Requests that left this replica, per second", &replicas_[i].completed);
    metrics.series_only();
    metrics.share(prefix + "utilization", "Time-average of this replica's workers held, over its workers",
                  &replicas_[i].busy_time, [this] { return static_cast<double>(workers_); });
    metrics.series_only();
  }
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
  for (auto& s : in_service_) s.at_window = s.level.integral(now);
}

spec::Json WorkerPool::replica_results(sim::Time start, sim::Time now) const {
  spec::Json instances = spec::Json::array();
  const double seconds = (now - start).to_s();
  for (std::size_t k = 0; k < replicas_.size(); ++k) {
    const Replica& r = replicas_[k];
    spec::Json i = spec::Json::object();
    i["throughput_qps"] = seconds > 0 ? static_cast<double>(r.completed - r.window_completed) / seconds : 0.0;
    const __int128 busy = per_replica_ ? r.busy_time.integral(now) : stats_.busy.integral(now);
    if (rotating_) {
      // An instance that scales in and out: busy over the time it held
      // work (serving or draining), and that time; null if it never did.
      const double in_service =
          sim::window_mean(in_service_[k].at_window, in_service_[k].level.integral(now), start, now);
      i["in_service_s"] = in_service * seconds;
      i["utilization"] = in_service > 0 ? spec::Json(sim::window_mean(r.window_busy, busy, start, now) /
                                                     (in_service * static_cast<double>(workers_)))
                                        : spec::Json(nullptr);
    } else {
      i["utilization"] = sim::window_mean(r.window_busy, busy, start, now) / static_cast<double>(workers_);
    }
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
    // A replica off or starting holds nothing.
    assert(!rotating_ || r.state == InstanceState::Serving || r.state == InstanceState::Draining ||
           (r.busy == 0 && r.queue.empty()));
    busy += r.busy;
    queued += static_cast<std::int64_t>(r.queue.size());
  }
  assert(busy == stats_.busy.value());
  assert(queued == stats_.queue.value());
  (void)busy;
  (void)queued;
}

}  // namespace archsim::models
