#include "models/types/compute/service.h"

#include <algorithm>
#include <cassert>
#include <functional>
#include <limits>

namespace archsim::models {

using spec::Json;
using spec::Spec;

namespace {

DependencyConfig read_call(const Json& c) {
  DependencyConfig d;
  d.target = c.contains("call") ? c["call"].get<std::string>() : c["forward"].get<std::string>();
  d.operation = c.value("operation", "");
  if (c.contains("access")) d.access = read_access(c["access"]);
  if (c.contains("timeout_ms")) d.timeout_ms = c["timeout_ms"].get<double>();
  if (c.contains("retry")) d.retry = read_retry(c["retry"]);
  if (c.contains("hedge")) d.hedge = read_hedge(c["hedge"]);
  if (c.contains("circuit_breaker"))
    d.circuit_breaker = spec::read<CircuitBreakerConfig>(c["circuit_breaker"], *circuit_breaker_spec());
  if (c.contains("bulkhead")) d.bulkhead = spec::read<BulkheadConfig>(c["bulkhead"], *bulkhead_spec());
  // A call step's messages are its own: the sizes it declares, or none. A
  // forward passes the request itself on, sizes and all.
  d.request_bytes = read_payload_field(c, "request_bytes");
  d.reply_bytes = read_payload_field(c, "reply_bytes");
  d.passes_sizes = false;
  return d;
}

// A publish step: a call to a broker that asks for the topic as its
// operation; the worker waits for the broker's acknowledgement only (see
// models/types/async/broker.h), never for the consumers.
Spec publish_step_spec() {
  Spec publish = Spec::object("Publish a message to a broker's topic and go on once the broker has acknowledged it; the "
                              "worker never waits for the consumers");
  publish.required("publish", Spec::reference("The broker", std::string(capability::kBroker)).calls())
      .required("topic", Spec::string("The broker's topic the message goes to"))
      .optional("timeout_ms", call_timeout_spec());
  return publish;
}

DependencyConfig read_publish(const Json& s) {
  DependencyConfig d;
  d.target = s["publish"].get<std::string>();
  d.operation = s["topic"].get<std::string>();
  if (s.contains("timeout_ms")) d.timeout_ms = s["timeout_ms"].get<double>();
  return d;
}

std::vector<StepConfig> read_steps(const Json& steps) {
  std::vector<StepConfig> out;
  for (const auto& s : steps) {
    StepConfig step;
    if (s.contains("compute")) {
      step.kind = StepConfig::Kind::Compute;
      step.time = Delay(make_time_distribution(s["compute"]));
    } else if (s.contains("publish")) {
      step.kind = StepConfig::Kind::Call;
      step.calls.push_back(read_publish(s));
    } else if (s.contains("parallel")) {
      step.kind = StepConfig::Kind::Parallel;
      for (const auto& c : s["parallel"]) step.calls.push_back(read_call(c));
    } else {
      step.kind = s.contains("call") ? StepConfig::Kind::Call : StepConfig::Kind::Forward;
      step.calls.push_back(read_call(s));
      if (s.contains("on_miss")) step.on_miss = read_steps(s["on_miss"]);
    }
    out.push_back(std::move(step));
  }
  return out;
}

// A write retried after a timeout may be applied twice: allowed (a retry
// of an idempotent write is safe), but said.
void warn_retried_write(const Json& call, const spec::Path& path, spec::Errors& errors) {
  if (call.contains("retry") && call.contains("access") && call["access"] != "read")
    errors.warn(path / "retry", "retries a " + call["access"].get<std::string>() +
                                    ", which an attempt that timed out may already have applied: make sure the callee "
                                    "treats it as idempotent");
}

ServiceConfig read_config(const Json& config) { return spec::read<ServiceConfig>(config, *service_spec()); }

// The pool a service builds: with autoscaling, one replica for each
// instance it may run.
PoolConfig pool_of(const ServiceConfig& config) {
  PoolConfig pool = config.pool;
  if (config.autoscaling) pool.replicas = config.autoscaling->max_instances;
  return pool;
}

// Every call a list of steps makes, with its path: the calls of call and
// parallel steps, and those of their on_miss steps.
void each_call(const Json& steps, const spec::Path& path, const std::function<void(const Json&, const spec::Path&)>& f) {
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const Json& step = steps[i];
    if (step.contains("call")) f(step, path[i]);
    if (step.contains("parallel"))
      for (std::size_t k = 0; k < step["parallel"].size(); ++k) f(step["parallel"][k], (path[i] / "parallel")[k]);
    if (step.contains("on_miss")) each_call(step["on_miss"], path[i] / "on_miss", f);
  }
}

// A call's scratch, while it is out: which entry of waits_ (and guards_) its
// target is, whether it was refused before it left (no outcome to record),
// and its breaker's ticket.
constexpr std::uint64_t kWaitBits = 0xffff'ffff;
constexpr std::uint64_t kRefusedBit = std::uint64_t{1} << 31;
std::size_t wait_of(const Request& call) { return static_cast<std::size_t>(call.scratch & (kWaitBits & ~kRefusedBit)); }

}  // namespace

