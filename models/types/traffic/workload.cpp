#include "models/types/traffic/workload.h"

#include <algorithm>
#include <cassert>
#include <cmath>

namespace archsim::models {

using spec::Json;
using spec::Spec;

spec::NodeRef workload_spec() {
  static const spec::NodeRef node = [] {
    Spec rate = Spec::number("Mean arrival rate").unit("qps").greater_than(0).max(kMaxRateQps);
    Spec poisson = Spec::object("Open loop: a Poisson process (independent arrivals, exponential gaps)");
    poisson.required("rate_qps", rate);
    Spec constant = Spec::object("Open loop: one request every 1 / rate_qps seconds exactly");
    constant.required("rate_qps", rate);

    Spec point = Spec::object("The rate from a time on");
    point.required("at_s", Spec::number("Time the rate applies from").unit("s").min(0).max(sim::kMaxTimeSeconds))
        .required("rate_qps", Spec::number("Arrival rate").unit("qps").min(0).max(kMaxRateQps));
    Spec schedule = Spec::object("Open loop: a Poisson process whose rate follows a schedule (ramps, spikes, daily curves)");
    schedule.required("points", Spec::array("Rates over time; the first at 0 s, times increasing", point).items(1, 100000))
        .optional("interpolation",
                  Spec::enumeration("step holds each rate until the next point; linear ramps between points",
                                    {"step", "linear"})
                      .default_value("step"))
        .optional("period_s", Spec::number("Repeat the schedule with this period (for example 86400 for a day); "
                                           "without it the last rate holds")
                                  .unit("s")
                                  .greater_than(0)
                                  .max(sim::kMaxTimeSeconds));
    schedule.check([](const Json& v, const spec::Path& path, spec::Errors& errors) {
      const auto& points = v["points"];
      if (points[0]["at_s"].get<double>() != 0)
        errors.add((path / "points")[0] / "at_s", "the first point must be at 0 s, got " + spec::format_number(points[0]["at_s"].get<double>()));
      for (std::size_t i = 1; i < points.size(); ++i)
        if (points[i]["at_s"].get<double>() <= points[i - 1]["at_s"].get<double>())
          errors.add((path / "points")[i] / "at_s", "must be later than the point before (" +
                                                        spec::format_number(points[i - 1]["at_s"].get<double>()) + " s), got " +
                                                        spec::format_number(points[i]["at_s"].get<double>()));
      if (v.contains("period_s") && v["period_s"].get<double>() <= points.back()["at_s"].get<double>())
        errors.add(path / "period_s", "must be longer than the last point's at_s (" +
                                          spec::format_number(points.back()["at_s"].get<double>()) + " s)");
    });

    Spec closed = Spec::object("Closed loop: a fixed number of users, each waiting for its reply and thinking before the next request");
    closed.required("users", Spec::integer("Users sending requests").min(1).max(10'000'000))
        .required("think_time", time_distribution_spec());

    Spec arrival = Spec::variant("How requests arrive", "type");
    arrival.named("arrival")
        .alternative("poisson", poisson)
        .alternative("constant", constant)
        .alternative("schedule", schedule)
        .alternative("closed", closed);

    Spec operation = Spec::object("An operation and its share of the requests");
    operation.required("name", Spec::string("Name of the operation; handlers are chosen by it").max_length(100))
        .optional("weight", Spec::number("Relative share of requests").greater_than(0).max(1e12).default_value(1))
        .optional("access", Spec::enumeration("What its requests do to the data of their keys", {"read", "write", "delete"})
                                .default_value("read"));
    add_payload_fields(operation);

    using Config = WorkloadConfig;
    Spec workload = Spec::object("Clients sending requests to a component");
    workload.required("name", Spec::string("Unique name of the workload").max_length(100))
        .to(&Config::name)
        .required("target", Spec::reference("The component the requests are sent to", "callable").calls())
        .to(&Config::target)
        .required("arrival", arrival)
        .store<Config>([](const Json& a, Config& c) {
          const std::string type = a.at("type").get<std::string>();
          if (type == "poisson" || type == "constant") {
            c.process = type == "poisson" ? Config::Process::Poisson : Config::Process::Constant;
            c.rate_qps = a.at("rate_qps").get<double>();
          } else if (type == "schedule") {
            c.process = Config::Process::Schedule;
            for (const auto& p : a.at("points")) c.points.push_back({p["at_s"].get<double>(), p["rate_qps"].get<double>()});
            c.linear = a.at("interpolation") == "linear";
            c.period_s = a.value("period_s", 0.0);
          } else {
            c.process = Config::Process::Closed;
            c.users = a.at("users").get<std::int64_t>();
            c.think_time = Delay(make_time_distribution(a.at("think_time")));
          }
        })
        .optional("operations", Spec::array("The mix of operations", operation).items(1, 1000),
                  Json::array({Json{{"name", "request"}, {"weight", 1}, {"access", "read"}}}))
        .store<Config>([](const Json& ops, Config& c) {
          for (const auto& op : ops)
            c.operations.push_back({op["name"].get<std::string>(), op["weight"].get<double>(), read_access(op["access"]),
                                    read_payload_field(op, "request_bytes"), read_payload_field(op, "reply_bytes")});
        })
        .optional("users", population_spec("users", kDefaultUsers))
        .to(&Config::user_ids)
        .optional("keys", population_spec("keys", kDefaultKeys), default_population(kDefaultKeys))
        .to(&Config::keys)
        .optional("timeout_ms", Spec::number("The client gives up waiting after this long (failure timeout)")
                                    .unit("ms")
                                    .greater_than(0)
                                    .max(kMaxMilliseconds))
        .to(&Config::timeout_ms)
        .optional("retry", retry_spec())
        .store<Config>([](const Json& v, Config& c) { c.retry = read_retry(v); });
    workload.check([](const Json& v, const spec::Path& path, spec::Errors& errors) {
      const auto& ops = v["operations"];
      for (std::size_t i = 0; i < ops.size(); ++i)
        for (std::size_t j = 0; j < i; ++j)
          if (ops[i]["name"] == ops[j]["name"])
            errors.add((path / "operations")[i] / "name", "operation " + ops[i]["name"].dump() + " is listed twice");
      // A write retried after a timeout may be applied twice: allowed, but said.
      if (v.contains("retry"))
        for (std::size_t i = 0; i < ops.size(); ++i)
          if (ops[i]["access"] != "read")
            errors.warn(path / "retry", "retries the " + ops[i]["access"].get<std::string>() + " operation " +
                                            ops[i]["name"].dump() + ", which an attempt that timed out may already "
                                            "have applied: make sure the callee treats it as idempotent");
      if (v["arrival"]["type"] == "closed" && v.contains("users"))
        errors.add(path / "users", "a closed-loop workload's users are arrival.users, each its own user_id; "
                                   "remove users, or use an open-loop arrival");
    });
    return workload.build();
  }();
  return node;
}

WorkloadConfig read_workload_config(const Json& config) {
  WorkloadConfig c = spec::read<WorkloadConfig>(config, *workload_spec(), "");
  if (!config.contains("users")) c.user_ids = Population(default_population(kDefaultUsers));
  return c;
}

Workload::Workload(WorkloadConfig config, std::uint32_t workload_index, Context& context, Recorder& recorder)
    : Node(config.name, context),
      workload_index_(workload_index),
      recorder_(recorder),
      target_(DependencyConfig{.target = config.target, .operation = "", .timeout_ms = config.timeout_ms, .retry = config.retry}),
      process_(config.process),
      rate_qps_(config.rate_qps),
      mean_gap_s_(config.rate_qps > 0 ? 1.0 / config.rate_qps : 0),
      points_(std::move(config.points)),
      linear_(config.linear),
      period_s_(config.period_s),
      concurrency_(config.users),
      think_time_(std::move(config.think_time)),
      users_(std::move(config.user_ids)),
      keys_(std::move(config.keys)),
      timeout_(context.failures.intern("timeout")),
      rng_(context.streams.for_component(name_)) {
  context.key_space = std::max(context.key_space, keys_.count());
  double total = 0;
  for (const auto& op : config.operations) {
    operation_names_.push_back(op.name);
    accesses_.push_back(op.access);
    total += op.weight;
    cumulative_weight_.push_back(total);
  }
  // Each operation's sizes from a stream of its own, so declaring them
  // leaves every other draw as it was.
  if (std::any_of(config.operations.begin(), config.operations.end(),
                  [](const auto& op) { return op.request_bytes || op.reply_bytes; }))
    for (const auto& op : config.operations)
      sizes_.emplace_back(op.request_bytes, op.reply_bytes,
                          context.streams.for_component("sizes:" + name_ + ":" + op.name));
}

void Workload::connect(Wiring& wiring) {
  target_.connect(*this, wiring);
  for (const auto& name : operation_names_) operations_.push_back(wiring.operation(name));
}

void Workload::on_window_begin() {
  if (target_.retry() != nullptr) retries_at_window_ = target_.retry()->counters();
}

spec::Json Workload::retry_summary() const {
  if (target_.retry() == nullptr) return nullptr;
  Json out = retry_figures(target_.retry()->counters(), retries_at_window_);
  out["target"] = target_.target_name();
  return out;
}

void Workload::start() {
  if (process_ == Process::Closed) {
    // Each user starts after one think time, so they do not all send at once.
    for (std::int64_t u = 0; u < concurrency_; ++u)
      context_.engine.post_in(think_time_.draw(rng_), sim::Phase::Arrival, this, kArrival,
                                  static_cast<std::uint64_t>(u));
    return;
  }
  const sim::Time first = next_arrival(sim::Time::zero());
  if (first < sim::Time::max()) context_.engine.post(first, sim::Phase::Arrival, this, kArrival, 0);
}

void Workload::on_timer(std::uint32_t kind, std::uint64_t data) {
  if (kind == kArrival) {
    if (process_ == Process::Closed) {
      send_request(data);
      return;
    }
    send_request(users_.draw(rng_));
    const sim::Time next = next_arrival(now());
    if (next < context_.end) context_.engine.post(next, sim::Phase::Arrival, this, kArrival, 0);
    return;
  }
  assert(false && "unexpected timer");
}

void Workload::on_call_timeout(Request& request) {
  recorder_.failed(request.client_operation, workload_index_, timeout_);
  if (process_ == Process::Closed)
    context_.engine.post_in(think_time_.draw(rng_), sim::Phase::Arrival, this, kArrival, request.scratch);
}

void Workload::send_request(std::uint64_t user) {
  Request& request = new_request();
  request.created = now();
  request.scratch = user;
  request.user_id = user;  // a closed-loop user is its own index
  request.key = keys_.draw(rng_);
  std::size_t op = 0;
  if (cumulative_weight_.size() > 1) {
    const double u = rng_.uniform() * cumulative_weight_.back();
    while (op + 1 < cumulative_weight_.size() && u >= cumulative_weight_[op]) ++op;
  }
  request.operation = operations_[op];
  request.access = accesses_[op];
  request.client_operation = request.operation;
  if (!sizes_.empty()) [[unlikely]] sizes_[op].draw(request);
  recorder_.offered(request.operation, workload_index_);
  dispatch(target_, request);
}

void Workload::on_request(Request&) { assert(false && "a workload receives no requests"); }

void Workload::on_reply(Request& request) {
  if (!request.failure)
    recorder_.succeeded(request.client_operation, workload_index_, now() - request.created);
  else
    recorder_.failed(request.client_operation, workload_index_, request.failure);
  const std::uint64_t user = request.scratch;
  context_.requests.release(request);
  if (process_ == Process::Closed)
    context_.engine.post_in(think_time_.draw(rng_), sim::Phase::Arrival, this, kArrival, user);
}

double Workload::schedule_rate(double t, std::size_t& segment) const {
  while (segment + 1 < points_.size() && points_[segment + 1].at_s <= t) ++segment;
  const Point& a = points_[segment];
  if (!linear_ || segment + 1 == points_.size()) return a.rate_qps;
  const Point& b = points_[segment + 1];
  return a.rate_qps + (b.rate_qps - a.rate_qps) * (t - a.at_s) / (b.at_s - a.at_s);
}

sim::Time Workload::next_arrival(sim::Time from) {
  switch (process_) {
    case Process::Poisson:
      return from + sim::Time::from_s(sim::standard_exponential(rng_) * mean_gap_s_);
    case Process::Constant:
      return from + sim::Time::from_s(mean_gap_s_);
    case Process::Closed:
      return sim::Time::max();
    case Process::Schedule:
      break;
  }
  // Inversion of the cumulative rate: the next arrival is where the integral
  // of the rate from `from` reaches a unit exponential draw. The rate is
  // piecewise constant or piecewise linear, so each piece is solved exactly.
  double need = sim::standard_exponential(rng_);
  const double end_s = context_.end.to_s();
  double t = from.to_s();
  double offset = 0;  // start of the current period
  if (period_s_ > 0) {
    offset = std::floor(t / period_s_) * period_s_;
    t -= offset;
  }
  std::size_t segment = 0;
  while (offset + t < end_s) {
    const double r0 = schedule_rate(t, segment);
    const bool last = segment + 1 == points_.size();
    const double piece_end = last ? (period_s_ > 0 ? period_s_ : end_s - offset + 1) : points_[segment + 1].at_s;
    const double width = piece_end - t;
    const double r1 = (linear_ && !last) ? points_[segment + 1].rate_qps : r0;
    const double slope = width > 0 ? (r1 - r0) / width : 0;
    const double area = (r0 + r1) / 2 * width;
    if (area >= need) {
      double dt;
      if (slope == 0) {
        dt = need / r0;
      } else {
        // r0 dt + slope dt^2 / 2 = need, the root within the piece.
        const double disc = r0 * r0 + 2 * slope * need;
        dt = 2 * need / (r0 + std::sqrt(std::max(0.0, disc)));
      }
      return sim::Time::from_s(offset + t + dt);
    }
    need -= area;
    t = piece_end;
    if (last && period_s_ > 0) {
      offset += period_s_;
      t = 0;
      segment = 0;
    } else if (last) {
      break;
    }
  }
  return sim::Time::max();
}

}  // namespace archsim::models
