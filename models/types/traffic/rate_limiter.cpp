#include "models/types/traffic/rate_limiter.h"

#include <algorithm>
#include <cassert>

namespace archsim::models {

using spec::Json;
using spec::Spec;

namespace {

const std::vector<std::string> kKeys = {"global", "user_id", "client"};

// The log keeps `limit` times per key: a bound on its memory (80 MB).
constexpr double kMaxLogEntries = 1e7;

// Which parameters each algorithm takes, in the order of the algorithms.
struct Parameters {
  std::vector<std::string> needs;
};
const std::vector<Parameters>& parameters() {
  static const std::vector<Parameters> p = {
      {{"rate_qps", "burst"}},
      {{"rate_qps", "queue_capacity"}},
      {{"limit", "window_ms"}},
      {{"limit", "window_ms"}},
      {{"limit", "window_ms"}},
  };
  return p;
}
const std::vector<std::string> kAlgorithmParameters = {"rate_qps", "burst", "queue_capacity", "limit", "window_ms"};

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) out += (i == 0 ? "" : i + 1 == names.size() ? " and " : ", ") + names[i];
  return out;
}

}  // namespace

spec::NodeRef rate_limiter_spec() {
  using Config = RateLimiterConfig;
  static const spec::NodeRef node = [] {
    Spec limiter = Spec::object(
        "Admits or refuses each request by a rate-limiting algorithm, globally or per key; refused requests fail "
        "with rate_limited (HTTP 429)");
    limiter.required("name", Spec::string("Unique name of the component").max_length(100))
        .to(&Config::name)
        .optional("backend", Spec::reference("The component admitted requests go on to, whose replies are relayed; "
                                             "without one the limiter answers admitted requests itself (a decision "
                                             "for a service's call step)",
                                             "callable")
                                 .calls())
        .to(&Config::backend)
        .required("algorithm", Spec::enumeration("How requests are counted against the limit", rate_limit_algorithms()))
        .store<Config>([](const Json& v, Config& c) {
          const auto& names = rate_limit_algorithms();
          c.limit.algorithm = static_cast<RateLimitConfig::Algorithm>(
              std::find(names.begin(), names.end(), v.get<std::string>()) - names.begin());
        })
        .optional("rate_qps", Spec::number("Tokens added per second (token_bucket); requests leaving the queue per "
                                           "second (leaky_bucket)")
                                  .unit("requests/s")
                                  .greater_than(0)
                                  .max(1e9))
        .store<Config>([](const Json& v, Config& c) { c.limit.rate_qps = v.get<double>(); })
        .optional("burst", Spec::integer("Tokens the bucket holds: the most requests admitted at one instant "
                                         "(token_bucket)")
                               .min(1)
                               .max(1e9))
        .store<Config>([](const Json& v, Config& c) { c.limit.burst = v.get<std::int64_t>(); })
        .optional("queue_capacity", Spec::integer("Requests the bucket's queue holds; one arriving to a full queue is "
                                                  "refused (leaky_bucket)")
                                        .min(1)
                                        .max(1e6))
        .store<Config>([](const Json& v, Config& c) { c.limit.queue_capacity = v.get<std::int64_t>(); })
        .optional("limit", Spec::integer("Requests admitted per window (fixed_window, sliding_log, sliding_window)")
                               .min(1)
                               .max(1e9))
        .store<Config>([](const Json& v, Config& c) { c.limit.limit = v.get<std::int64_t>(); })
        .optional("window_ms", Spec::number("Length of the window (fixed_window, sliding_log, sliding_window)")
                                   .unit("ms")
                                   .greater_than(0)
                                   .max(1e12))
        .store<Config>([](const Json& v, Config& c) { c.limit.window_ms = v.get<double>(); })
        .optional("key", Spec::enumeration("What the limit applies to: all requests together (global), each user "
                                           "id, or each client (the workload a request came from)",
                                           kKeys)
                             .default_value("global"))
        .to(&Config::key)
        .optional("max_keys", Spec::integer("Keys whose state is kept at once (user_id, client); past it, a new key "
                                            "takes the slot of the key seen least recently, which starts afresh "
                                            "(default 10000)")
                                  .min(1)
                                  .max(1e6))
        .to(&Config::max_keys)
        .optional("counter_store", Spec::reference("A cache holding the counters, as shared by a fleet of limiters: "
                                                   "each decision is a round trip to it",
                                                   "cache")
                                       .calls())
        .to(&Config::counter_store);
    limiter.check([](const Json& v, const spec::Path& path, spec::Errors& errors) {
      const std::string algorithm = v["algorithm"].get<std::string>();
      const auto& names = rate_limit_algorithms();
      const auto index = static_cast<std::size_t>(std::find(names.begin(), names.end(), algorithm) - names.begin());
      const std::vector<std::string>& needs = parameters()[index].needs;
      std::vector<std::string> missing;
      for (const auto& p : needs)
        if (!v.contains(p)) missing.push_back(p);
      if (!missing.empty())
        errors.add(path, algorithm + " needs " + joined(needs) + "; missing " + joined(missing));
      for (const auto& p : kAlgorithmParameters)
        if (v.contains(p) && std::find(needs.begin(), needs.end(), p) == needs.end())
          errors.add(path / p, "is not used by algorithm " + algorithm + ", which takes " + joined(needs));
      if (v.contains("rate_qps") && v["rate_qps"].get<double>() < 1e-9)
        errors.add(path / "rate_qps", "must be at least 1e-9 (one request in 32 years), got " +
                                          spec::format_number(v["rate_qps"].get<double>()));
      if (v.contains("window_ms") && sim::Time::from_ms(v["window_ms"].get<double>()).ns < 1)
        errors.add(path / "window_ms", "must be at least a nanosecond (1e-6 ms), got " +
                                           spec::format_number(v["window_ms"].get<double>()));
      const bool keyed = v["key"].get<std::string>() != "global";
      if (v.contains("max_keys") && !keyed)
        errors.add(path / "max_keys", "is only used with key user_id or client, but the key is global");
      if (algorithm == "sliding_log" && v.contains("limit")) {
        const double keys = keyed ? v.value("max_keys", 10000.0) : 1.0;
        const double entries = keys * v["limit"].get<double>();
        if (entries > kMaxLogEntries)
          errors.add(path / "limit", "the log keeps limit entries for each of " + spec::format_number(keys) +
                                         " keys: " + spec::format_number(entries) + " entries, more than " +
                                         spec::format_number(kMaxLogEntries) +
                                         "; lower limit or max_keys, or use sliding_window");
      }
    });
    return limiter.build();
  }();
  return node;
}