spec::NodeRef service_spec() {
  static const spec::NodeRef node = [] {
    const auto call_of = [](const char* doc) {
      Spec call = Spec::object(doc);
      call.required("call", Spec::reference("The component called", "callable").calls())
          .optional("operation", Spec::string("Operation asked of it; by default the request's own"))
          .optional("access", access_spec())
          .optional("timeout_ms", call_timeout_spec())
          .optional("circuit_breaker", circuit_breaker_spec())
          .optional("bulkhead", bulkhead_spec())
          .optional("retry", retry_spec())
          .optional("hedge", hedge_spec());
      add_payload_fields(call);
      call.check(warn_retried_write);
      call.check([](const Json& value, const spec::Path& path, spec::Errors& errors) {
        if (value.contains("retry") && value.contains("hedge"))
          errors.add(path / "hedge", "a call is either retried or hedged, not both (as in gRPC): remove retry or hedge");
        if (value.contains("hedge") && value.contains("access") && value["access"] != "read")
          errors.warn(path / "hedge", "hedges a " + value["access"].get<std::string>() +
                                          ": every attempt is applied, so the callee must treat it as idempotent");
      });
      return call;
    };
    Spec forward = Spec::object("Pass the request on and free the worker; the component forwarded to replies to the caller");
    forward.required("forward", Spec::reference("The component that takes the request over", "callable").calls())
        .optional("operation", Spec::string("Operation asked of it; by default the request's own"))
        .optional("access", access_spec());
    const auto forward_last = [](const Json& value, const spec::Path& path, spec::Errors& errors) {
      for (std::size_t i = 0; i + 1 < value.size(); ++i)
        if (value[i].contains("forward")) errors.add(path[i], "forward must be the last step: the worker is gone after it");
    };
    // Steps on a miss are steps of the same kinds, without a miss of their own.
    Spec inner_call = call_of("Call a component and wait for its reply; the worker stays held meanwhile");
    Spec inner_step = Spec::variant("A step of a handler", "");
    inner_step.named("step")
        .alternative("compute", time_distribution_spec())
        .alternative("call", inner_call)
        .alternative("parallel", Spec::array("Calls made at once; the step ends when all have replied", inner_call).items(1, 1000))
        .alternative("forward", forward)
        .alternative("publish", publish_step_spec());
    Spec on_miss = Spec::array("Steps run only when the cache called answers with a miss (cache-aside: read the database, "
                               "then fill the cache); skipped on a hit",
                               inner_step)
                       .items(1, 1000);
    on_miss.check(forward_last);
    Spec call = call_of("Call a component and wait for its reply; the worker stays held meanwhile");
    call.optional("on_miss", on_miss);
    Spec step = Spec::variant("A step of a handler", "");
    step.named("step")
        .alternative("compute", time_distribution_spec())
        .alternative("call", call)
        .alternative("parallel", Spec::array("Calls made at once; the step ends when all have replied", inner_call).items(1, 1000))
        .alternative("forward", forward)
        .alternative("publish", publish_step_spec());
    Spec steps = Spec::array("Steps run in order by a worker", step).items(1, 1000);
    steps.check(forward_last);

    Spec service = Spec::object("A pool of replicas, each with workers and a bounded FIFO queue");
    service.required("name", Spec::string("Unique name of the component").max_length(100)).to(&ServiceConfig::name);
    declare_pool(service, &ServiceConfig::pool);
    declare_shedding(service, &ServiceConfig::pool);
    declare_dropping(service, &ServiceConfig::pool);
    service
        .optional("service_time", time_distribution_spec())
        .store<ServiceConfig>([](const Json& v, ServiceConfig& c) {
          // The handler of every operation without its own: kept last, so
          // that connect() gives the named handlers their operations first.
          c.handlers.push_back({"", read_steps(Json::array({Json{{"compute", v}}}))});
        })
        .optional("handlers", Spec::map("Handler of each operation: the steps a worker runs", steps).keys_reference("operation").items(0, 1000))
        .store<ServiceConfig>([](const Json& v, ServiceConfig& c) {
          std::vector<HandlerConfig> named;
          for (const auto& [operation, steps] : v.items()) named.push_back({operation, read_steps(steps)});
          c.handlers.insert(c.handlers.begin(), named.begin(), named.end());
        })
        .optional("sessions", Spec::enumeration("Where users' sessions live: none kept here (a stateless tier, which "
                                                "keeps them in a shared store by a call step), or local, in the memory "
                                                "of the replica that served the user (a crash loses them)",
                                                {"none", "local"}))
        .store<ServiceConfig>([](const Json& v, ServiceConfig& c) { c.sessions_local = v.get<std::string>() == "local"; })
        .optional("bandwidth_bytes_per_s",
                  bandwidth_spec("Bytes per second each replica's network card sends, and takes in (full duplex), "
                                 "one message after another; none: unlimited"))
        .to(&ServiceConfig::bandwidth_bytes_per_s)
        .optional("autoscaling", autoscaling_spec())
        .store<ServiceConfig>([](const Json& v, ServiceConfig& c) {
          c.autoscaling = spec::read<AutoscalingConfig>(v, *autoscaling_spec());
        });
    service.check([](const Json& value, const spec::Path& path, spec::Errors& errors) {
      if (!value.contains("service_time") && !value.contains("handlers"))
        errors.add(path, "needs service_time, handlers, or both: a service must know what to do with a request");
      if (value.contains("autoscaling"))
        check_autoscaling(value["autoscaling"], value["replicas"].get<std::int64_t>(), path, errors);
    });
    return service.build();
  }();
  return node;
}

