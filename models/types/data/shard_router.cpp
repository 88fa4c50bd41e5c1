#include "models/types/data/shard_router.h"

#include <algorithm>
#include <cassert>

namespace archsim::models {

using spec::Json;
using spec::Spec;

namespace {
constexpr std::uint64_t kMaxKeysCounted = 10'000'000;  // beyond, keys are counted at an even stride
constexpr std::size_t kMaxShardSeries = 100;            // beyond, the shards have no series columns of their own
}

spec::NodeRef shard_router_spec() {
  static const spec::NodeRef node = [] {
    using Config = ShardRouterConfig;
    Spec router = Spec::object("Sends each request to the shard that owns its key, and relays the reply");
    router.required("name", Spec::string("Unique name of the component").max_length(100))
        .to(&Config::name)
        .required("shards", Spec::array("The shards, in order; each holds the keys mapped to it",
                                        Spec::reference("A shard", "callable").calls())
                                .items(1, 1000))
        .store<Config>([](const Json& v, Config& c) {
          for (const auto& s : v) c.shards.push_back(s.get<std::string>());
        })
        .optional("strategy", Spec::enumeration("How a key finds its shard: its hash modulo the shards in use, split "
                                                "points on the key, or consistent hashing",
                                                {"hash_mod", "range", "consistent_hash"})
                                  .default_value("consistent_hash"))
        .store<Config>([](const Json& v, Config& c) {
          c.strategy = v == "hash_mod" ? Config::Strategy::HashMod
                       : v == "range"  ? Config::Strategy::Range
                                       : Config::Strategy::ConsistentHash;
        })
        .optional("virtual_nodes", Spec::integer("Points of each shard on the ring (consistent_hash)").min(1).max(10000))
        .store<Config>([](const Json& v, Config& c) { c.virtual_nodes = v.get<std::int64_t>(); })
        .optional("split_points", Spec::array("Keys where each shard after the first begins, ascending (range): shard i "
                                              "holds [split i-1, split i)",
                                              Spec::integer("A key").min(1).max(9.2e18))
                                      .items(1, 999))
        .store<Config>([](const Json& v, Config& c) {
          for (const auto& p : v) c.split_points.push_back(p.get<std::uint64_t>());
        })
        .optional("active_shards", Spec::integer("Shards in use at the start, the first of the list; the others join "
                                                 "when the shards grow (by default all)")
                                       .min(1)
                                       .max(1000))
        .store<Config>([](const Json& v, Config& c) { c.active_shards = v.get<std::int64_t>(); });
    router.check([](const Json& v, const spec::Path& path, spec::Errors& errors) {
      const auto& shards = v["shards"];
      for (std::size_t i = 0; i < shards.size(); ++i)
        for (std::size_t j = 0; j < i; ++j)
          if (shards[i] == shards[j]) errors.add((path / "shards")[i], shards[i].dump() + " is listed twice");
      const std::string strategy = v.value("strategy", "consistent_hash");
      if (v.contains("virtual_nodes") && strategy != "consistent_hash")
        errors.add(path / "virtual_nodes", "is used by consistent_hash only; remove it, or set strategy to consistent_hash");
      if (strategy == "range") {
        if (!v.contains("split_points")) {
          errors.add(path, "a range strategy needs split_points: " + std::to_string(shards.size() - 1) +
                               " keys where each shard after the first begins");
        } else {
          const auto& points = v["split_points"];
          if (points.size() + 1 != shards.size())
            errors.add(path / "split_points", "needs one point per shard after the first: " +
                                                  std::to_string(shards.size() - 1) + " for " +
                                                  std::to_string(shards.size()) + " shards, got " +
                                                  std::to_string(points.size()));
          for (std::size_t i = 1; i < points.size(); ++i)
            if (points[i].get<std::uint64_t>() <= points[i - 1].get<std::uint64_t>())
              errors.add((path / "split_points")[i], "must be above the point before it (" + points[i - 1].dump() +
                                                         "): the ranges must follow one another");
        }
        if (v.contains("active_shards") && v["active_shards"].get<std::size_t>() != shards.size())
          errors.add(path / "active_shards", "a range strategy uses every shard its split points name");
      } else if (v.contains("split_points")) {
        errors.add(path / "split_points", "is used by range only; remove it, or set strategy to range");
      }
      if (v.contains("active_shards") && v["active_shards"].get<std::size_t>() > shards.size())
        errors.add(path / "active_shards", "is more than the " + std::to_string(shards.size()) + " shards listed");
    });
    return router.build();
  }();
  return node;
}

namespace {

// The shards in use after each add_shard and remove_shard, in the order of
// the run: there must be a shard left to add and one left to keep.
void check_reshards(const Json& config, const std::vector<AimedAction>& actions, spec::Errors& errors) {
  const std::size_t listed = config["shards"].size();
  std::size_t active = config.contains("active_shards") ? config["active_shards"].get<std::size_t>() : listed;
  const std::string name = "\"" + config["name"].get<std::string>() + "\"";
  for (const auto& a : actions) {
    const Json& entry = *a.entry;
    const std::string action = entry["action"].get<std::string>();
    if (action != "add_shard" && action != "remove_shard") continue;
    if (config.value("strategy", "consistent_hash") == "range") {
      errors.add(a.path / "target", name + " routes by range: its split points fix its shards; " + action +
                                        " needs strategy hash_mod or consistent_hash");
      continue;
    }
    const auto n = entry["shards"].get<std::size_t>();
    const std::string when = action + " at " + spec::format_number(entry["at_s"].get<double>()) + " s: ";
    const std::string in_use = std::to_string(active) + " of its " + std::to_string(listed) + " shards in use";
    if (action == "add_shard") {
      if (active + n > listed) {
        errors.add(a.path, when + name + " has " + in_use + " by then, so " +
                               (active == listed ? std::string("there is no shard to add")
                                                 : "it can add " + std::to_string(listed - active) + ", not " +
                                                       std::to_string(n)) +
                               "; list the shards to add in its shards, after the first active_shards");
        continue;
      }
      active += n;
    } else {
      if (n >= active) {
        errors.add(a.path, when + name + " has " + in_use + " by then, so " +
                               (active == 1 ? std::string("there is none it can remove")
                                            : "it can remove " + std::to_string(active - 1) + ", not " +
                                                  std::to_string(n)) +
                               ": at least one shard stays in use");
        continue;
      }
      active -= n;
    }
  }
}

}  // namespace

ComponentType shard_router_type() {
  ComponentType t;
  t.name = "shard_router";
  t.summary = "Sends each request to the shard owning its key: hash mod N, ranges, or consistent hashing";
  t.spec = shard_router_spec();
  t.capabilities = {capability::kCallable};
  t.route = [](const Json& config, const std::string& operation, std::vector<Outflow>& out) {
    for (const auto& s : config["shards"]) out.push_back({s.get<std::string>(), operation});
    return true;
  };
  t.fault_actions = {{"add_shard", {}}, {"remove_shard", {}}};
  t.check_fault_actions = check_reshards;
  t.check = [](const Json& config, const std::vector<std::string>&, const ScenarioView& scenario,
                const spec::Path& path, spec::Errors& errors) {
    // Range shards past the last key would hold nothing.
    if (config.value("strategy", "consistent_hash") != "range" || !config.contains("split_points")) return;
    const std::uint64_t keys = scenario.key_space();
    const auto& points = config["split_points"];
    for (std::size_t i = 0; i < points.size(); ++i)
      if (points[i].get<std::uint64_t>() >= keys) {
        errors.add((path / "split_points")[i],
                   "is past the last key (" + std::to_string(keys - 1) + ": the workloads' keys run from 0 to " +
                       std::to_string(keys - 1) + "), so shard " + config["shards"][i + 1].get<std::string>() +
                       " would hold no key; lower the split points, or add keys to the workloads");
        return;
      }
  };
  t.make = factory<ShardRouter, ShardRouterConfig>(shard_router_spec);
  return t;
}

ShardRouter::ShardRouter(ShardRouterConfig config, Context& context)
    : Component(config.name, context),
      strategy_(config.strategy),
      split_points_(std::move(config.split_points)),
      active_(config.active_shards > 0 ? static_cast<std::size_t>(config.active_shards) : config.shards.size()),
      ring_(static_cast<std::size_t>(config.virtual_nodes)),
      sent_(config.shards.size(), 0),
      window_sent_(config.shards.size(), 0) {
  for (auto& s : config.shards) shards_.emplace_back(DependencyConfig{std::move(s), "", std::nullopt});
  for (std::size_t i = 0; i < active_; ++i) ring_.add(static_cast<std::uint32_t>(i), shards_[i].target_name());
  metrics_.extra("active_shards", [this](sim::Time, sim::Time) { return Json(active_); });
  metrics_.extra("shards", [this](sim::Time start, sim::Time end) {
    Json out = Json::array();
    std::uint64_t total = 0;
    for (std::size_t i = 0; i < sent_.size(); ++i) total += sent_[i] - window_sent_[i];
    const double seconds = (end - start).to_s();
    for (std::size_t i = 0; i < sent_.size(); ++i) {
      const std::uint64_t n = sent_[i] - window_sent_[i];
      out.push_back(Json{{"name", shards_[i].target_name()},
                         {"requests", n},
                         {"rate_qps", seconds > 0 ? static_cast<double>(n) / seconds : 0.0},
                         {"share", total > 0 ? static_cast<double>(n) / static_cast<double>(total) : 0.0}});
    }
    return out;
  });
  metrics_.extra("reshards", [this](sim::Time, sim::Time) {
    Json out = Json::array();
    for (const auto& r : reshards_)
      out.push_back(Json{{"at_s", r.at.to_s()},
                         {"from_shards", r.from},
                         {"to_shards", r.to},
                         {"keys_counted", r.keys_counted},
                         {"keys_moved", r.keys_moved},
                         {"moved_fraction", r.keys_counted > 0 ? static_cast<double>(r.keys_moved) /
                                                                     static_cast<double>(r.keys_counted)
                                                               : 0.0}});
    return out;
  });
  // Interval by interval, where the keys go: a reshard shows as traffic
  // moving between the shards' columns.
  if (sent_.size() > kMaxShardSeries) return;
  for (std::size_t i = 0; i < sent_.size(); ++i) {
    metrics_.rate("shards[" + std::to_string(i) + "].rate_qps", "requests/s", "Requests sent to this shard, per second",
                  &sent_[i]);
    metrics_.series_only();
  }
}

void ShardRouter::connect(Wiring& wiring) {
  for (auto& s : shards_) s.connect(*this, wiring);
}

std::size_t ShardRouter::shard_with(std::uint64_t key, std::size_t active, const HashRing& ring) const {
  switch (strategy_) {
    case ShardRouterConfig::Strategy::HashMod:
      return static_cast<std::size_t>(HashRing::key_hash(key) % active);
    case ShardRouterConfig::Strategy::Range:
      return static_cast<std::size_t>(std::upper_bound(split_points_.begin(), split_points_.end(), key) -
                                      split_points_.begin());
    case ShardRouterConfig::Strategy::ConsistentHash:
      break;
  }
  return ring.owner(key);
}

std::size_t ShardRouter::shard_of(std::uint64_t key) const { return shard_with(key, active_, ring_); }

void ShardRouter::reshard(std::size_t active) {
  assert(active >= 1 && active <= shards_.size());
  assert(strategy_ != ShardRouterConfig::Strategy::Range);
  if (active == active_) return;
  HashRing next(ring_.virtual_nodes());
  for (std::size_t i = 0; i < active; ++i) next.add(static_cast<std::uint32_t>(i), shards_[i].target_name());
  // Count the keys whose shard changes: every key of the key space, or an
  // even sample of it when it is large.
  Reshard r{now(), active_, active, 0, 0};
  const std::uint64_t space = std::max<std::uint64_t>(context_.key_space, 1);
  const std::uint64_t stride = space > kMaxKeysCounted ? space / kMaxKeysCounted : 1;
  for (std::uint64_t k = 0; k < space; k += stride) {
    ++r.keys_counted;
    if (shard_with(k, active_, ring_) != shard_with(k, active, next)) ++r.keys_moved;
  }
  reshards_.push_back(r);
  ring_ = std::move(next);
  active_ = active;
}

bool ShardRouter::on_fault(const FaultAction& action) {
  if (action.kind != FaultAction::Kind::AddShard && action.kind != FaultAction::Kind::RemoveShard) return false;
  // Validation followed the timeline's actions: a shard to add, one to keep.
  const auto n = static_cast<std::size_t>(action.shards);
  assert(n >= 1 && action.replica < 0);
  if (action.kind == FaultAction::Kind::AddShard) {
    assert(active_ + n <= shards_.size() && "validation counts the shards left to add");
    reshard(active_ + n);
  } else {
    assert(n < active_ && "validation keeps one shard in use");
    reshard(active_ - n);
  }
  return true;
}

void ShardRouter::on_request(Request& request) {
  ++stats_.counters.arrivals;
  request.arrived = now();
  stats_.in_system.add(now(), +1);
  const std::size_t i = shard_of(request.key);
  ++sent_[i];
  call(shards_[i], request);
}

void ShardRouter::on_reply(Request& call) {
  Request& request = *call.parent;
  request.take_reply_from(call);
  context_.requests.release(call);
  stats_.depart(now(), request, context_.callers_may_give_up);
  reply(request);
}

void ShardRouter::on_window_begin(sim::Time) { window_sent_ = sent_; }

}  // namespace archsim::models
