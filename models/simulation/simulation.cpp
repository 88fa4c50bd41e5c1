#include "models/simulation/simulation.h"

#include <algorithm>
#include <cassert>
#include <stdexcept>

#include "models/simulation/catalog.h"
#include "models/simulation/faults.h"

namespace archsim::models {

using spec::Json;

namespace {
enum Boundary : std::uint32_t { kWarmupEnd = 0, kIntervalEnd = 1, kAction = 2 };
}

Simulation::Simulation(const Scenario& scenario, const RunOptions& options)
    : config_(scenario.config),
      context_(options.seed.value_or(scenario.config.at("seed").get<std::uint64_t>())) {
  if (options.seed) config_["seed"] = *options.seed;
  if (options.duration_s) config_["duration_s"] = *options.duration_s;
  context_.operations = scenario.operations;
  context_.end = sim::Time::from_s(config_.at("duration_s").get<double>());
  context_.warmup_end = sim::Time::from_s(config_.at("warmup_s").get<double>());
  if (context_.warmup_end >= context_.end)
    throw std::invalid_argument("the warm-up (" + spec::format_number(config_["warmup_s"].get<double>()) +
                                " s) must be shorter than the run (" + spec::format_number(config_["duration_s"].get<double>()) + " s)");
  interval_ = sim::Time::from_s(config_.at("report_interval_s").get<double>());
  if (interval_.ns <= 0) interval_ = sim::Time::from_ns(1);
  max_events_ = config_.at("limits").at("max_events").get<std::uint64_t>();
  context_.max_in_flight = config_.at("limits").at("max_in_flight").get<std::size_t>();

  network_ = std::make_unique<Network>(config_.at("network"), config_.at("links"), context_);
  recorder_ = std::make_unique<Recorder>(context_.operations.size(), config_.at("workloads").size());
  for (std::size_t i = 0; i < config_.at("workloads").size(); ++i)
    workloads_.push_back(std::make_unique<Workload>(read_workload_config(config_["workloads"][i]),
                                                    static_cast<std::uint32_t>(i), context_, *recorder_));
  for (const auto& c : config_.at("components"))
    components_.push_back(find_component_type(c.at("type").get<std::string>())->make(c, context_));
  for (auto& c : components_) c->connect(*this);
  for (auto& w : workloads_) w->connect(*this);
  network_->place_nodes(*this);
  faults_ = std::make_unique<FaultTimeline>(config_.contains("faults") ? config_["faults"] : Json(), *this,
                                            context_.failures, *recorder_);
}

Simulation::~Simulation() = default;

std::vector<const Node*> Simulation::workloads() const {
  std::vector<const Node*> out;
  for (const auto& w : workloads_) out.push_back(w.get());
  return out;
}

Node* Simulation::find_node(const std::string& name) {
  for (auto& c : components_)
    if (c->name() == name) return c.get();
  for (auto& w : workloads_)
    if (w->name() == name) return w.get();
  return nullptr;
}

Node& Simulation::node(const std::string& name) {
  Node* node = find_node(name);
  assert(node != nullptr && "names are resolved in validation");
  return *node;
}

Component* Simulation::component(std::string_view name) {
  for (auto& c : components_)
    if (c->name() == name) return c.get();
  return nullptr;
}

void Simulation::at(sim::Time at, std::function<void(Simulation&)> action) {
  actions_.push_back(std::move(action));
  context_.engine.post(at, sim::Phase::Boundary, this, kAction, actions_.size() - 1);
}

Link& Simulation::link(Node& from, Node& to) { return network_->link(from, to); }

Failure Simulation::failure_cause(std::string_view name) { return context_.failures.intern(name); }

std::uint32_t Simulation::operation(const std::string& name) {
  auto it = std::find(context_.operations.begin(), context_.operations.end(), name);
  assert(it != context_.operations.end());
  return static_cast<std::uint32_t>(it - context_.operations.begin());
}

void Simulation::on_event(std::uint32_t kind, std::uint64_t data) {
  const sim::Time now = context_.engine.now();
  if (kind == kAction) {
    // Statistics are cut at an instant before anything else happens at it.
    // The boundaries of this instant may have been posted after the action
    // (each interval's end is posted as the one before closes), so they run
    // here first; their own events then find them done.
    if (!window_open_ && now == context_.warmup_end) on_event(kWarmupEnd, 0);
    if (now == next_interval_end_) close_interval();
    actions_[data](*this);
    return;
  }
  if (kind == kWarmupEnd) {
    if (window_open_) return;  // run at an action of the same instant
    // The time series splits at the end of the warm-up, so that the measured
    // intervals add up to the summary exactly.
    close_interval();
    recorder_->begin_window(now);
    for (auto& w : workloads_) w->on_window_begin();
    for (auto& c : components_) c->begin_window(now);
    network_->begin_window();
    window_open_ = true;
    return;
  }
  close_interval();
  const sim::Time next = std::min(now + interval_, context_.end);
  if (next < context_.end) {
    context_.engine.post(next, sim::Phase::Boundary, this, kIntervalEnd);
    next_interval_end_ = next;
  }
}

void Simulation::close_interval() {
  const sim::Time now = context_.engine.now();
  if (now == interval_start_) return;  // nothing since the last boundary
  // An interval counts as measured when it lies wholly after the warm-up.
  series_row_.clear();
  series_row_.push_back(now.to_s());
  series_row_.push_back(window_open_ && interval_start_ >= context_.warmup_end ? 1 : 0);
  recorder_->close_interval(now, series_row_);
  for (auto& c : components_) c->close_interval(now, series_row_);
  assert(series_row_.size() == series_columns_.size());
  series_sink_->row(series_row_);
  faults_->interval_closed(now);
  interval_start_ = now;
  check_invariants();
}

void Simulation::begin_series() {
  using Kind = SeriesColumn::Kind;
  // Every cause the run can produce is known now: the series has a column
  // for each from its first row.
  context_.failures.close();
  series_columns_ = {{"t_s", "s", Kind::Number}, {"measured", "", Kind::Boolean}};
  std::vector<bool> sent_by_clients(context_.operations.size(), false);
  for (const auto& w : config_.at("workloads"))
    for (const auto& op : w.at("operations")) sent_by_clients[operation(op.at("name").get<std::string>())] = true;
  for (auto& c : recorder_->begin_series(context_.operations, sent_by_clients, context_.failures))
    series_columns_.push_back(std::move(c));
  for (const auto& component : components_)
    for (auto& c : component->metrics().series_columns()) {
      c.name = (spec::Path() / "components" / component->name()).str() + "." + c.name;
      series_columns_.push_back(std::move(c));
    }
  if (series_sink_ == nullptr) series_sink_ = &memory_series_;
  series_sink_->begin(series_columns_);
  series_row_.reserve(series_columns_.size());
}

void Simulation::check_invariants() const {
  for (const auto& c : components_) {
    checking_ = c.get();
    c->check_invariants();
  }
  checking_ = nullptr;
}

namespace {
thread_local const Simulation* running_simulation = nullptr;

const char* node_event_name(std::uint32_t kind) {
  switch (kind) {
    case kDeliverRequest: return "a request arriving";
    case kDeliverReply: return "a reply arriving";
    case kCallTimeout: return "a call's timeout";
    case kRetryDue: return "a retry's backoff ending";
    default: return "a timer of its own";
  }
}
}  // namespace

std::string Simulation::where_running() {
  const Simulation* s = running_simulation;
  if (s == nullptr) return "";
  const sim::Engine& engine = s->context_.engine;
  std::string out = "at simulated time " + spec::format_number(engine.now().to_s()) + " s";
  if (s->checking_ != nullptr) return out + ", checking the invariants of component \"" + s->checking_->name() + "\"";
  const sim::EventTarget* target = engine.running_target();
  const std::uint32_t kind = engine.running_kind();
  if (sim::Engine::running_here() != &engine || target == nullptr) return out + ", between events";
  if (target == static_cast<const sim::EventTarget*>(s)) return out + ", at a reporting boundary";
  for (const auto& c : s->components_)
    if (static_cast<const sim::EventTarget*>(c.get()) == target)
      return out + ", in component \"" + c->name() + "\" (" + c->type() + "), handling " + node_event_name(kind);
  for (const auto& w : s->workloads_)
    if (static_cast<const sim::EventTarget*>(w.get()) == target)
      return out + ", in workload \"" + w->name() + "\", handling " + node_event_name(kind);
  return out + ", in one of its components";
}

void Simulation::run(const Progress& progress) {
  sim::Engine& engine = context_.engine;
  // Known to where_running() for the length of the run.
  struct Mark {
    const Simulation* outer = running_simulation;
    explicit Mark(const Simulation* s) { running_simulation = s; }
    ~Mark() { running_simulation = outer; }
  } mark(this);
  begin_series();
  if (context_.warmup_end.ns == 0) {
    on_event(kWarmupEnd, 0);
  } else {
    engine.post(context_.warmup_end, sim::Phase::Boundary, this, kWarmupEnd);
  }
  if (interval_ < context_.end) {
    engine.post(interval_, sim::Phase::Boundary, this, kIntervalEnd);
    next_interval_end_ = interval_;
  }
  for (auto& c : components_) c->start();
  for (auto& w : workloads_) w->start();

  // In slices when someone watches, so that it can be told and can stop the
  // run; the events run in the same order either way.
  constexpr std::uint64_t kSlice = 1u << 20;
  std::uint64_t left = max_events_;
  for (;;) {
    const std::uint64_t slice = progress ? std::min(left, kSlice) : left;
    const std::uint64_t before = engine.events_processed();
    stop_reason_ = engine.run_until(context_.end, slice);
    left -= engine.events_processed() - before;
    if (stop_reason_ != sim::StopReason::EventBudget || left == 0) break;
    if (!progress(engine.now(), context_.end)) {
      interrupted_ = true;
      break;
    }
  }
  completed_ = stop_reason_ == sim::StopReason::TimeLimit || stop_reason_ == sim::StopReason::Drained;
  if (interrupted_)
    stop_problem_ = "interrupted";
  else if (stop_reason_ == sim::StopReason::EventBudget)
    stop_problem_ = "stopped after " + std::to_string(max_events_) + " events (limits.max_events)";
  else if (stop_reason_ == sim::StopReason::Stopped)
    stop_problem_ = "more than " + std::to_string(context_.max_in_flight) + " requests in flight (limits.max_in_flight)";
  if (!stop_problem_.empty()) stop_problem_ = "at " + std::to_string(engine.now().to_s()) + " s: " + stop_problem_;
  // The last interval ends with the run (it may be shorter than the others).
  if (!window_open_) on_event(kWarmupEnd, 0);
  close_interval();
}

}  // namespace archsim::models