ComponentType service_type() {
  ComponentType t;
  t.name = "service";
  t.summary = "Replicas x workers with a bounded FIFO queue, running a handler of steps per operation";
  t.spec = service_spec();
  t.capabilities = {capability::kCallable, capability::kReplicated};
  t.fault_actions = {{"crash", {"crashed"}}, {"slow_down", {}}, {"fail", {"error"}}};
  t.replicas = [](const Json& config) { return pool_of(read_config(config)).replicas; };
  t.route = [](const Json& config, const std::string& operation, std::vector<Outflow>& out) {
    const ServiceConfig c = read_config(config);
    const HandlerConfig* handler = nullptr;
    for (const auto& h : c.handlers)
      if (h.operation == operation || (h.operation.empty() && handler == nullptr)) handler = &h;
    if (handler == nullptr) return false;
    const std::function<void(const std::vector<StepConfig>&)> add = [&](const std::vector<StepConfig>& steps) {
      for (const auto& step : steps) {
        for (const auto& call : step.calls) out.push_back({call.target, call.operation.empty() ? operation : call.operation});
        add(step.on_miss);
      }
    };
    add(handler->steps);
    return true;
  };
  t.check = [](const Json& config, const std::vector<std::string>& reaching, const ScenarioView& scenario,
               const spec::Path& path, spec::Errors& errors) {
    // One breaker and one bulkhead guard a service's calls to one component,
    // whichever step makes them: the calls to it must agree on them.
    if (config.contains("handlers")) {
      struct First {
        std::string target;
        spec::Path path;
        const Json* call;
      };
      std::vector<First> seen;
      for (const auto& [operation, steps] : config["handlers"].items())
        each_call(steps, path / "handlers" / operation, [&](const Json& call, const spec::Path& at) {
          const std::string target = call["call"].get<std::string>();
          auto first = std::find_if(seen.begin(), seen.end(), [&](const First& f) { return f.target == target; });
          if (first == seen.end()) {
            seen.push_back({target, at, &call});
            return;
          }
          for (const char* guard : {"circuit_breaker", "bulkhead"}) {
            const Json none;
            const Json& mine = call.contains(guard) ? call[guard] : none;
            const Json& theirs = first->call->contains(guard) ? (*first->call)[guard] : none;
            if (mine == theirs) continue;
            std::string message = std::string("is not the ") + guard + " of the call to \"" + target + "\" at " +
                                  first->path.str();
            if (theirs.is_null()) message += ", which has none";
            errors.add(at / guard, message + ": one " + guard +
                                       " guards all of a service's calls to one component; give every call to it the "
                                       "same one, or none");
          }
        });
    }
    // Steps on a miss need a call that can miss.
    if (config.contains("handlers"))
      for (const auto& [operation, steps] : config["handlers"].items())
        for (std::size_t i = 0; i < steps.size(); ++i) {
          if (!steps[i].contains("on_miss")) continue;
          const std::string target = steps[i]["call"].get<std::string>();
          const ComponentType* type = scenario.type_of(target);
          if (type != nullptr && !type->has(capability::kCache))
            errors.add((path / "handlers" / operation)[i] / "on_miss",
                       "runs only when a cache misses, but \"" + target + "\" is a " + type->name +
                           ", which answers every read: call a cache here, or make these plain steps");
        }
    // A service_time that no operation falls back on would be ignored.
    if (!config.contains("service_time") || !config.contains("handlers") || reaching.empty()) return;
    for (const auto& operation : reaching)
      if (!config["handlers"].contains(operation)) return;
    errors.add(path / "service_time", "is never used: every operation that reaches this service has its own handler; "
                                      "remove it, or remove the handler it should stand for");
  };
  t.make = factory<Service, ServiceConfig>(service_spec);
  return t;
}

