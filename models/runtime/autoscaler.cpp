#include "models/runtime/autoscaler.h"

#include <algorithm>
#include <cassert>
#include <cmath>

namespace archsim::models {

using spec::Json;
using spec::Spec;

namespace {
const std::vector<std::string> kMetrics = {"utilization", "queue_length", "request_rate"};
constexpr double kMaxSeconds = 86'400;  // a day

std::size_t index(InstanceState s) { return static_cast<std::size_t>(s); }
}  // namespace

spec::NodeRef autoscaling_spec() {
  using Config = AutoscalingConfig;
  static const spec::NodeRef node = [] {
    Spec a = Spec::object("Target tracking: every interval, the instance count that brings the metric to its target, "
                          "measured over the last window; replicas is the count at the start");
    a.optional("metric", Spec::enumeration("What is tracked: utilization (workers held over workers), queue_length "
                                           "(requests waiting per serving instance) or request_rate (requests "
                                           "reaching it per second per serving instance)",
                                           kMetrics)
                             .default_value("utilization"))
        .to(&Config::metric)
        .required("target", Spec::number("The metric's value the count is sized for (utilization: a fraction, at "
                                         "most 1; queue_length: requests; request_rate: requests/s)")
                                .greater_than(0)
                                .max(1e9))
        .to(&Config::target)
        .optional("min_instances",
                  Spec::integer("Fewest instances serving").unit("instances").min(1).max(10000).default_value(1))
        .to(&Config::min_instances)
        .required("max_instances", Spec::integer("Most instances serving or starting").unit("instances").min(1).max(10000))
        .to(&Config::max_instances)
        .optional("interval_s", Spec::number("Time between decisions; the first is one interval after the start")
                                    .unit("s")
                                    .min(0.001)
                                    .max(kMaxSeconds)
                                    .default_value(60))
        .to(&Config::interval_s)
        .optional("window_s", Spec::number("Span of the run the metric is averaged over at each decision (by default "
                                           "interval_s); early decisions see the run so far")
                                  .unit("s")
                                  .min(0.001)
                                  .max(kMaxSeconds))
        .to(&Config::window_s)
        .optional("startup_s", Spec::number("Time from an instance's launch to its first request (boot, warm-up, "
                                            "registration)")
                                   .unit("s")
                                   .min(0)
                                   .max(kMaxSeconds)
                                   .default_value(60))
        .to(&Config::startup_s)
        .optional("cooldown_s", Spec::number("After a scaling action of either direction, no scale-in for this long")
                                    .unit("s")
                                    .min(0)
                                    .max(kMaxSeconds)
                                    .default_value(300))
        .to(&Config::cooldown_s)
        .optional("scale_in", Spec::boolean("Whether it removes instances (false: it only adds them)").default_value(true))
        .to(&Config::scale_in);
    a.check([](const Json& value, const spec::Path& path, spec::Errors& errors) {
      const auto min = value["min_instances"].get<std::int64_t>();
      const auto max = value["max_instances"].get<std::int64_t>();
      if (min > max)
        errors.add(path / "min_instances", "must be at most max_instances (" + std::to_string(max) + "), got " +
                                               std::to_string(min));
      const double target = value["target"].get<double>();
      const std::string metric = value["metric"].get<std::string>();
      if (metric == "utilization" && target > 1)
        errors.add(path / "target", std::string("is a utilization, a fraction of the workers: must be at most 1, got ") +
                                        spec::format_number(target));
      else if (metric == "utilization" && target >= 0.95)
        errors.warn(path / "target", std::string("a utilization target of ") + spec::format_number(target) +
                                         " leaves no headroom: queues build up before each scale-out takes effect");
      const double interval = value["interval_s"].get<double>();
      if (value.contains("window_s") && value["window_s"].get<double>() > 1000 * interval)
        errors.add(path / "window_s", "must be at most 1000 decision intervals (" +
                                          spec::format_number(1000 * interval) + " s), got " +
                                          spec::format_number(value["window_s"].get<double>()));
      else if (value.contains("window_s") && value["window_s"].get<double>() < interval)
        errors.warn(path / "window_s", "is shorter than interval_s: what happens between one window's end and the "
                                       "next decision's window is never measured");
    });
    return a.build();
  }();
  return node;
}

void check_autoscaling(const Json& autoscaling, std::int64_t replicas, const spec::Path& path, spec::Errors& errors) {
  const auto min = autoscaling["min_instances"].get<std::int64_t>();
  const auto max = autoscaling["max_instances"].get<std::int64_t>();
  if (min > max) return;  // said by the object's own check
  if (replicas < min || replicas > max)
    errors.add(path / "replicas", "is the instance count at the start with autoscaling: must be between "
                                  "min_instances (" + std::to_string(min) + ") and max_instances (" +
                                      std::to_string(max) + "), got " + std::to_string(replicas));
}

Autoscaler::Autoscaler(const AutoscalingConfig& config, std::int64_t initial, WorkerPool& pool, ComponentStats& stats,
                       Context& context, sim::EventTarget& owner, std::uint32_t first_timer)
    : config_(config),
      pool_(pool),
      stats_(stats),
      context_(context),
      owner_(owner),
      decide_kind_(first_timer),
      sample_kind_(first_timer + 1),
      ready_kind_(first_timer + 2),
      interval_(sim::Time::from_s(config.interval_s)),
      window_(sim::Time::from_s(config.window_s > 0 ? config.window_s : config.interval_s)),
      startup_(sim::Time::from_s(config.startup_s)),
      cooldown_(sim::Time::from_s(config.cooldown_s)) {
  assert(pool.replicas() == config.max_instances && initial >= config.min_instances && initial <= config.max_instances);
  pool_.enable_rotation(initial);
  counts_[index(InstanceState::Serving)] = initial;
  counts_[index(InstanceState::Off)] = config.max_instances - initial;
  const sim::Time zero{};
  serving_.set(zero, initial);
  running_.set(zero, initial);
  capacity_.set(zero, initial * pool_.workers());
  desired_.set(zero, initial);
  min_serving_window_ = max_serving_window_ = initial;
}

void Autoscaler::start() {
  // Decision k (k ≥ 1) comes at k × interval and looks back over the window
  // from k × interval − window_s; those whose windows would begin before
  // now begin now.
  const sim::Time at = now();
  std::int64_t k = 1;
  while (interval_.ns * k - window_.ns <= 0) {
    samples_.push_back(sample(at));
    ++k;
  }
  context_.engine.post_in(sim::Time{interval_.ns * k - window_.ns}, sim::Phase::Timer, &owner_, sample_kind_);
  context_.engine.post_in(interval_, sim::Phase::Timer, &owner_, decide_kind_);
}

void Autoscaler::on_timer(std::uint32_t kind, std::uint64_t data) {
  if (kind == sample_kind_) {
    samples_.push_back(sample(now()));
    context_.engine.post_in(interval_, sim::Phase::Timer, &owner_, sample_kind_);
  } else if (kind == decide_kind_) {
    decide();
    context_.engine.post_in(interval_, sim::Phase::Timer, &owner_, decide_kind_);
  } else {
    assert(kind == ready_kind_);
    const auto replica = static_cast<std::size_t>(data);
    assert(pool_.state(replica) == InstanceState::Starting);
    set(replica, InstanceState::Serving);
  }
}

Autoscaler::Sample Autoscaler::sample(sim::Time at) const {
  return Sample{at, stats_.busy.integral(at), stats_.queue.integral(at), capacity_.integral(at), serving_.integral(at),
                stats_.counters.arrivals};
}

void Autoscaler::decide() {
  assert(!samples_.empty());
  const Sample from = samples_.pop_front();
  const Sample to = sample(now());
  ++decisions_;
  const auto span = static_cast<double>((to.at - from.at).ns);
  if (!(span > 0)) return;
  // The load over the window, in instances' worth at the target: the
  // workers held on average over the workers of one instance at the target
  // utilization; the requests waiting on average over the backlog one
  // instance may have; the arrival rate over the rate one instance takes.
  // Each is what the metric per instance would read, times the instances
  // it is per, over the target: the count that would bring it to target.
  const double serving_mean = static_cast<double>(to.serving - from.serving) / span;
  double load = 0;
  switch (config_.metric) {
    case AutoscalingConfig::Metric::Utilization: {
      const double busy = static_cast<double>(to.busy - from.busy) / span;
      const double capacity = static_cast<double>(to.capacity - from.capacity) / span;
      last_metric_ = capacity > 0 ? busy / capacity : 0;
      load = busy / (static_cast<double>(pool_.workers()) * config_.target);
      break;
    }
    case AutoscalingConfig::Metric::QueueLength: {
      const double queue = static_cast<double>(to.queue - from.queue) / span;
      last_metric_ = serving_mean > 0 ? queue / serving_mean : 0;
      load = queue / config_.target;
      break;
    }
    case AutoscalingConfig::Metric::RequestRate: {
      const double rate = static_cast<double>(to.arrivals - from.arrivals) / (span / 1e9);
      last_metric_ = serving_mean > 0 ? rate / serving_mean : 0;
      load = rate / config_.target;
      break;
    }
  }
  const std::int64_t serving = counts_[index(InstanceState::Serving)];
  const std::int64_t starting = counts_[index(InstanceState::Starting)];
  // A hair above an integer is that integer: the measure of an exact load
  // must not launch an instance for a rounding error.
  auto desired = static_cast<std::int64_t>(std::ceil(load - 1e-9));
  desired = std::clamp(desired, config_.min_instances, config_.max_instances);
  desired_.set(now(), desired);
  if (desired > serving + starting) {
    scale_out(desired - serving - starting);
  } else if (config_.scale_in && desired < serving && starting == 0 &&
             (!acted_ || now() - last_action_ >= cooldown_)) {
    scale_in(serving - desired);
  }
}

void Autoscaler::scale_out(std::int64_t instances) {
  // Off replicas not down first, in replica order; a draining one is not
  // taken back, so with none off the scale-out falls short.
  std::int64_t left = instances;
  for (int pass = 0; pass < 2 && left > 0; ++pass)
    for (std::size_t r = 0; r < static_cast<std::size_t>(pool_.replicas()) && left > 0; ++r) {
      if (pool_.state(r) != InstanceState::Off || pool_.down(r) != (pass == 1)) continue;
      --left;
      ++started_;
      if (startup_.ns == 0) {
        set(r, InstanceState::Serving);
      } else {
        set(r, InstanceState::Starting);
        context_.engine.post_in(startup_, sim::Phase::Timer, &owner_, ready_kind_, r);
      }
    }
  if (left == instances) return;
  ++scale_outs_;
  acted_ = true;
  last_action_ = now();
}

void Autoscaler::scale_in(std::int64_t instances) {
  std::int64_t left = instances;
  for (std::size_t r = static_cast<std::size_t>(pool_.replicas()); r-- > 0 && left > 0;) {
    if (pool_.state(r) != InstanceState::Serving) continue;
    --left;
    ++stopped_;
    set(r, InstanceState::Draining);
    if (pool_.load(r) == 0) turn_off(r);
  }
  ++scale_ins_;
  acted_ = true;
  last_action_ = now();
}

void Autoscaler::turn_off(std::size_t replica) {
  set(replica, InstanceState::Off);
  if (on_off) on_off(replica);
}

void Autoscaler::set(std::size_t replica, InstanceState state) {
  const InstanceState was = pool_.state(replica);
  assert(was != state);
  --counts_[index(was)];
  ++counts_[index(state)];
  const sim::Time at = now();
  pool_.set_state(replica, state, at);
  const std::int64_t serving = counts_[index(InstanceState::Serving)];
  const std::int64_t draining = counts_[index(InstanceState::Draining)];
  serving_.set(at, serving);
  starting_.set(at, counts_[index(InstanceState::Starting)]);
  draining_.set(at, draining);
  running_.set(at, serving + draining + counts_[index(InstanceState::Starting)]);
  capacity_.set(at, (serving + draining) * pool_.workers());
  min_serving_window_ = std::min(min_serving_window_, serving);
  max_serving_window_ = std::max(max_serving_window_, serving);
  if (was == InstanceState::Serving) tell(replica, false);
  if (state == InstanceState::Serving) tell(replica, true);
}

void Autoscaler::tell(std::size_t replica, bool in) {
  for (RotationWatcher* w : watchers_) w->rotation_changed(replica, in);
}

double Autoscaler::window_capacity(sim::Time now) const {
  return now > window_start_ ? sim::window_mean(capacity_at_window_, capacity_.integral(now), window_start_, now)
                             : static_cast<double>(capacity_.value());
}

void Autoscaler::declare_metrics(MetricSet& m) {
  m.level("instances_serving", "instances", "Instances in the rotation, taking requests (a crashed one included)",
          &serving_, LevelSeries::Mean);
  m.level("instances_starting", "instances", "Instances launched and not serving yet (startup_s)", &starting_,
          LevelSeries::Mean);
  m.level("instances_draining", "instances", "Instances out of the rotation finishing what they hold", &draining_,
          LevelSeries::Mean);
  m.level("instances_running", "instances", "Instances starting, serving or draining: those paid for", &running_,
          LevelSeries::Mean);
  m.level("instances_desired", "instances", "The count the latest decision asked for", &desired_, LevelSeries::Mean);
  m.count("scale_outs", "actions", "Decisions that launched instances", &scale_outs_);
  m.count("scale_ins", "actions", "Decisions that drained instances", &scale_ins_);
  m.count("instances_launched", "instances", "Instances launched by scale-outs", &started_);
  m.count("instances_drained", "instances", "Instances taken out of the rotation by scale-ins", &stopped_);
  m.extra("autoscaling", [this](sim::Time start, sim::Time end) {
    Json a = Json::object();
    a["metric"] = kMetrics[static_cast<std::size_t>(config_.metric)];
    a["target"] = config_.target;
    a["min_instances"] = config_.min_instances;
    a["max_instances"] = config_.max_instances;
    a["instance_seconds"] = static_cast<double>(running_.integral(end) - running_at_window_) / 1e9;
    a["instances_serving"] = {{"min", min_serving_window_},
                              {"mean", sim::window_mean(serving_at_window_, serving_.integral(end), start, end)},
                              {"max", max_serving_window_}};
    a["last_metric"] = last_metric_;
    a["decisions"] = decisions_;
    return a;
  });
}

void Autoscaler::on_window_begin(sim::Time now) {
  window_start_ = now;
  running_at_window_ = running_.integral(now);
  capacity_at_window_ = capacity_.integral(now);
  serving_at_window_ = serving_.integral(now);
  min_serving_window_ = max_serving_window_ = serving_.value();
  for (sim::TimeWeighted* l : {&serving_, &starting_, &draining_, &running_, &desired_}) l->reset_window_max();
}

void Autoscaler::check_invariants() const {
  std::int64_t counts[4] = {0, 0, 0, 0};
  for (std::size_t r = 0; r < static_cast<std::size_t>(pool_.replicas()); ++r) ++counts[index(pool_.state(r))];
  for (std::size_t s = 0; s < 4; ++s) assert(counts[s] == counts_[s]);
  assert(counts_[index(InstanceState::Serving)] >= 1);
  assert(serving_.value() == counts_[index(InstanceState::Serving)]);
  (void)counts;
}

}  // namespace archsim::models
