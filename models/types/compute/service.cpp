#include "models/types/compute/service.h"

#include <cassert>

namespace archsim::models {

using spec::Json;
using spec::Spec;

spec::NodeRef service_spec() {
  static const spec::NodeRef node = [] {
    Spec call = Spec::object("Call a component and wait for its reply; the worker stays held meanwhile");
    call.required("call", Spec::reference("The component called", "component").calls())
        .optional("operation", Spec::string("Operation asked of it; by default the request's own"));
    Spec forward = Spec::object("Pass the request on and free the worker; the component forwarded to replies to the caller");
    forward.required("forward", Spec::reference("The component that takes the request over", "component").calls())
        .optional("operation", Spec::string("Operation asked of it; by default the request's own"));
    Spec step = Spec::variant("A step of a handler", "");
    step.named("step")
        .alternative("compute", time_distribution_spec())
        .alternative("call", call)
        .alternative("parallel", Spec::array("Calls made at once; the step ends when all have replied", call).items(1, 1000))
        .alternative("forward", forward);
    Spec steps = Spec::array("Steps run in order by a worker", step).items(1, 1000);
    steps.check([](const Json& value, const spec::Path& path, spec::Errors& errors) {
      for (std::size_t i = 0; i + 1 < value.size(); ++i)
        if (value[i].contains("forward")) errors.add(path[i], "forward must be the last step: the worker is gone after it");
    });

    Spec service = Spec::object("A pool of replicas, each with workers and a bounded FIFO queue");
    service.required("name", Spec::string("Unique name of the component").max_length(100))
        .optional("replicas", Spec::integer("Identical instances of the service").min(1).max(10000).default_value(1))
        .optional("workers", Spec::integer("Requests each replica serves at once (threads, processes)").min(1).max(100000).default_value(1))
        .optional("queue_capacity",
                  Spec::integer("Requests each replica holds waiting for a worker; one more is rejected (queue_full)")
                      .unit("requests")
                      .min(0)
                      .max(10'000'000)
                      .default_value(100000))
        .optional("service_time", time_distribution_spec())
        .optional("handlers", Spec::map("Handler of each operation: the steps a worker runs", steps).keys_reference("operation").items(0, 1000));
    service.check([](const Json& value, const spec::Path& path, spec::Errors& errors) {
      if (!value.contains("service_time") && !value.contains("handlers"))
        errors.add(path, "needs service_time, handlers, or both: a service must know what to do with a request");
    });
    return service.build();
  }();
  return node;
}

Service::Handler Service::parse_handler(const Json& steps) {
  Handler h;
  for (const auto& s : steps) {
    Step step;
    if (s.contains("compute")) {
      step.kind = Step::Kind::Compute;
      step.time = Delay(make_time_distribution(s["compute"]));
    } else {
      const bool parallel = s.contains("parallel");
      const Json calls = parallel ? s["parallel"] : Json::array({s});
      step.kind = parallel ? Step::Kind::Parallel : s.contains("call") ? Step::Kind::Call : Step::Kind::Forward;
      for (const auto& c : calls) {
        Target t;
        t.name = c.contains("call") ? c["call"].get<std::string>() : c["forward"].get<std::string>();
        t.operation_name = c.value("operation", "");
        step.targets.push_back(std::move(t));
      }
    }
    h.steps.push_back(std::move(step));
  }
  return h;
}

Service::Service(const Json& config, std::uint32_t index, Context& context)
    : Component(config.at("name").get<std::string>(), index, context),
      workers_(config.at("workers").get<std::int64_t>()),
      queue_capacity_(config.at("queue_capacity").get<std::int64_t>()),
      replicas_(static_cast<std::size_t>(config.at("replicas").get<std::int64_t>())),
      per_replica_(replicas_.size() > 1),
      rng_(context.streams.for_component(name_)) {
  if (config.contains("handlers"))
    for (const auto& [operation, steps] : config["handlers"].items()) {
      handlers_.push_back(parse_handler(steps));
      handler_names_.push_back(operation);
    }
  if (config.contains("service_time")) {
    handlers_.push_back(parse_handler(Json::array({Json{{"compute", config["service_time"]}}})));
    handler_names_.push_back("");
  }
}

void Service::connect(Wiring& wiring) {
  by_operation_.assign(context_.operations.size(), nullptr);
  for (std::size_t i = 0; i < handlers_.size(); ++i) {
    if (handler_names_[i].empty()) {
      for (auto& h : by_operation_)
        if (h == nullptr) h = &handlers_[i];
    } else {
      by_operation_[wiring.operation(handler_names_[i])] = &handlers_[i];
    }
    for (auto& step : handlers_[i].steps) {
      if (step.kind == Step::Kind::Compute && step.time.is_constant())
        step.channel = context_.engine.channel(step.time.fixed(), sim::Phase::Departure);
      for (auto& t : step.targets) {
        t.link = &wiring.link(*this, wiring.node(t.name));
        if (!t.operation_name.empty()) t.operation = wiring.operation(t.operation_name);
      }
    }
  }
  // The default handler fills the operations without their own; it was
  // pushed last, so the loop above ran it after every named one.
}

void Service::on_request(Request& request) {
  ++stats_.counters.arrivals;
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
  if (replica.busy < workers_) {
    admit(request, replica);
    begin(request, replica);
  } else if (static_cast<std::int64_t>(replica.queue.size()) < queue_capacity_) {
    admit(request, replica);
    replica.queue.push_back(&request);
    stats_.queue.add(now(), +1);
  } else {
    ++stats_.counters.rejected;
    request.failure = Failure::QueueFull;
    reply(request);
  }
}

void Service::admit(Request& request, Replica&) {
  request.arrived = now();
  stats_.in_system.add(now(), +1);
}

void Service::begin(Request& request, Replica& replica) {
  ++replica.busy;
  if (per_replica_) replica.busy_time.set(now(), replica.busy);
  stats_.busy.add(now(), +1);
  const sim::Time waited = now() - request.arrived;
  ++stats_.counters.started;
  if (waited.ns > 0) ++stats_.counters.waited;
  stats_.counters.wait_ns += waited.ns;
  stats_.wait.record(waited.ns);
  request.step = 0;
  run(request);
}

void Service::run(Request& request) {
  const Handler& handler = *by_operation_[request.operation];
  if (request.step >= handler.steps.size()) {
    finish(request);
    return;
  }
  const Step& step = handler.steps[request.step];
  switch (step.kind) {
    case Step::Kind::Compute:
      stats_.computing.add(now(), +1);
      if (step.channel >= 0)
        context_.engine.post_on(step.channel, this, kComputeDone, reinterpret_cast<std::uint64_t>(&request));
      else
        context_.engine.post_in(step.time.draw(rng_), sim::Phase::Departure, this, kComputeDone,
                                    reinterpret_cast<std::uint64_t>(&request));
      return;
    case Step::Kind::Call:
    case Step::Kind::Parallel:
      request.pending = static_cast<std::uint16_t>(step.targets.size());
      for (const Target& t : step.targets) send(make_call(request, *t.link, call_operation(t, request)), *t.link);
      return;
    case Step::Kind::Forward: {
      const Target& t = step.targets.front();
      request.operation = call_operation(t, request);
      Replica& replica = leave(request);
      // The next component replies to the caller over the caller's link.
      request.instance = -1;
      send(request, *t.link);
      serve_next(replica);
      return;
    }
  }
}

Service::Replica& Service::leave(Request& request) {
  Replica& replica = replicas_[static_cast<std::size_t>(request.instance)];
  --replica.busy;
  if (per_replica_) replica.busy_time.set(now(), replica.busy);
  ++replica.completed;
  stats_.busy.add(now(), -1);
  stats_.depart(now(), request);
  return replica;
}

void Service::serve_next(Replica& replica) {
  if (replica.queue.empty()) return;
  Request& next = *replica.queue.pop_front();
  stats_.queue.add(now(), -1);
  begin(next, replica);
}

void Service::finish(Request& request) {
  Replica& replica = leave(request);
  reply(request);
  serve_next(replica);
}

void Service::on_timer(std::uint32_t kind, std::uint64_t data) {
  assert(kind == kComputeDone);
  (void)kind;
  Request& request = *reinterpret_cast<Request*>(data);
  stats_.computing.add(now(), -1);
  ++request.step;
  run(request);
}

void Service::on_reply(Request& call) {
  Request& request = *call.parent;
  request.take_failure_from(call);
  context_.requests.release(call);
  assert(request.pending > 0);
  if (--request.pending > 0) return;
  if (request.failure != Failure::None) {
    finish(request);
    return;
  }
  ++request.step;
  run(request);
}

void Service::on_window_begin(sim::Time now) {
  for (auto& r : replicas_) {
    r.window_busy = per_replica_ ? r.busy_time.integral(now) : stats_.busy.integral(now);
    r.window_completed = r.completed;
  }
}

Json Service::extra_results(sim::Time now) const {
  Json out = Json::object();
  out["replicas"] = replicas_.size();
  out["workers"] = workers_;
  out["queue_capacity"] = queue_capacity_;
  Json instances = Json::array();
  const sim::Time start = window_start().at;
  const double seconds = (now - start).to_s();
  for (const auto& r : replicas_) {
    Json i = Json::object();
    i["throughput_qps"] = seconds > 0 ? static_cast<double>(r.completed - r.window_completed) / seconds : 0.0;
    const __int128 busy = per_replica_ ? r.busy_time.integral(now) : stats_.busy.integral(now);
    i["utilization"] = sim::window_mean(r.window_busy, busy, start, now) / static_cast<double>(workers_);
    instances.push_back(i);
  }
  out["instances"] = instances;
  return out;
}

void Service::check_invariants() const {
  Component::check_invariants();
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
  assert(busy + queued == stats_.in_system.value());
  (void)busy;
  (void)queued;
}

}  // namespace archsim::models