Service::Service(ServiceConfig config, Context& context)
    : Component(config.name, context),
      pool_(pool_of(config), stats_, context),
      rng_(context.streams.for_component(name_)),
      failing_(context.streams.for_component("fail:" + name_)) {
  for (auto& h : config.handlers) {
    Handler handler;
    for (auto& s : h.steps) add_step(handler, s);
    handlers_.push_back(std::move(handler));
    handler_names_.push_back(h.operation);
  }
  pool_.declare_metrics(metrics_);
  if (config.bandwidth_bytes_per_s) {
    card_ = std::make_unique<NetworkCard>(*this, *config.bandwidth_bytes_per_s, static_cast<std::size_t>(pool_.replicas()));
    set_card(card_.get());
    declare_card_metrics(*card_, metrics_);
  }
  if (config.sessions_local) {
    sessions_ = std::make_unique<SessionTable>(static_cast<std::size_t>(pool_.replicas()));
    metrics_.count("sessions_created", "sessions", "Users' sessions made: first visits, and logins again after a loss",
                   &sessions_->created());
    metrics_.count("sessions_lost", "sessions", "Sessions held by replicas when they crashed: their users logged out",
                   &sessions_->lost());
    metrics_.count("session_misses", "requests",
                   "Requests admitted by a replica other than the one holding their user's session: logged out",
                   &sessions_->misses());
    metrics_.level("sessions_held", "sessions", "Sessions held in the replicas' memory", &sessions_->held(),
                   LevelSeries::Mean);
  }
  // What the workers wait on: the time-average of workers waiting on each
  // called component, over all workers (a parallel step waits on several),
  // from the waits that ended in the window.
  metrics_.extra("waiting_on", [this](sim::Time start, sim::Time end) {
    Json out = Json::object();
    for (const auto& w : waits_)
      out[w.target] = end > start ? static_cast<double>(w.waited_ns - w.at_window) / static_cast<double>((end - start).ns) /
                                        mean_capacity(end)
                                  : 0.0;
    return out;
  });
  declare_retry_metrics();
  for (auto& w : waits_) {
    metrics_.time_share("waiting_on." + w.target,
                        "Time-average of workers waiting on calls to " + w.target + ", over its workers", &w.waited_ns,
                        [this] { return static_cast<double>(capacity()); });
    metrics_.of_capacity();
    metrics_.series_only();
  }
  declare_guards();
  if (config.autoscaling) {
    autoscaler_ = std::make_unique<Autoscaler>(*config.autoscaling, config.pool.replicas, pool_, stats_, context, *this,
                                               kAutoscale);
    autoscaler_->declare_metrics(metrics_);
    // Utilization is over the workers of the instances holding work.
    metrics_.capacity_level(&autoscaler_->capacity());
    // A drained instance is gone, and the sessions in its memory with it.
    if (sessions_) autoscaler_->on_off = [this](std::size_t replica) { sessions_->crash(replica, now()); };
  }
}

