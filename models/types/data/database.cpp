#include "models/types/data/database.h"

#include <algorithm>
#include <cassert>
#include <limits>

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
        .to(&Config::read_your_writes_s)
        .optional("failover_after_s", Spec::number("After the primary crashes, the replica that has applied the most "
                                                   "writes becomes the primary this long later (detection and "
                                                   "promotion); by default none is promoted")
                                          .unit("s")
                                          .greater_than(0)
                                          .max(sim::kMaxTimeSeconds))
        .to(&Config::failover_after_s)
        .optional("writes_during_failover", Spec::enumeration("What writes do while there is no primary: fail at once "
                                                             "(no_primary), or wait for the new primary",
                                                             {"fail", "wait"})
                                                .default_value("fail"))
        .store<Config>([](const Json& v, Config& c) { c.writes_wait_for_failover = v == "wait"; });
    db.check([](const Json& v, const spec::Path& path, spec::Errors& errors) {
      const bool replicas = v.value("read_replicas", 0) > 0;
      if (!replicas && v.contains("read_from") && v["read_from"] != "primary")
        errors.add(path / "read_from", "reads cannot go to replicas: there are none; add read_replicas, or remove read_from");
      if (!replicas && v.contains("apply_time"))
        errors.add(path / "apply_time", "is never used: there are no read_replicas to apply writes");
      if (!replicas && v.value("read_your_writes_s", 0.0) > 0)
        errors.add(path / "read_your_writes_s", "changes nothing: without read_replicas every read goes to the primary");
      if (!replicas && v.contains("failover_after_s"))
        errors.add(path / "failover_after_s", "no replica could be promoted: add read_replicas, or remove failover_after_s");
      if (!v.contains("failover_after_s") && v.value("writes_during_failover", "fail") == "wait")
        errors.add(path / "writes_during_failover",
                   "writes would wait for ever: without failover_after_s no new primary comes; add it, or use fail");
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
  // A crash of the primary leaves writes without one until a failover.
  t.fault_actions = {{"crash", {"crashed", "no_primary"}}, {"slow_down", {}}};
  t.fault_targets = [](const Json& config) { return 1 + config.value("read_replicas", std::int64_t{0}); };
  t.fault_target_noun = "server";
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
      replicas_(static_cast<std::size_t>(config.read_replicas) + 1),
      read_time_(config.read_time),
      write_time_(config.write_time),
      replication_delay_(config.replication_delay),
      apply_time_(config.has_apply_time ? config.apply_time : config.write_time),
      read_from_(config.read_replicas > 0 ? config.read_from : DatabaseConfig::ReadFrom::Primary),
      policy_(config.replica_policy),
      read_your_writes_(sim::Time::from_s(config.read_your_writes_s)),
      failover_after_(config.failover_after_s ? std::optional(sim::Time::from_s(*config.failover_after_s)) : std::nullopt),
      writes_wait_(config.writes_wait_for_failover),
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
  metrics_.count("lost_writes", "writes", "Committed writes lost in failovers: the new primary had not applied them",
                 &lost_writes_);
  metrics_.extra("primary_at_end", [this](sim::Time, sim::Time) { return Json(primary_); });
  metrics_.extra("failovers", [this](sim::Time, sim::Time) {
    Json out = Json::array();
    for (const auto& f : failovers_)
      out.push_back(Json{{"crashed_at_s", f.crashed.to_s()},
                         {"promoted_at_s", f.promoted == sim::Time::max() ? Json(nullptr) : Json(f.promoted.to_s())},
                         {"old_primary", f.old_primary},
                         {"new_primary", f.new_primary < 0 ? Json(nullptr) : Json(f.new_primary)},
                         {"lost_writes", f.lost_writes}});
    return out;
  });
  metrics_.extra("servers", [this](sim::Time start, sim::Time end) {
    const Json servers = pool_.replica_results(start, end);
    Json out = Json::array();
    for (std::size_t r = 0; r < replicas_.size(); ++r) {
      const Replica& rep = replicas_[r];
      Json j = servers[r];
      j["role_at_end"] = r == primary_ ? "primary" : "replica";
      j["down_at_end"] = pool_.down(r);
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
  if (request.access != Access::Read) {
    admit_to_primary(request);
    return;
  }
  const std::size_t server = server_for_read(request);
  if (server == primary_ && primary_down_) {
    admit_to_primary(request);
    return;
  }
  admit_at(request, server);
}

void Database::admit_to_primary(Request& request) {
  if (primary_down_) {
    // No primary: a write may wait for the next one; the rest are refused.
    if (writes_wait_ && request.access != Access::Read && failovers_.back().new_primary < 0) {
      stats_.in_system.add(now(), +1);
      waiting_writes_.push_back(&request);
      return;
    }
    ++stats_.counters.rejected;
    request.failure = no_primary_;
    reply(request);
    return;
  }
  admit_at(request, primary_);
}

void Database::admit_at(Request& request, std::size_t server) {
  request.instance = static_cast<std::int32_t>(server);
  switch (pool_.enter(request, now())) {
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

std::size_t Database::server_for_read(const Request& request) {
  if (read_from_ == DatabaseConfig::ReadFrom::Primary) return primary_;
  if (read_your_writes_.ns > 0) {
    const std::uint64_t wrote = last_write_.get(request.user_id);
    if (wrote != 0 && now().ns - static_cast<std::int64_t>(wrote - 1) < read_your_writes_.ns) {
      ++primary_reads_after_write_;
      return primary_;
    }
  }
  // The servers a read may go to: those up, the primary too with `any`; the
  // primary when no other is up.
  const bool any = read_from_ == DatabaseConfig::ReadFrom::Any;
  const std::size_t n = replicas_.size();
  const auto eligible = [&](std::size_t s) { return !pool_.down(s) && (any || s != primary_); };
  if (policy_ == DatabaseConfig::Policy::LeastLoaded) {
    std::size_t best = n;
    for (std::size_t s = 0; s < n; ++s)
      if (eligible(s) && (best == n || pool_.load(s) < pool_.load(best))) best = s;
    return best == n ? primary_ : best;
  }
  for (std::size_t k = 0; k < n; ++k) {
    const std::size_t s = next_read_;
    next_read_ = next_read_ + 1 == n ? 0 : next_read_ + 1;
    if (eligible(s)) return s;
  }
  return primary_;
}

void Database::begin(Request& request) {
  pool_.begin_compute(now(), request);
  const Delay& time = is_apply(request) ? apply_time_ : request.access == Access::Read ? read_time_ : write_time_;
  sim::Time t = time.draw(rng_);
  if (slow_.any()) t = slow_.stretch(t, static_cast<std::size_t>(request.instance));
  context_.engine.post_in(t, sim::Phase::Departure, this, kDone + pool_.life(), reinterpret_cast<std::uint64_t>(&request));
}

void Database::on_timer(std::uint32_t kind, std::uint64_t data) {
  if (kind == kPromote) {
    promote(static_cast<std::size_t>(data));
    return;
  }
  Request& request = *reinterpret_cast<Request*>(data);
  if (kind == kShipped) {
    shipped(request);
    return;
  }
  assert(kind >= kDone && kind - kDone <= pool_.life());
  if (pool_.cut_short(request, kind - kDone)) return;  // a crash cut it short
  done(request);
}

void Database::done(Request& request) {
  pool_.end_compute(now());
  const std::size_t server = pool_.free_worker(request, now());
  if (is_apply(request)) {
    Replica& rep = replicas_[server];
    --applying_;
    backlog_.add(now(), -1);
    if (request.scratch == epoch_ && server != primary_) {
      std::uint64_t& held = rep.applied.at(request.key);
      held = std::max(held, request.version);
      const sim::Time lag = now() - request.created;
      ++rep.applied_writes;
      rep.lag_ns += lag.ns;
      rep.lag_max_ns = std::max(rep.lag_max_ns, lag.ns);
      ++applied_;
      lag_ns_ += lag.ns;
      lag_.record(lag.ns);
    }
    context_.requests.release(request);
    serve_next(server);
    return;
  }
  if (request.access == Access::Read) {
    ++reads_;
    const std::uint64_t latest = context_.committed.get(request.key);
    if (server == primary_) {
      request.version = latest;
    } else {
      Replica& rep = replicas_[server];
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
    // The key's next version, or the one a write-back cache gave the write
    // it held (a version no write has committed yet).
    std::uint64_t& latest = context_.committed.at(request.key);
    latest = std::max(latest + 1, request.version);
    request.version = latest;
    if (read_your_writes_.ns > 0) last_write_.at(request.user_id) = static_cast<std::uint64_t>(now().ns) + 1;
    ship(request.key, request.version);
  }
  stats_.depart(now(), request, context_.callers_may_give_up);
  reply(request);
  serve_next(server);
}

void Database::ship(std::uint64_t key, std::uint64_t version) {
  for (std::size_t r = 0; r < replicas_.size(); ++r) {
    if (r == primary_) continue;
    // Nobody waits for an apply: no reply_to, no caller.
    Request& write = new_request();
    write.key = key;
    write.version = version;
    write.access = Access::Write;
    write.created = now();  // the commit, from which lag counts
    write.instance = static_cast<std::int32_t>(r);
    write.scratch = epoch_;  // the primary that committed it
    backlog_.add(now(), +1);
    ++replicas_[r].in_transit;
    context_.engine.post_in(replication_delay_.draw(rng_), sim::Phase::Arrival, this, kShipped,
                            reinterpret_cast<std::uint64_t>(&write));
  }
}

void Database::shipped(Request& write) {
  const auto server = static_cast<std::size_t>(write.instance);
  --replicas_[server].in_transit;
  if (write.scratch != epoch_ || server == primary_) {
    // From a primary that has since been replaced: its writes are gone.
    backlog_.add(now(), -1);
    context_.requests.release(write);
    return;
  }
  Replica& rep = replicas_[server];
  write.arrived = now();
  if (rep.relay.empty() && !pool_.down(server) && pool_.has_free_worker(server)) {
    start_apply(write);
    return;
  }
  rep.relay.push_back(&write);
}

void Database::start_apply(Request& write) {
  // Only with a worker free at its server: it never queues there.
  const auto admitted = pool_.admit(write, now());
  assert(admitted == WorkerPool::Admission::Started);
  (void)admitted;
  ++applying_;
  begin(write);
}

void Database::serve_next(std::size_t server) {
  if (pool_.down(server)) return;
  Replica& rep = replicas_[server];
  // Writes of a replaced primary leave the relay log unapplied.
  while (!rep.relay.empty() && (rep.relay.front()->scratch != epoch_ || server == primary_)) {
    backlog_.add(now(), -1);
    context_.requests.release(*rep.relay.pop_front());
  }
  const Request* waiting = pool_.first_waiting(server);
  // The relay log's head goes first when it arrived no later.
  if (!rep.relay.empty() && (waiting == nullptr || rep.relay.front()->arrived <= waiting->arrived)) {
    start_apply(*rep.relay.pop_front());
    return;
  }
  if (Request* next = pool_.next(server, now())) begin(*next);
}

bool Database::on_fault(const FaultAction& action) {
  const auto n = static_cast<std::size_t>(pool_.replicas());
  assert(action.replica < pool_.replicas());
  if (action.kind == FaultAction::Kind::SlowDown) {
    slow_.set(action, n);  // of the servers by number, whichever is the primary now
    return true;
  }
  if (action.kind != FaultAction::Kind::Crash && action.kind != FaultAction::Kind::Recover) return false;
  const std::size_t first = action.replica < 0 ? 0 : static_cast<std::size_t>(action.replica);
  const std::size_t last = action.replica < 0 ? n : first + 1;
  if (action.kind == FaultAction::Kind::Crash) {
    crashed_ = context_.failures.intern("crashed");
    no_primary_ = context_.failures.intern("no_primary");
    for (std::size_t s = first; s < last; ++s) crash(s);
  } else {
    for (std::size_t s = first; s < last; ++s) recover(s);
  }
  return true;
}

void Database::crash(std::size_t server) {
  if (pool_.down(server)) return;
  pool_.set_down(server, crashed_);
  context_.callers_may_give_up = true;
  // Steps under way never end (WorkerPool::cut_short).
  Replica& rep = replicas_[server];
  for (Request* request : pool_.holders(server)) {
    pool_.end_compute(now());
    pool_.free_worker(*request, now());
    if (is_apply(*request)) {
      // The primary's log still has it: applied again after the recovery.
      --applying_;
      rep.relay.push_back(request);
      continue;
    }
    request->failure = crashed_;
    stats_.depart(now(), *request, context_.callers_may_give_up);
    reply(*request);
  }
  while (Request* request = pool_.take_waiting(server, now())) {
    request->failure = crashed_;
    stats_.depart(now(), *request, context_.callers_may_give_up);
    reply(*request);
  }
  if (server != primary_) return;
  primary_down_ = true;
  failovers_.push_back(Failover{now(), sim::Time::max(), static_cast<std::int64_t>(server), -1, 0});
  if (failover_after_)
    context_.engine.post_in(*failover_after_, sim::Phase::Boundary, this, kPromote, failovers_.size() - 1);
}

void Database::recover(std::size_t server) {
  if (!pool_.down(server)) return;
  pool_.set_down(server, kNoFailure);
  Replica& rep = replicas_[server];
  if (server == primary_) {
    // The same primary comes back before any promotion: nothing was lost.
    primary_down_ = false;
    promotion_due_ = false;
    while (!waiting_writes_.empty()) {
      Request& write = *waiting_writes_.pop_front();
      stats_.in_system.add(now(), -1);
      admit_to_primary(write);
    }
    return;
  }
  if (rep.resync) {
    // A replaced primary rejoins as a replica, with the new primary's data.
    rep.applied = context_.committed;
    rep.resync = false;
  }
  // Its workers take up the relay log again.
  while (pool_.has_free_worker(server) && !rep.relay.empty()) serve_next(server);
  if (promotion_due_) promote(failovers_.size() - 1);
}

void Database::promote(std::size_t failover) {
  // Only for the latest crash of the primary, if it is still down.
  if (!primary_down_ || failover + 1 != failovers_.size()) return;
  // The replica up that has applied the most writes (ties to the lowest).
  std::size_t best = replicas_.size();
  for (std::size_t s = 0; s < replicas_.size(); ++s)
    if (s != primary_ && !pool_.down(s) &&
        (best == replicas_.size() || replicas_[s].applied_writes > replicas_[best].applied_writes))
      best = s;
  if (best == replicas_.size()) {
    promotion_due_ = true;  // the first replica to recover is promoted
    return;
  }
  promotion_due_ = false;
  Failover& f = failovers_.back();
  Replica& next = replicas_[best];
  // What it had not applied is lost: its relay log, its applies under way,
  // and what is still on its way to it, all from the old primary.
  std::uint64_t lost = next.relay.size() + next.in_transit;
  for (const Request* r : pool_.holders(best))
    if (is_apply(*r)) ++lost;
  // The system of record goes back to what the new primary holds.
  context_.committed = next.applied;
  const std::size_t old = primary_;
  primary_ = best;
  primary_down_ = false;
  ++epoch_;
  f.promoted = now();
  f.new_primary = static_cast<std::int64_t>(best);
  f.lost_writes = lost;
  lost_writes_ += lost;
  replicas_[old].resync = true;
  // Its relay log holds the old primary's writes only: lost with it.
  while (!next.relay.empty()) {
    backlog_.add(now(), -1);
    context_.requests.release(*next.relay.pop_front());
  }
  while (!waiting_writes_.empty()) {
    Request& write = *waiting_writes_.pop_front();
    stats_.in_system.add(now(), -1);
    admit_to_primary(write);
  }
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
  assert(stats_.busy.value() + stats_.queue.value() + static_cast<std::int64_t>(waiting_writes_.size()) ==
         stats_.in_system.value() + applying_);
}

}  // namespace archsim::models