ComponentType rate_limiter_type() {
  ComponentType t;
  t.name = "rate_limiter";
  t.summary = "Admits or refuses requests by a rate-limiting algorithm (token or leaky bucket, fixed or sliding "
              "window), globally or per key, in front of a component or for a call step";
  t.spec = rate_limiter_spec();
  t.capabilities = {capability::kCallable};
  t.route = [](const Json& config, const std::string& operation, std::vector<Outflow>& out) {
    if (config.contains("counter_store")) out.push_back({config["counter_store"].get<std::string>(), operation});
    if (config.contains("backend")) out.push_back({config["backend"].get<std::string>(), operation});
    return true;
  };
  t.make = factory<RateLimiter, RateLimiterConfig>(rate_limiter_spec);
  return t;
}

RateLimiter::RateLimiter(RateLimiterConfig config, Context& context)
    : Component(config.name, context),
      key_kind_(config.key),
      algorithm_name_(rate_limit_algorithms()[static_cast<std::size_t>(config.limit.algorithm)]) {
  const bool keyed = key_kind_ != RateLimiterConfig::Key::Global;
  const auto slots = keyed ? static_cast<std::size_t>(config.max_keys) : std::size_t{1};
  limit_ = make_rate_limit(config.limit, slots);
  if (keyed) keys_.emplace(slots);
  if (!config.backend.empty()) backend_.emplace(DependencyConfig{config.backend, "", std::nullopt});
  if (!config.counter_store.empty())
    store_.emplace(DependencyConfig{config.counter_store, "", std::nullopt, Access::Write});
  rate_limited_ = context.failures.intern("rate_limited");
  if (key_kind_ == RateLimiterConfig::Key::Client) {
    clients_.reserve(64);
    refused_by_client_.reserve(64);
  }

  metrics_.extra("algorithm", [this](sim::Time, sim::Time) { return Json(algorithm_name_); });
  metrics_.extra("key", [this](sim::Time, sim::Time) { return Json(kKeys[static_cast<std::size_t>(key_kind_)]); });
  metrics_.count("admitted", "requests", "Requests the limit let through", &admitted_);
  metrics_.count("rate_limited", "requests", "Requests the limit refused (failure rate_limited, HTTP 429)", &refused_);
  metrics_.ratio("rate_limited_fraction", "fraction", "Of the requests decided, those refused", &refused_, &decisions_);
  if (keyed) {
    metrics_.extra("keys_tracked", [this](sim::Time, sim::Time) { return Json(keys_->tracked()); });
    metrics_.count("keys_evicted", "keys",
                   "Keys whose state was dropped to make room for a new key (max_keys reached)", &evictions_);
  }
  if (key_kind_ == RateLimiterConfig::Key::Client)
    metrics_.extra("rate_limited_by_client", [this](sim::Time, sim::Time) {
      // By client name, so the order is the names'.
      std::vector<std::pair<std::string, std::uint64_t>> rows;
      for (std::size_t i = 0; i < clients_.size(); ++i) {
        const std::uint64_t before = i < window_refused_by_client_.size() ? window_refused_by_client_[i] : 0;
        rows.emplace_back(clients_[i] != nullptr ? clients_[i]->name() : "(gone)", refused_by_client_[i] - before);
      }
      std::sort(rows.begin(), rows.end());
      Json out = Json::object();
      for (const auto& [name, n] : rows) out[name] = n;
      return out;
    });
  if (store_) {
    metrics_.extra("counter_store", [this](sim::Time, sim::Time) { return Json(store_->target_name()); });
    metrics_.count("store_calls", "requests", "Calls to the counter store, one per decision", &store_calls_);
    metrics_.count("store_failures", "requests",
                   "Store calls that failed; their requests were let through without a decision (fail open)",
                   &store_failures_);
  }
}