void Service::start() {
  if (autoscaler_) autoscaler_->start();
}

void Service::add_guards(const DependencyConfig& call, std::size_t wait) {
  if (guards_.size() < waits_.size()) guards_.resize(waits_.size());
  Guard& g = guards_[wait];
  const auto replicas = static_cast<std::size_t>(pool_.replicas());
  // The declaration's check made the calls to one target agree: the first
  // call that brings a guard sets it.
  if (call.circuit_breaker && !g.breaker)
    g.breaker = std::make_unique<CircuitBreakers>(*call.circuit_breaker, replicas, context_.engine);
  if (call.bulkhead && !g.bulkhead) g.bulkhead = std::make_unique<Bulkheads>(*call.bulkhead, replicas);
}

void Service::declare_guards() {
  guards_.resize(waits_.size());
  for (std::size_t w = 0; w < guards_.size(); ++w) {
    Guard& g = guards_[w];
    if (g.breaker) g.breaker->declare_metrics(metrics_, "circuit_breakers." + waits_[w].target);
    if (g.bulkhead) g.bulkhead->declare_metrics(metrics_, "bulkheads." + waits_[w].target);
    guarded_ = guarded_ || g.breaker || g.bulkhead;
    if (g.breaker) circuit_open_ = context_.failures.intern("circuit_open");
    if (g.bulkhead) bulkhead_full_ = context_.failures.intern("bulkhead_full");
  }
  if (!guarded_) return;
  const auto summary_of = [this](bool breakers) {
    return [this, breakers](sim::Time start, sim::Time end) {
      Json out = Json::object();
      for (std::size_t w = 0; w < guards_.size(); ++w) {
        if (breakers && guards_[w].breaker) out[waits_[w].target] = guards_[w].breaker->summary(start, end);
        if (!breakers && guards_[w].bulkhead) out[waits_[w].target] = guards_[w].bulkhead->summary(start, end);
      }
      return out;
    };
  };
  if (circuit_open_) metrics_.extra("circuit_breakers", summary_of(true));
  if (bulkhead_full_) metrics_.extra("bulkheads", summary_of(false));
}

void Service::add_step(Handler& handler, StepConfig& s) {
  Step step;
  step.kind = s.kind;
  step.time = s.time;
  for (auto& c : s.calls) {
    if (s.kind != StepConfig::Kind::Forward) {
      std::size_t w = 0;
      while (w < waits_.size() && waits_[w].target != c.target) ++w;
      if (w == waits_.size()) waits_.push_back(Wait{c.target, {}, 0});
      step.waits.push_back(w);
      if (c.circuit_breaker || c.bulkhead) add_guards(c, w);
      if (c.retry) waits_[w].retried = true;
      if (c.hedge) waits_[w].hedged = true;
    }
    step.calls.emplace_back(std::move(c));
  }
  const std::size_t at = handler.steps.size();
  handler.steps.push_back(std::move(step));
  // The steps on a miss follow their call; a hit jumps over them.
  for (auto& m : s.on_miss) add_step(handler, m);
  handler.steps[at].skip_on_hit = static_cast<std::uint16_t>(handler.steps.size() - at - 1);
}

void Service::connect(Wiring& wiring) {
  by_operation_.assign(context_.operations.size(), nullptr);
  for (std::size_t i = 0; i < handlers_.size(); ++i) {
    if (handler_names_[i].empty()) {
      // The default handler comes last: it fills the operations left.
      for (auto& h : by_operation_)
        if (h == nullptr) h = &handlers_[i];
    } else {
      by_operation_[wiring.operation(handler_names_[i])] = &handlers_[i];
    }
    for (auto& step : handlers_[i].steps) {
      if (step.kind == StepConfig::Kind::Compute && step.time.is_constant())
        step.channel = context_.engine.channel(step.time.fixed(), sim::Phase::Departure);
      for (std::size_t k = 0; k < step.calls.size(); ++k) {
        Dependency& call = step.calls[k];
        call.connect(*this, wiring);
        if (call.has_timeout()) timeout_ = call.timeout_failure();
        // Every call step to the same component adds to one set of figures.
        if (call.retry() != nullptr) call.retry()->count_into(waits_[step.waits[k]].retries);
        if (call.hedge() != nullptr) {
          Wait& w = waits_[step.waits[k]];
          call.hedge()->count_into(w.hedges);
          if (w.hedge == nullptr) w.hedge = call.hedge();
        }
      }
    }
  }
}

