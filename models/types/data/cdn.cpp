#include "models/types/data/cdn.h"

#include <algorithm>
#include <cassert>

namespace archsim::models {

using spec::Json;
using spec::Spec;

spec::NodeRef cdn_spec() {
  static const spec::NodeRef node = [] {
    using Config = CdnConfig;
    Spec cdn = Spec::object("Edge caches in front of an origin: reads of static operations are answered by an edge on "
                            "a hit and fetched from the origin on a miss; everything else passes through");
    cdn.required("name", Spec::string("Unique name of the component").max_length(100))
        .to(&Config::name)
        .required("origin", Spec::reference("What the edges copy: misses are fetched from it, and every request "
                                            "not cached passes through to it",
                                            "callable")
                                .calls())
        .to(&Config::origin)
        .required("static_operations",
                  Spec::array("Operations whose reads the edges cache (images, scripts, style sheets); a write or "
                              "delete of one, and every other operation, passes through to the origin uncached",
                              Spec::string("An operation that reaches the CDN").max_length(100))
                      .items(1, 1000))
        .to(&Config::static_operations)
        .optional("edges", Spec::integer("Edge caches (points of presence), each with a store of its own")
                               .min(1)
                               .max(1000)
                               .default_value(1))
        .to(&Config::edges)
        .optional("edge_choice", Spec::enumeration("How a request picks its edge: by a hash of its user_id (a user "
                                                   "keeps to one edge), or each edge in turn",
                                                   {"user", "round_robin"})
                                     .default_value("user"))
        .to(&Config::edge_choice)
        .optional("failover_after_s",
                  Spec::number("After an edge crashes, the requests that pick it go to another edge this long later "
                               "(health checks and DNS catching up); by default they are refused while it is down")
                      .unit("s")
                      .min(0)
                      .max(sim::kMaxTimeSeconds))
        .to(&Config::failover_after_s);
    declare_store(cdn, &Config::store, &Config::ttl_s, "each edge");
    cdn.optional("value_size", size_distribution_spec(), Json{{"type", "constant"}, {"value_bytes", 1024}})
        .to(&Config::value_size)
        .required("hit_time", time_distribution_spec())
        .to(&Config::hit_time)
        .optional("coalesce", Spec::boolean("Concurrent misses on one object at one edge make one origin fetch and share "
                                            "its answer (request collapsing)")
                                  .default_value(false))
        .to(&Config::coalesce);
    cdn.check([](const Json& v, const spec::Path& path, spec::Errors& errors) {
      const Json& ops = v["static_operations"];
      for (std::size_t i = 0; i < ops.size(); ++i)
        for (std::size_t j = 0; j < i; ++j)
          if (ops[j] == ops[i]) {
            errors.add((path / "static_operations")[i], "\"" + ops[i].get<std::string>() +
                                                            "\" is listed already, as static_operations[" +
                                                            std::to_string(j) + "]");
            break;
          }
      if (v.contains("failover_after_s") && v.value("edges", std::int64_t{1}) < 2)
        errors.add(path / "failover_after_s", "there is no other edge to go to: add edges, or remove failover_after_s");
      check_store(v, path, errors, "the edges have no capacity_keys or capacity_bytes");
    });
    return cdn.build();
  }();
  return node;
}

ComponentType cdn_type() {
  ComponentType t;
  t.name = "cdn";
  t.summary = "Edge caches in front of an origin: static reads hit an edge's finite store or are fetched from the "
              "origin; the origin's offload in requests and bytes";
  t.spec = cdn_spec();
  t.capabilities = {capability::kCallable};
  t.fault_actions = {{"crash", {"crashed"}}, {"flush", {}}, {"slow_down", {}}};
  const auto edges = [](const Json& config) { return config.value("edges", std::int64_t{1}); };
  // Edges are its replicas (placed one by one, ends of link faults) and
  // the targets of its fault actions.
  t.replicas = edges;
  t.fault_targets = edges;
  t.fault_target_noun = "edge";
  t.route = [](const Json& config, const std::string& operation, std::vector<Outflow>& out) {
    out.push_back({config["origin"].get<std::string>(), operation});
    return true;
  };
  t.check = [](const Json& config, const std::vector<std::string>& reaching, const ScenarioView&,
               const spec::Path& path, spec::Errors& errors) {
    // A static operation nothing sends here would cache nothing: most likely a typo.
    const Json& ops = config["static_operations"];
    for (std::size_t i = 0; i < ops.size(); ++i) {
      const std::string op = ops[i].get<std::string>();
      if (std::find(reaching.begin(), reaching.end(), op) != reaching.end()) continue;
      std::string message = "no request with operation \"" + op + "\" reaches this cdn";
      if (const auto close = spec::did_you_mean(op, reaching)) {
        message += "; did you mean \"" + *close + "\"?";
      } else if (reaching.empty()) {
        message += ", nor any other: make it a workload's target, or call it";
      } else {
        message += "; the operations that do: ";
        for (std::size_t k = 0; k < reaching.size(); ++k) message += (k ? ", " : "") + reaching[k];
      }
      errors.add((path / "static_operations")[i], message);
    }
  };
  t.make = factory<Cdn, CdnConfig>(cdn_spec);
  return t;
}

namespace {

// Everything an edge counted between two instants, as the results show it.
template <class Counters>
Json edge_figures(const Counters& a, const Counters& w, bool coalesce, bool failover) {
  const auto share = [](std::uint64_t part, std::uint64_t whole) {
    return whole > 0 ? static_cast<double>(part) / static_cast<double>(whole) : 0.0;
  };
  const std::uint64_t lookups = a.lookups - w.lookups, hits = a.hits - w.hits;
  const std::uint64_t served = a.bytes_served - w.bytes_served;
  Json out = Json::object();
  out["requests"] = a.requests - w.requests;
  if (failover) out["failed_over"] = a.failed_over - w.failed_over;
  out["lookups"] = lookups;
  out["hits"] = hits;
  out["misses"] = a.misses - w.misses;
  out["hit_rate"] = share(hits, lookups);
  out["passed_through"] = a.passed_through - w.passed_through;
  out["origin_fetches"] = a.fetches - w.fetches;
  if (coalesce) out["coalesced"] = a.coalesced - w.coalesced;
  out["offload"] = share(a.offloaded - w.offloaded, lookups);
  out["bytes_served"] = served;
  out["bytes_from_edge"] = a.bytes_from_edge - w.bytes_from_edge;
  out["bytes_from_origin"] = a.bytes_from_origin - w.bytes_from_origin;
  out["byte_offload"] = share(a.bytes_offloaded - w.bytes_offloaded, served);
  return out;
}

}  // namespace

Cdn::Cdn(CdnConfig config, Context& context)
    : Component(config.name, context),
      rng_(context.streams.for_component(name_)),
      edges_(static_cast<std::size_t>(config.edges)),
      edge_choice_(config.edge_choice),
      value_size_(config.value_size),
      size_salt_(value_size_salt(context.streams.seed())),
      hit_time_(config.hit_time),
      origin_(DependencyConfig{config.origin, "", std::nullopt}),
      static_names_(std::move(config.static_operations)),
      coalesce_(config.coalesce),
      mark_(context.requests.new_holder_mark()) {
  if (config.ttl_s) ttl_ = sim::Time::from_s(*config.ttl_s);
  if (config.failover_after_s) failover_after_ = sim::Time::from_s(*config.failover_after_s);
  // One stream for the CDN: hit times, and the draws of random eviction.
  for (Edge& edge : edges_) edge.store = std::make_unique<CacheStore>(config.store, &rng_);

  metrics_.extra("edges", [this](sim::Time, sim::Time) { return Json(edges_.size()); });
  metrics_.count("lookups", "requests", "Reads of static operations looked up at an edge", &total_.lookups);
  metrics_.count("hits", "requests", "Lookups answered from the edge's store (an entry within its TTL)", &total_.hits);
  metrics_.count("misses", "requests", "Lookups that found no entry, or an expired one, and went to the origin (or "
                                       "waited for a fetch of the object under way)",
                 &total_.misses);
  metrics_.ratio("hit_rate", "", "Hits over lookups", &total_.hits, &total_.lookups);
  metrics_.ratio("offload", "", "Origin offload: 1 - origin_fetches / lookups, the share of static reads the origin "
                                "never saw (hits, and misses that shared a fetch)",
                 &total_.offloaded, &total_.lookups);
  if (failover_after_)
    metrics_.count("failed_over", "requests",
                   "Requests whose own edge was known to be down, served by another edge instead", &total_.failed_over);
  metrics_.count("origin_fetches", "requests", "Misses sent to the origin", &total_.fetches);
  metrics_.count("passed_through", "requests",
                 "Requests sent to the origin uncached: other operations, and writes and deletes", &total_.passed_through);
  metrics_.count("origin_requests", "requests", "Requests the edges sent to the origin: fetches and passed through",
                 &total_.origin_requests);
  metrics_.count("fetch_failures", "requests", "Origin fetches that failed: they fill nothing", &total_.fetch_failures);
  if (coalesce_)
    metrics_.count("coalesced", "requests", "Misses that waited for a fetch of their object already under way at their "
                                            "edge",
                   &total_.coalesced);
  metrics_.count("bytes_served", "bytes", "Bytes of the static reads answered without failure", &total_.bytes_served);
  metrics_.count("bytes_from_edge", "bytes", "Of those, bytes served from an edge's store (hits)",
                 &total_.bytes_from_edge);
  metrics_.count("bytes_from_origin", "bytes",
                 "Bytes fetched from the origin (a fetch that coalesced misses share counts once)",
                 &total_.bytes_from_origin);
  metrics_.ratio("byte_offload", "", "Byte offload: 1 - bytes_from_origin / bytes_served", &total_.bytes_offloaded,
                 &total_.bytes_served);
  metrics_.count("evictions", "entries", "Entries the policy removed to make room, over every edge", &total_.evictions);
  metrics_.count("expirations", "entries", "Entries found past their TTL and removed, over every edge",
                 &total_.expirations);
  metrics_.level("bytes_held", "bytes", "Bytes of values held, over every edge", &bytes_);
  metrics_.level("keys_held", "keys", "Keys held, over every edge", &keys_, LevelSeries::Mean);
  metrics_.count("purges", "", "Edge stores emptied by a flush of the timeline (a flush of the whole CDN empties "
                               "each edge)",
                 &purges_, false);
  metrics_.extra("by_edge", [this](sim::Time, sim::Time) {
    Json out = Json::array();
    for (const Edge& edge : edges_) {
      Json e = edge_figures(edge.counters, edge.window, coalesce_, failover_after_.has_value());
      e["keys_held"] = edge.keys_held;
      e["bytes_held"] = edge.bytes_held;
      out.push_back(std::move(e));
    }
    return out;
  });
  metrics_.extra("operations", [this](sim::Time, sim::Time) {
    Json out = Json::object();
    for (std::size_t op = 0; op < by_operation_.size(); ++op) {
      const std::uint64_t lookups = by_operation_[op].lookups - window_by_operation_[op].lookups;
      const std::uint64_t hits = by_operation_[op].hits - window_by_operation_[op].hits;
      if (lookups == 0) continue;
      out[context_.operations[op]] = Json{{"lookups", lookups},
                                          {"hits", hits},
                                          {"hit_rate", static_cast<double>(hits) / static_cast<double>(lookups)}};
    }
    return out;
  });
  if (edges_.size() < 2 || edges_.size() > kMaxEdgeSeries) return;
  for (std::size_t i = 0; i < edges_.size(); ++i) {
    Counters& c = edges_[i].counters;
    const std::string prefix = "edges[" + std::to_string(i) + "].";
    metrics_.count(prefix + "requests", "requests", "Requests that came to this edge", &c.requests);
    metrics_.series_only();
    metrics_.count(prefix + "lookups", "requests", "Lookups at this edge", &c.lookups);
    metrics_.series_only();
    metrics_.count(prefix + "hits", "requests", "Hits at this edge", &c.hits);
    metrics_.series_only();
    metrics_.count(prefix + "misses", "requests", "Misses at this edge", &c.misses);
    metrics_.series_only();
    metrics_.ratio(prefix + "hit_rate", "", "Hits over lookups at this edge", &c.hits, &c.lookups);
    metrics_.series_only();
    metrics_.ratio(prefix + "offload", "", "1 - origin fetches / lookups at this edge", &c.offloaded, &c.lookups);
    metrics_.series_only();
    metrics_.count(prefix + "bytes_from_edge", "bytes", "Bytes this edge served from its store", &c.bytes_from_edge);
    metrics_.series_only();
    metrics_.count(prefix + "bytes_from_origin", "bytes", "Bytes this edge fetched from the origin",
                   &c.bytes_from_origin);
    metrics_.series_only();
    metrics_.ratio(prefix + "byte_offload", "", "1 - bytes fetched / bytes served at this edge", &c.bytes_offloaded,
                   &c.bytes_served);
    metrics_.series_only();
  }
}

void Cdn::connect(Wiring& wiring) {
  origin_.connect(*this, wiring);
  for (const std::string& name : static_names_) {
    const std::uint32_t op = wiring.operation(name);
    if (op >= static_.size()) static_.resize(op + 1, false);
    static_[op] = true;
  }
  by_operation_.assign(static_.size(), ByOperation{});
  window_by_operation_ = by_operation_;
}

void Cdn::start() {
  // Room for the objects an edge holds, so that the steady state allocates
  // nothing: no more than the objects there are (each static operation's
  // keys) or its capacity in keys; with a capacity in bytes, twice the
  // objects of the mean size that fit (an edge that holds more, of smaller
  // ones, grows its store once, out of line, as it fills).
  assert(context_.key_space <= kKeys);
  const CacheStoreConfig& config = edges_.front().store->config();
  std::uint64_t keys = std::max<std::uint64_t>(context_.key_space, 1) * std::max<std::size_t>(static_names_.size(), 1);
  if (config.capacity_keys) keys = std::min(keys, *config.capacity_keys);
  if (config.capacity_bytes) {
    const double fit = 2 * static_cast<double>(*config.capacity_bytes) / std::max(value_size_.mean(), 1.0);
    keys = std::min(keys, static_cast<std::uint64_t>(std::min(fit, static_cast<double>(CacheStore::kMaxKeys))) + 1);
  }
  keys = std::min(keys, CacheStore::kMaxKeys);
  for (Edge& edge : edges_) edge.store->reserve(keys);
}

Cdn::Choice Cdn::edge_for(const Request& request) {
  const std::size_t n = edges_.size();
  if (n == 1) return {0, false};
  if (edge_choice_ == CdnConfig::EdgeChoice::RoundRobin) {
    // A turn that falls on an edge known to be down passes to the next
    // edge that is not, and the turns go on from there; with every edge
    // known to be down, the turn's own edge refuses the request.
    const std::size_t own = next_edge_;
    std::size_t i = own;
    for (std::size_t k = 1; k < n && known_down(i); ++k) i = (own + k) % n;
    if (known_down(i)) i = own;
    next_edge_ = i + 1 == n ? 0 : i + 1;
    return {i, i != own};
  }
  const auto own = static_cast<std::size_t>(sim::mix64(request.user_id) % n);
  if (!known_down(own)) [[likely]]
    return {own, false};
  const std::size_t other = stand_in(own, request.user_id);
  return {other, other != own};
}

std::size_t Cdn::stand_in(std::size_t own, std::uint64_t user) const {
  // Rendezvous hashing: each (user, edge) pair has a fixed weight, and the
  // user goes to the heaviest edge available. An edge going down moves only
  // its own users, each to their next heaviest: spread over the others.
  std::size_t best = own;
  std::uint64_t heaviest = 0;
  for (std::size_t e = 0; e < edges_.size(); ++e) {
    if (e == own || known_down(e)) continue;
    const std::uint64_t weight = sim::mix64(user ^ sim::mix64(e + 0x9E3779B97F4A7C15ULL));
    if (best == own || weight > heaviest) {
      best = e;
      heaviest = weight;
    }
  }
  return best;
}

void Cdn::on_request(Request& request) {
  ++stats_.counters.arrivals;
  request.arrived = now();
  const Choice choice = edge_for(request);
  const std::size_t e = choice.edge;
  Edge& edge = edges_[e];
  // The request is at that replica: its calls to the origin go from it.
  request.instance = static_cast<std::int32_t>(e);
  count(edge, [](Counters& c) { ++c.requests; });
  if (choice.failed_over) [[unlikely]]
    count(edge, [](Counters& c) { ++c.failed_over; });
  if (edge.down) [[unlikely]] {
    ++stats_.counters.rejected;
    request.failure = crashed_;
    reply(request);
    return;
  }
  stats_.in_system.add(now(), +1);
  ++edge.held;
  if (!cached(request)) {
    count(edge, [](Counters& c) {
      ++c.passed_through;
      ++c.origin_requests;
    });
    to_origin(request);
    return;
  }
  look_up(edge, request);
}

void Cdn::to_origin(Request& request) {
  request.held_by = mark_;
  call(origin_, request);
}

void Cdn::look_up(Edge& edge, Request& request) {
  const std::uint64_t id = object(request);
  const CacheStore::Lookup found = edge.store->lookup(id, now());
  removed(edge, found.removed);
  ByOperation& op = by_operation_[request.operation];  // a static operation: below static_.size()
  ++op.lookups;
  if (found.hit()) ++op.hits;
  if (found.hit()) {
    count(edge, [](Counters& c) {
      ++c.lookups;
      ++c.hits;
      ++c.offloaded;
    });
    request.version = found.entry->version;
    // The size is counted as served when the hit is answered.
    std::uint32_t hit = free_hit_;
    if (hit == kNoHit) {
      hit = static_cast<std::uint32_t>(hits_.size());
      hits_.push_back(Hit{});
    } else {
      free_hit_ = hits_[hit].next_free;
    }
    hits_[hit] = Hit{&request, found.entry->size_bytes, kNoHit};
    sim::Time took = hit_time_.draw(rng_);
    if (slow_.any()) [[unlikely]] took = slow_.stretch(took, static_cast<std::size_t>(&edge - edges_.data()));
    context_.engine.post_in(took, sim::Phase::Departure, this, kHitDone, hit);
    return;
  }
  count(edge, [](Counters& c) {
    ++c.lookups;
    ++c.misses;
  });
  if (coalesce_ && !edge.flights.join(id, request)) {
    // A fetch of this object is out from this edge already: it waits for its answer.
    request.held_by = mark_;
    count(edge, [](Counters& c) {
      ++c.coalesced;
      ++c.offloaded;
    });
    return;
  }
  count(edge, [](Counters& c) {
    ++c.fetches;
    ++c.origin_requests;
  });
  to_origin(request);
}

void Cdn::on_timer(std::uint32_t kind, std::uint64_t data) {
  if (kind == kCrashKnown) {
    // The fault timeline hears of it as the crash's detection (a timer of
    // an earlier crash, the edge having recovered since, finds it not yet known).
    if (known_down(static_cast<std::size_t>(data)))
      context_.detections.detected(*this, static_cast<std::int32_t>(data), *this, now());
    return;
  }
  assert(kind == kHitDone && data < hits_.size());
  const auto slot = static_cast<std::uint32_t>(data);
  const Hit hit = hits_[slot];
  hits_[slot] = Hit{nullptr, 0, free_hit_};
  free_hit_ = slot;
  if (hit.request == nullptr) return;  // a crash of its edge failed it already
  Request& request = *hit.request;
  Edge& edge = edges_[static_cast<std::size_t>(request.instance)];
  const std::uint64_t size = hit.size;
  count(edge, [size](Counters& c) {
    c.bytes_served += size;
    c.bytes_from_edge += size;
    c.bytes_offloaded += size;
  });
  request.hit = true;
  leave(edge, request);
  answer(request);
}

void Cdn::on_reply(Request& call) {
  Request& request = *call.parent;
  assert(request.held_by == mark_);
  Edge& edge = edges_[static_cast<std::size_t>(request.instance)];
  if (cached(request)) {
    fetched(edge, request, call);
  } else {
    request.take_reply_from(call);
    leave(edge, request);
    answer(request);
  }
  context_.requests.release(call);
}

void Cdn::fetched(Edge& edge, Request& request, const Request& call) {
  const std::uint64_t id = object(request);
  const std::uint32_t size = value_size_.size_of(id, size_salt_);
  if (call.failure) {
    count(edge, [](Counters& c) { ++c.fetch_failures; });
  } else {
    count(edge, [size](Counters& c) { c.bytes_from_origin += size; });
    // An answer to a fetch sent before a purge predates it: not stored.
    if (call.created >= edge.purged) fill(edge, id, call.version, size);
  }
  const auto relay = [&](Request& r) {
    r.take_failure_from(call);
    r.version = call.version;
    r.hit = false;
    if (!call.failure) {
      // The fetch's parent brought its bytes from the origin; those that shared it did not.
      const bool shared = &r != &request;
      count(edge, [size, shared](Counters& c) {
        c.bytes_served += size;
        if (shared) c.bytes_offloaded += size;
      });
    }
    leave(edge, r);
    answer(r);
  };
  // The fetch's parent first, then those that waited on it, in turn.
  relay(request);
  if (coalesce_) edge.flights.land(id, relay);
}

void Cdn::fill(Edge& edge, std::uint64_t id, std::uint64_t version, std::uint32_t size) {
  const CacheStore::Insert stored = edge.store->insert(id, version, size, now(), ttl_);
  removed(edge, stored.removed);
  levels(edge);
}

void Cdn::removed(Edge& edge, std::span<const RemovedEntry> entries) {
  if (entries.empty()) return;
  for (const RemovedEntry& e : entries) {
    if (e.reason == Removal::Evicted) count(edge, [](Counters& c) { ++c.evictions; });
    else if (e.reason == Removal::Expired) count(edge, [](Counters& c) { ++c.expirations; });
  }
  levels(edge);
}

void Cdn::levels(Edge& edge) {
  const CacheCounters& c = edge.store->counters();
  keys_held_ = keys_held_ - edge.keys_held + c.resident_keys;
  bytes_held_ = bytes_held_ - edge.bytes_held + c.bytes_held;
  edge.keys_held = c.resident_keys;
  edge.bytes_held = c.bytes_held;
  keys_.set(now(), static_cast<std::int64_t>(keys_held_));
  bytes_.set(now(), static_cast<std::int64_t>(bytes_held_));
}

void Cdn::leave(Edge& edge, Request& request) {
  request.held_by = 0;
  --edge.held;
}

void Cdn::answer(Request& request) {
  stats_.depart(now(), request, context_.callers_may_give_up);
  reply(request);
}

bool Cdn::on_fault(const FaultAction& action) {
  // One edge (NAME[i]) or every edge.
  const auto each = [this, &action](auto f) {
    if (action.replica >= 0) f(static_cast<std::size_t>(action.replica));
    else
      for (std::size_t e = 0; e < edges_.size(); ++e) f(e);
  };
  switch (action.kind) {
    case FaultAction::Kind::Crash:
      each([this](std::size_t e) { crash(e); });
      return true;
    case FaultAction::Kind::Recover:
      each([this](std::size_t e) {
        edges_[e].down = false;
        edges_[e].known_down_at = sim::Time::max();
      });
      return true;
    case FaultAction::Kind::Flush:
      each([this](std::size_t e) { purge(e); });
      return true;
    case FaultAction::Kind::SlowDown:
      slow_.set(action, edges_.size());  // its hits; a miss's time is the origin's
      return true;
    default:
      return false;
  }
}

void Cdn::crash(std::size_t e) {
  Edge& edge = edges_[e];
  if (edge.down) return;
  // Registered before the run by the fault timeline that planned the crash.
  crashed_ = context_.failures.intern("crashed");
  edge.down = true;
  if (failover_after_) {
    edge.known_down_at = now() + *failover_after_;
    context_.engine.post_in(*failover_after_, sim::Phase::Timer, this, kCrashKnown, e);
  }
  context_.callers_may_give_up = true;
  // What the edge holds: its hits under way (their ends, when they come,
  // find them gone), then the requests waiting on the origin, in the
  // request pool's fixed order (the answers to their calls will find them
  // gone: they are dropped, and fill nothing).
  std::vector<Request*> held;
  for (Hit& hit : hits_)
    if (hit.request != nullptr && static_cast<std::size_t>(hit.request->instance) == e) {
      held.push_back(hit.request);
      hit.request = nullptr;
    }
  context_.requests.for_each([&](Request& r) {
    if (r.held_by == mark_ && static_cast<std::size_t>(r.instance) == e) {
      r.disown_calls();
      held.push_back(&r);
    }
  });
  assert(static_cast<std::int64_t>(held.size()) == edge.held);
  for (Request* r : held) {
    r->failure = crashed_;
    leave(edge, *r);
    answer(*r);
  }
  edge.flights.clear();
  edge.store->flush();
  levels(edge);
}

void Cdn::purge(std::size_t e) {
  Edge& edge = edges_[e];
  ++purges_;
  edge.store->flush();
  // The fetches under way still answer those that wait for them, but fill nothing.
  edge.purged = now();
  levels(edge);
}

void Cdn::on_window_begin(sim::Time) {
  for (Edge& edge : edges_) edge.window = edge.counters;
  window_by_operation_ = by_operation_;
}

void Cdn::check_invariants() const {
  Component::check_invariants();
  std::int64_t held = 0;
  Counters sum;
  std::uint64_t keys = 0, bytes = 0;
  for (const Edge& edge : edges_) {
    const Counters& c = edge.counters;
    const CacheCounters& s = edge.store->counters();
    edge.store->check_invariants_spaced(now() >= context_.end);  // a walk of every entry: spaced out
    assert(edge.held >= 0);
    assert(c.failed_over <= c.requests && (failover_after_ || c.failed_over == 0));
    assert(c.lookups == s.lookups && c.hits == s.hits && c.misses == s.misses);
    assert(c.evictions == s.evictions && c.expirations == s.expirations);
    // Every miss made a fetch or waited for one; every fetch and pass-through reached the origin.
    assert(c.misses == c.fetches + c.coalesced);
    assert(c.offloaded == c.hits + c.coalesced);
    assert(c.origin_requests == c.fetches + c.passed_through);
    assert(c.bytes_served == c.bytes_offloaded + c.bytes_from_origin);
    assert(edge.keys_held == s.resident_keys && edge.bytes_held == s.bytes_held);
    held += edge.held;
    sum.add(c);
    keys += edge.keys_held;
    bytes += edge.bytes_held;
  }
  assert(sum == total_);
  std::uint64_t lookups = 0;
  for (const ByOperation& op : by_operation_) lookups += op.lookups;
  assert(lookups == total_.lookups);
  (void)lookups;
  assert(keys == keys_held_ && bytes == bytes_held_);
  assert(held == stats_.in_system.value());
  (void)held;
  (void)keys;
  (void)bytes;
}

}  // namespace archsim::models
