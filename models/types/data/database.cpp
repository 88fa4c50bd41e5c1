#include "models/types/data/database.h"

#include <algorithm>
#include <cassert>

namespace archsim::models {

using spec::Json;
using spec::Spec;

spec::NodeRef database_spec() {
  static const spec::NodeRef node = [] {
    using Config = DatabaseConfig;
    Spec db = Spec::object("A primary and its read replicas, each a server with workers and a bounded FIFO queue; "
                           "writes replicate to every replica, write by write");
    db.required("name", Spec::string("Unique name of the component").max_length(100))
        .to(&Config::name)
        .optional("read_replicas", Spec::integer("Read replicas beside the primary").min(0).max(100).default_value(0))
        .to(&Config::read_replicas)
        .optional("workers", Spec::integer("Requests each server (the primary, each replica) serves at once")
                                 .min(1)
                                 .max(100000)
                                 .default_value(1))
        .to(&Config::workers)
        .optional("queue_capacity", Spec::integer("Requests each server holds waiting for a worker; one more is "
                                                  "rejected (queue_full). Replicated writes wait in a relay log instead")
                                        .unit("requests")
                                        .min(0)
                                        .max(10'000'000)
                                        .default_value(100000))
        .to(&Config::queue_capacity)
        .required("read_time", time_distribution_spec())
        .to(&Config::read_time)
        .required("write_time", time_distribution_spec())
        .to(&Config::write_time)
        .optional("replication_delay", time_distribution_spec(), Json{{"type", "constant"}, {"value_ms", 0}})
        .to(&Config::replication_delay)
        .optional("apply_time", time_distribution_spec())
        .store<Config>([](const Json& v, Config& c) {
          c.apply_time = Delay(make_time_distribution(v));
          c.has_apply_time = true;
        })
        .optional("read_from", Spec::enumeration("Where reads go: the primary, the replicas, or any server",
                                                 {"primary", "replicas", "any"}))
        .store<Config>([](const Json& v, Config& c) {
          c.read_from = v == "primary" ? Config::ReadFrom::Primary
                        : v == "any"   ? Config::ReadFrom::Any
                                       : Config::ReadFrom::Replicas;
        })
        .optional("replica_policy", Spec::enumeration("How a read picks among the servers it may go to: in turn, or the "
                                                      "one holding the fewest requests (ties to the first)",
                                                      {"round_robin", "least_loaded"})
                                        .default_value("round_robin"))
        .store<Config>([](const Json& v, Config& c) {
          c.replica_policy = v == "least_loaded" ? Config::Policy::LeastLoaded : Config::Policy::RoundRobin;
        })
        .optional("read_your_writes_s", Spec::number("After a user's write, that user's reads go to the primary for "
                                                     "this long (0: off)")
                                            .unit("s")
                                            .min(0)
                                            .max(sim::kMaxTimeSeconds)
                                            .default_value(0))
        .to(&Config::read_your_writes_s);
    db.check([](const Json& v, const spec::Path& path, spec::Errors& errors) {
      const bool replicas = v.value("read_replicas", 0) > 0;
      if (!replicas && v.contains("read_from") && v["read_from"] != "primary")
        errors.add(path / "read_from", "reads cannot go to replicas: there are none; add read_replicas, or remove read_from");
      if (!replicas && v.contains("apply_time"))
        errors.add(path / "apply_time", "is never used: there are no read_replicas to apply writes");
      if (!replicas && v.value("read_your_writes_s", 0.0) > 0)
        errors.add(path / "read_your_writes_s", "changes nothing: without read_replicas every read goes to the primary");
    });
    return db.build();
  }();
  return node;
}

ComponentType database_type() {
  ComponentType t;
  t.name = "database";
  t.summary = "A primary and read replicas; writes replicate write by write, and reads of replicas behind are stale";
  t.spec = database_spec();
  t.capabilities = {capability::kCallable};
  t.route = [](const Json&, const std::string&, std::vector<Outflow>&) { return true; };
  t.make = factory<Database, DatabaseConfig>(database_spec);
  return t;
}

namespace {
PoolConfig servers(const DatabaseConfig& c) { return PoolConfig{1 + c.read_replicas, c.workers, c.queue_capacity}; }
}  // namespace

Database::Database(DatabaseConfig config, Context& context)
    : Component(config.name, context),
      pool_(servers(config), stats_, context),
      replicas_(static_cast<std::size_t>(config.read_replicas)),
      read_time_(config.read_time),
      write_time_(config.write_time),
      replication_delay_(config.replication_delay),
      apply_time_(config.has_apply_time ? config.apply_time : config.write_time),
      read_from_(config.read_replicas > 0 ? config.read_from : DatabaseConfig::ReadFrom::Primary),
      policy_(config.replica_policy),
      read_your_writes_(sim::Time::from_s(config.read_your_writes_s)),
      rng_(context.streams.for_component(name_)) {
  pool_.declare_metrics(metrics_);
  metrics_.count("reads", "requests", "Reads served (primary and replicas)", &reads_);
  metrics_.count("writes", "requests", "Writes (and deletes) committed by the primary", &writes_);
  metrics_.count("stale_reads", "requests",
                 "Reads on a replica that had not yet applied the key's latest committed write", &stale_reads_);
  metrics_.ratio("stale_read_fraction", "", "Stale reads over the reads served by replicas", &stale_reads_,
                 &replica_reads_);
  metrics_.count("reads_after_own_write", "requests",
                 "Reads sent to the primary because their user wrote within read_your_writes_s", &primary_reads_after_write_);
  metrics_.distribution("replication_lag_ms", "From a write's commit to its being applied on a replica, over every replica",
                        &lag_, &lag_ns_, &applied_, "replication_lag_ms_mean");
  metrics_.level("replication_backlog", "writes", "Writes shipped to replicas and not yet applied, over every replica",
                 &backlog_);
  metrics_.extra("read_replicas", [this](sim::Time start, sim::Time end) {
    const Json servers = pool_.replica_results(start, end);
    Json out = Json::array();
    for (std::size_t r = 0; r < replicas_.size(); ++r) {
      const Replica& rep = replicas_[r];
      Json j = servers[r + 1];
      const std::uint64_t applied = rep.applied_writes - rep.window_applied;
      j["reads"] = rep.reads - rep.window_reads;
      j["stale_reads"] = rep.stale_reads - rep.window_stale;
      j["applied_writes"] = applied;
      j["lag_ms_mean"] = applied > 0 ? Json(static_cast<double>(rep.lag_ns - rep.window_lag_ns) / 1e6 / static_cast<double>(applied))
                                     : Json(nullptr);
      j["lag_ms_max"] = static_cast<double>(rep.lag_max_ns) / 1e6;
      j["relay_backlog_at_end"] = rep.relay.size();
      out.push_back(j);
    }
    return out;
  });
}

void Database::on_request(Request& request) {
  ++stats_.counters.arrivals;
  request.arrived = now();
  const std::size_t server = request.access == Access::Read ? server_for_read(request) : 0;
  request.instance = static_cast<std::int32_t>(server);
  switch (pool_.admit(request, now())) {
    case WorkerPool::Admission::Started:
      stats_.in_system.add(now(), +1);
      begin(request, server);
      return;
    case WorkerPool::Admission::Queued:
      stats_.in_system.add(now(), +1);
      return;
    case WorkerPool::Admission::Rejected:
      ++stats_.counters.rejected;
      reply(request);
      return;
  }
}

std::size_t Database::server_for_read(const Request& request) {
  if (read_from_ == DatabaseConfig::ReadFrom::Primary) return 0;
  if (read_your_writes_.ns > 0) {
    const std::uint64_t wrote = last_write_.get(request.user_id);
    if (wrote != 0 && now().ns - static_cast<std::int64_t>(wrote - 1) < read_your_writes_.ns) {
      ++primary_reads_after_write_;
      return 0;
    }
  }
  // The servers a read may go to: [first, first + count).
  const std::size_t first = read_from_ == DatabaseConfig::ReadFrom::Any ? 0 : 1;
  const std::size_t count = replicas_.size() + 1 - first;
  if (policy_ == DatabaseConfig::Policy::LeastLoaded) {
    std::size_t best = first;
    for (std::size_t s = first + 1; s < first + count; ++s)
      if (pool_.load(s) < pool_.load(best)) best = s;
    return best;
  }
  const std::size_t s = first + next_read_;
  next_read_ = next_read_ + 1 == count ? 0 : next_read_ + 1;
  return s;
}

void Database::begin(Request& request, std::size_t server) {
  pool_.begin_compute(now());
  const Delay& time = is_apply(request) ? apply_time_ : request.access == Access::Read ? read_time_ : write_time_;
  (void)server;
  context_.engine.post_in(time.draw(rng_), sim::Phase::Departure, this, kDone, reinterpret_cast<std::uint64_t>(&request));
}

void Database::on_timer(std::uint32_t kind, std::uint64_t data) {
  Request& request = *reinterpret_cast<Request*>(data);
  if (kind == kDone) {
    done(request);
    return;
  }
  assert(kind == kShipped);
  shipped(request);
}

void Database::done(Request& request) {
  pool_.end_compute(now());
  const std::size_t server = pool_.free_worker(request, now());
  if (is_apply(request)) {
    Replica& rep = replicas_[server - 1];
    std::uint64_t& held = rep.applied.at(request.key);
    held = std::max(held, request.version);
    const sim::Time lag = now() - request.created;
    ++rep.applied_writes;
    rep.lag_ns += lag.ns;
    rep.lag_max_ns = std::max(rep.lag_max_ns, lag.ns);
    ++applied_;
    lag_ns_ += lag.ns;
    lag_.record(lag.ns);
    --applying_;
    backlog_.add(now(), -1);
    context_.requests.release(request);
    serve_next(server);
    return;
  }
  if (request.access == Access::Read) {
    ++reads_;
    const std::uint64_t latest = context_.committed.get(request.key);
    if (server == 0) {
      request.version = latest;
    } else {
      Replica& rep = replicas_[server - 1];
      request.version = rep.applied.get(request.key);
      ++rep.reads;
      ++replica_reads_;
      if (request.version < latest) {
        ++rep.stale_reads;
        ++stale_reads_;
      }
    }
  } else {
    ++writes_;
    request.version = ++context_.committed.at(request.key);
    if (read_your_writes_.ns > 0) last_write_.at(request.user_id) = static_cast<std::uint64_t>(now().ns) + 1;
    ship(request.key, request.version);
  }
  stats_.depart(now(), request, context_.callers_may_give_up);
  reply(request);
  serve_next(server);
}

void Database::ship(std::uint64_t key, std::uint64_t version) {
  for (std::size_t r = 0; r < replicas_.size(); ++r) {
    // Nobody waits for an apply: no reply_to, no caller.
    Request& write = new_request();
    write.key = key;
    write.version = version;
    write.access = Access::Write;
    write.created = now();  // the commit, from which lag counts
    write.instance = static_cast<std::int32_t>(r + 1);
    backlog_.add(now(), +1);
    context_.engine.post_in(replication_delay_.draw(rng_), sim::Phase::Arrival, this, kShipped,
                            reinterpret_cast<std::uint64_t>(&write));
  }
}

void Database::shipped(Request& write) {
  const auto server = static_cast<std::size_t>(write.instance);
  Replica& rep = replicas_[server - 1];
  write.arrived = now();
  if (rep.relay.empty() && pool_.has_free_worker(server)) {
    const auto admitted = pool_.admit(write, now());
    assert(admitted == WorkerPool::Admission::Started);
    (void)admitted;
    ++applying_;
    begin(write, server);
    return;
  }
  rep.relay.push_back(&write);
}

void Database::serve_next(std::size_t server) {
  if (server > 0) {
    Replica& rep = replicas_[server - 1];
    const Request* waiting = pool_.first_waiting(server);
    // The relay log's head goes first when it arrived no later.
    if (!rep.relay.empty() && (waiting == nullptr || rep.relay.front()->arrived <= waiting->arrived)) {
      Request& write = *rep.relay.pop_front();
      const auto admitted = pool_.admit(write, now());
      assert(admitted == WorkerPool::Admission::Started);
      (void)admitted;
      ++applying_;
      begin(write, server);
      return;
    }
  }
  if (Request* next = pool_.next(server, now())) begin(*next, server);
}

void Database::on_reply(Request&) { assert(false && "a database makes no calls"); }

void Database::on_window_begin(sim::Time now) {
  pool_.on_window_begin(now);
  lag_.clear();
  for (auto& rep : replicas_) {
    rep.window_reads = rep.reads;
    rep.window_stale = rep.stale_reads;
    rep.window_applied = rep.applied_writes;
    rep.window_lag_ns = rep.lag_ns;
    rep.lag_max_ns = 0;
  }
}

void Database::check_invariants() const {
  Component::check_invariants();
  pool_.check_invariants();
  assert(stats_.busy.value() + stats_.queue.value() == stats_.in_system.value() + applying_);
}

}  // namespace archsim::models