void Service::on_request(Request& request) {
  ++stats_.counters.arrivals;
  request.arrived = now();
  if (failing_.any()) [[unlikely]] {
    if (failing_.fails(pool_.choose_replica(request))) {
      fail_at_once(request);
      return;
    }
  }
  const WorkerPool::Admission admission = pool_.enter(request, now());
  if (sessions_ && admission != WorkerPool::Admission::Rejected) [[unlikely]]
    sessions_->admitted(request.user_id, static_cast<std::size_t>(request.instance), now());
  switch (admission) {
    case WorkerPool::Admission::Started:
      begin(request);
      return;
    case WorkerPool::Admission::Queued:
      return;
    case WorkerPool::Admission::Rejected:
      reply(request);
      return;
  }
}

void Service::begin(Request& request) {
  request.step = 0;
  run(request);
}

void Service::run(Request& request) {
  std::vector<Step>& steps = by_operation_[request.operation]->steps;
  // Past the last step is told by address: the number of steps would cost
  // a division by the size of one.
  const auto next = steps.begin() + request.step;
  if (next >= steps.end()) {
    finish(request);
    return;
  }
  if (pool_.drops_abandoned() && !request.awaited_all_the_way()) [[unlikely]] {
    drop(request);
    return;
  }
  Step& step = *next;
  switch (step.kind) {
    case StepConfig::Kind::Compute: {
      pool_.begin_compute(now(), request);
      const auto data = reinterpret_cast<std::uint64_t>(&request);
      if (step.channel >= 0 && !slow_.any())
        context_.engine.post_on(step.channel, this, kComputeDone + pool_.life(), data);
      else
        context_.engine.post_in(slow_.any() ? slowed(step, request) : step.time.draw(rng_), sim::Phase::Departure,
                                this, kComputeDone + pool_.life(), data);
      return;
    }
    case StepConfig::Kind::Call:
    case StepConfig::Kind::Parallel:
      request.pending = static_cast<std::uint16_t>(step.calls.size());
      for (std::size_t k = 0; k < step.calls.size(); ++k) {
        if (guarded_) [[unlikely]] {
          guarded_call(step.calls[k], step.waits[k], request);
          continue;
        }
        // The call's scratch names what its worker waits on, for the reply.
        call(step.calls[k], request).scratch = step.waits[k];
      }
      return;
    case StepConfig::Kind::Forward:
      forward(request, step.calls.front());
      return;
  }
}

void Service::forward(Request& request, Dependency& to) {
  request.operation = to.operation(request);
  const std::size_t replica = leave(request);
  // The next component replies to the caller over the caller's link.
  request.instance = -1;
  send(request, to.link(), static_cast<std::int32_t>(replica));
  serve_next(replica);
}

std::size_t Service::leave(Request& request) {
  const std::size_t replica = pool_.free_worker(request, now());
  stats_.depart(now(), request, context_.callers_may_give_up);
  return replica;
}

void Service::finish(Request& request) {
  const std::size_t replica = leave(request);
  reply(request);
  serve_next(replica);
}

void Service::on_timer(std::uint32_t kind, std::uint64_t data) {
  // Nearly always the step began in the pool's present life, and has ended.
  const std::uint32_t life = kind - kComputeDone;
  if (life != pool_.life()) [[unlikely]] {
    if (kind < kComputeDone) {
      autoscaler_->on_timer(kind, data);
      return;
    }
    assert(life < pool_.life());
    if (pool_.cut_short(*reinterpret_cast<Request*>(data), life)) return;  // a crash cut the step short; the request has gone on since
  }
  compute_done(*reinterpret_cast<Request*>(data));
}

void Service::compute_done(Request& request) {
  pool_.end_compute(now());
  ++request.step;
  run(request);
}