void RateLimiter::connect(Wiring& wiring) {
  if (backend_) backend_->connect(*this, wiring);
  if (store_) store_->connect(*this, wiring);
}

std::uint64_t RateLimiter::key_of(const Request& request) {
  switch (key_kind_) {
    case RateLimiterConfig::Key::Global:
      return 0;
    case RateLimiterConfig::Key::UserId:
      return request.user_id;
    case RateLimiterConfig::Key::Client: {
      // A client's request is the call with no parent; its reply goes to
      // its workload. A parent gone back to the pool (its client gave up)
      // leaves the client unknown: null.
      const Request* r = &request;
      const Node* client = nullptr;
      for (;;) {
        if (r->parent == nullptr) {
          client = r->reply_to;
          break;
        }
        if (r->parent->generation != r->parent_generation) break;
        r = r->parent;
      }
      for (std::size_t i = 0; i < clients_.size(); ++i)
        if (clients_[i] == client) return i;
      // A client first seen: one per workload at most, and the gone.
      clients_.push_back(client);
      refused_by_client_.push_back(0);
      return clients_.size() - 1;
    }
  }
  return 0;
}

void RateLimiter::on_request(Request& request) {
  ++stats_.counters.arrivals;
  request.arrived = now();
  if (!store_) {
    decide(request);
    return;
  }
  // Inside while its counter is read and written at the store.
  stats_.in_system.add(now(), +1);
  ++store_calls_;
  Request& c = new_request();
  c.parent = &request;
  c.parent_generation = request.generation;
  c.created = now();
  c.user_id = request.user_id;
  c.key = key_of(request);
  c.operation = store_->operation(request);
  c.access = Access::Write;
  c.version = 0;
  c.scratch = kStoreCall;
  dispatch(*store_, c);
}