bool Service::on_fault(const FaultAction& action) {
  const auto replicas = static_cast<std::size_t>(pool_.replicas());
  assert(action.replica < pool_.replicas());
  const auto [first, last] = aimed_parts(action, replicas);
  switch (action.kind) {
    case FaultAction::Kind::Crash:
      // Registered before the run by whoever planned the crash (the fault
      // timeline), so that the time series has its column: found here.
      crashed_ = context_.failures.intern("crashed");
      for (std::size_t r = first; r < last; ++r) crash(r);
      return true;
    case FaultAction::Kind::Recover:
      for (std::size_t r = first; r < last; ++r) pool_.set_down(r, kNoFailure);
      return true;
    case FaultAction::Kind::SlowDown:
      slow_.set(action, replicas);  // none slowed any more: back to the constant-time lanes
      return true;
    case FaultAction::Kind::Fail:
      // Registered before the run by the fault timeline (service_type's fault_actions).
      error_ = context_.failures.intern("error");
      failing_.set(action, replicas);
      return true;
    default:
      return false;  // the actions of other types (a cache's flush, a router's reshards)
  }
}

sim::Time Service::slowed(const Step& step, const Request& request) {
  return slow_.stretch(step.time.draw(rng_), static_cast<std::size_t>(request.instance));
}

void Service::crash(std::size_t replica) {
  if (pool_.down(replica)) return;
  pool_.set_down(replica, crashed_);
  if (sessions_) sessions_->crash(replica, now());
  // The calls of what it held are disowned: their callees now work for
  // nobody, which departures must check from here on.
  context_.callers_may_give_up = true;
  // Steps under way never end: their ends, posted in an earlier life of
  // the pool, find their requests gone on (WorkerPool::cut_short).
  // Everything the replica held fails at once: the requests with a worker,
  // then those in its queue, oldest first.
  for (Request* request : pool_.holders(replica)) {
    const Step& step = by_operation_[request->operation]->steps[request->step];
    if (step.kind == StepConfig::Kind::Compute) pool_.end_compute(now());
    request->disown_calls();
    request->failure = crashed_;
    leave(*request);
    reply(*request);
  }
  while (Request* request = pool_.take_waiting(replica, now())) {
    request->failure = crashed_;
    stats_.depart(now(), *request, context_.callers_may_give_up);
    reply(*request);
  }
  if (autoscaler_) autoscaler_->emptied(replica);
  // The replica's breakers and bulkheads went with it: the calls they
  // counted are disowned, and it comes back with fresh ones.
  for (auto& g : guards_) {
    if (g.breaker) g.breaker->reset(replica, now());
    if (g.bulkhead) g.bulkhead->reset(replica, now());
  }
}

void Service::on_reply(Request& call) {
  waits_[wait_of(call)].waited_ns += (now() - call.created).ns;
  if (guarded_) [[unlikely]] guarded_call_ended(call, static_cast<bool>(call.failure));
  Request& request = *call.parent;
  // The data the call brought back, too (a parallel step keeps the last reply's).
  request.take_reply_from(call);
  context_.requests.release(call);
  call_ended(request);
}

void Service::on_call_timeout(Request& call) {
  waits_[wait_of(call)].waited_ns += (now() - call.created).ns;
  if (guarded_) [[unlikely]] guarded_call_ended(call, true);
  Request& request = *call.parent;
  if (!request.failure) request.failure = timeout_;
  call_ended(request);
}

void Service::call_ended(Request& request) {
  assert(request.pending > 0);
  if (--request.pending > 0) return;
  if (request.failure) {
    finish(request);
    return;
  }
  // A cache's hit skips the steps meant for a miss.
  if (request.hit) [[unlikely]] {
    request.step += by_operation_[request.operation]->steps[request.step].skip_on_hit;
    request.hit = false;
  }
  ++request.step;
  run(request);
}

void Service::declare_retry_metrics() {
  // Per interval only: the summary has them per callee, in one object.
  const auto series_count = [this](const std::string& name, const char* unit, const std::string& meaning,
                                   const std::uint64_t* counter) {
    metrics_.count(name, unit, meaning, counter);
    metrics_.series_only();
  };
  bool any = false;
  for (auto& w : waits_) {
    if (!w.retried) continue;
    any = true;
    const std::string name = "retries." + w.target;
    series_count(name + ".calls", "calls", "Calls to " + w.target + " (first attempts)", &w.retries.calls);
    series_count(name + ".attempts", "attempts", "Attempts sent to " + w.target + ": first attempts and retries",
                 &w.retries.attempts);
    series_count(name + ".denied", "retries", "Retries to " + w.target + " the retry budget refused",
                 &w.retries.denied);
  }
  bool hedged = false;
  for (auto& w : waits_) {
    if (!w.hedged) continue;
    hedged = true;
    const std::string name = "hedges." + w.target;
    series_count(name + ".calls", "calls", "Hedged calls to " + w.target + " (first attempts)", &w.hedges.calls);
    series_count(name + ".hedges", "attempts", "Hedges sent to " + w.target + ": attempts after the first",
                 &w.hedges.hedges);
    series_count(name + ".won", "calls", "Calls to " + w.target + " answered first by a hedge", &w.hedges.won);
    series_count(name + ".losers", "attempts",
                 "Attempts to " + w.target + " still out when another answered: work for nobody", &w.hedges.losers);
  }
  if (hedged)
    metrics_.extra("hedges", [this](sim::Time, sim::Time) {
      Json out = Json::object();
      for (const auto& w : waits_)
        if (w.hedged) out[w.target] = hedge_figures(w.hedges, w.hedges_at_window, w.hedge->delay().to_ms());
      return out;
    });
  if (!any) return;
  // Per hop: the attempts per call to each component called with retries.
  metrics_.extra("retries", [this](sim::Time, sim::Time) {
    Json out = Json::object();
    for (const auto& w : waits_)
      if (w.retried) out[w.target] = retry_figures(w.retries, w.retries_at_window);
    return out;
  });
}

void Service::on_window_begin(sim::Time now) {
  pool_.on_window_begin(now);
  for (auto& g : guards_) {
    if (g.breaker) g.breaker->on_window_begin(now);
    if (g.bulkhead) g.bulkhead->on_window_begin(now);
  }
  for (auto& w : waits_) {
    w.at_window = w.waited_ns;
    w.retries_at_window = w.retries;
    w.hedges_at_window = w.hedges;
  }
}

void Service::check_invariants() const {
  Component::check_invariants();
  pool_.check_invariants();
  if (sessions_) sessions_->check_invariants();
  assert(stats_.busy.value() + stats_.queue.value() == stats_.in_system.value());
}

}  // namespace archsim::models

namespace archsim::models {

// Guarded calls: a bulkhead full, then a breaker open, refuse the call
// before it leaves (the bulkhead's refusal tells the breaker nothing of the
// callee); a call that goes takes its place in the bulkhead and carries its
// breaker's ticket. The ends of refused calls record nothing.

void Service::guarded_call(Dependency& dependency, std::size_t wait, Request& request) {
  Guard& g = guards_[wait];
  const auto replica = static_cast<std::size_t>(request.instance);
  std::uint32_t ticket = 0;
  Failure refusal{};
  if (g.bulkhead && g.bulkhead->full(replica)) refusal = bulkhead_full_;
  else if (g.breaker && !g.breaker->allow(replica, now(), ticket)) refusal = circuit_open_;
  if (refusal) {
    refuse_call(dependency, request, refusal).scratch = wait | kRefusedBit;
    return;
  }
  if (g.bulkhead) g.bulkhead->take(replica, now());
  call(dependency, request).scratch = wait | (static_cast<std::uint64_t>(ticket) << 32);
}

void Service::guarded_call_ended(const Request& call, bool failed) {
  if (call.scratch & kRefusedBit) return;
  Guard& g = guards_[wait_of(call)];
  const auto replica = static_cast<std::size_t>(call.parent->instance);
  if (g.bulkhead) g.bulkhead->give_back(replica, now());
  // A breaker opening has noticed the callee down: all of it, as a
  // breaker sees the component, not which of its replicas failed the calls.
  if (g.breaker && g.breaker->record(replica, static_cast<std::uint32_t>(call.scratch >> 32), failed, now())) [[unlikely]]
    context_.detections.detected(call.dependency->target(), -1, *this, now());
}

void Service::fail_at_once(Request& request) {
  // Turned away without a worker, as a full queue would.
  request.failure = error_;
  ++stats_.counters.rejected;
  reply(request);
}

void Service::drop(Request& request) {
  // Between steps nothing is under way: it leaves as if its handler had
  // failed, and its reply goes back to be dropped (or, to a caller that
  // still waits, fails its call).
  pool_.count_dropped();
  request.failure = pool_.abandoned();
  finish(request);
}

void Service::shed(Request& request) {
  stats_.depart(now(), request, context_.callers_may_give_up);
  reply(request);
}

}  // namespace archsim::models