void RateLimiter::decide(Request& request) {
  const std::uint64_t key = key_of(request);
  std::size_t slot = 0;
  if (keys_) {
    const KeyTable::Found found = keys_->find(key);
    if (found.fresh) limit_->forget(found.slot);
    slot = found.slot;
    evictions_ = keys_->evictions();
  }
  ++decisions_;
  const sim::Time leave_at = limit_->decide(slot, now());
  if (leave_at == RateLimit::kRefused) {
    ++refused_;
    if (key_kind_ == RateLimiterConfig::Key::Client) ++refused_by_client_[key];
    request.failure = rate_limited_;
    if (store_) {
      stats_.depart(now(), request, context_.callers_may_give_up);  // it was inside for the store's answer
    } else {
      ++stats_.counters.rejected;  // turned away without being taken in
    }
    reply(request);
    return;
  }
  ++admitted_;
  if (!store_) stats_.in_system.add(now(), +1);
  // Its wait is known now: the time until its turn to leave (0 but in a
  // leaky bucket's queue), counted from the decision, after any store call.
  ++stats_.counters.started;
  const sim::Time wait = leave_at - now();
  stats_.counters.wait_ns += wait.ns;
  stats_.wait.record(wait.ns);
  if (leave_at == now()) {
    pass(request);
    return;
  }
  // In the leaky bucket's queue until its turn.
  ++stats_.counters.waited;
  stats_.queue.add(now(), +1);
  context_.engine.post(leave_at, sim::Phase::Departure, this, kLeave, reinterpret_cast<std::uint64_t>(&request));
}

void RateLimiter::on_timer(std::uint32_t kind, std::uint64_t data) {
  assert(kind == kLeave);
  (void)kind;
  leave(*reinterpret_cast<Request*>(data));
}

void RateLimiter::leave(Request& request) {
  stats_.queue.add(now(), -1);
  pass(request);
}

void RateLimiter::pass(Request& request) {
  if (backend_) {
    call(*backend_, request).scratch = kBackendCall;
    return;
  }
  stats_.depart(now(), request, context_.callers_may_give_up);
  reply(request);
}

void RateLimiter::on_reply(Request& call) {
  Request& request = *call.parent;
  if (call.scratch == kStoreCall) {
    const bool failed = static_cast<bool>(call.failure);
    context_.requests.release(call);
    if (!failed) {
      decide(request);
      return;
    }
    // Fail open: without its counter the limiter lets the request through.
    ++store_failures_;
    ++admitted_;
    ++stats_.counters.started;
    stats_.wait.record(0);
    pass(request);
    return;
  }
  request.take_reply_from(call);
  context_.requests.release(call);
  stats_.depart(now(), request, context_.callers_may_give_up);
  reply(request);
}

void RateLimiter::on_window_begin(sim::Time) { window_refused_by_client_ = refused_by_client_; }

void RateLimiter::check_invariants() const {
  Component::check_invariants();
  // Every decision admits or refuses; without a store every refusal is a rejection.
  assert(admitted_ + refused_ == decisions_ + store_failures_);
  assert(store_ || refused_ == stats_.counters.rejected);
  assert(stats_.queue.value() <= stats_.in_system.value());
  if (keys_) keys_->check_invariants();
  std::uint64_t by_client = 0;
  for (auto n : refused_by_client_) by_client += n;
  assert(key_kind_ != RateLimiterConfig::Key::Client || by_client == refused_);
  (void)by_client;
}

}  // namespace archsim::models
