#include "models/runtime/fault_kind.h"

#include <cassert>

#include "models/format/params.h"
#include "models/runtime/component.h"

namespace archsim::models {

using spec::Json;
using spec::Spec;

namespace {

// The key that names the kind of an entry (the variant's tag), which no
// kind's configuration reads.
constexpr const char* kTag = "action";

// A time stretched: k times as long, plus a delay (a slowed service, a
// slowed link).
struct StretchConfig {
  double factor = 1;
  double added_ms = 0;
};

struct CutLinkConfig {
  CutMode mode = CutMode::FailFast;  // in the order of the declaration's choices
};

struct LossyLinkConfig {
  double loss_fraction = 0;
};

struct FailConfig {
  double fraction = 0;
};

struct ReshardConfig {
  std::int64_t shards = 1;
};

// `factor` and `added_ms`, with their lines of meaning.
void declare_stretch(Spec& declaration, const std::string& factor, const std::string& added) {
  declaration.optional("factor", Spec::number(factor).greater_than(0).max(1e6).default_value(1))
      .to(&StretchConfig::factor)
      .optional("added_ms", Spec::number(added).unit("ms").min(0).max(kMaxMilliseconds).default_value(0))
      .to(&StretchConfig::added_ms);
  declaration.check([](const Json& value, const spec::Path& path, spec::Errors& errors) {
    if (value["factor"].get<double>() == 1 && value["added_ms"].get<double>() == 0)
      errors.add(path, "changes nothing as given: set a factor other than 1, an added_ms above 0, or both");
  });
}

// Hands `action` to the component an entry reaches; the scenario checks
// made sure its type takes it.
void hand_over(const FaultReach& reach, FaultAction action) {
  assert(reach.component != nullptr);
  action.replica = reach.replica;
  const bool taken = reach.component->on_fault(action);
  assert(taken && "validation admits only the actions a type lists");
  (void)taken;
}

std::vector<std::string> no_causes(const Json&) { return {}; }

// A router's shards in use grow or shrink at one instant, by `shards`.
FaultKind reshard_fault(std::string name, std::string summary, std::string count, FaultAction::Kind action) {
  FaultKind k;
  k.name = std::move(name);
  k.summary = std::move(summary);
  k.aim = FaultKind::Aim::Component;
  k.instant = true;
  k.declare = [count](Spec& declaration) {
    declaration.optional("shards", Spec::integer(count).min(1).max(1000).default_value(1)).to(&ReshardConfig::shards);
  };
  k.causes = no_causes;
  k.prepare = [action](const Json& entry, const spec::Node& declaration) {
    const auto c = spec::read_part<ReshardConfig>(entry, declaration, kTag);
    FaultEffect e;
    e.begin = [action, c](const FaultReach& reach) { hand_over(reach, FaultAction{action, -1, 1, {}, c.shards}); };
    return e;
  };
  return k;
}

}  // namespace

FaultKind crash_fault() {
  FaultKind k;
  k.name = "crash";
  k.summary = "A component, or one replica, stops: what it holds fails at once and what reaches it is refused (crashed)";
  k.aim = FaultKind::Aim::Component;
  k.until_meaning = "When it comes back, empty; without until_s it stays down to the end of the run";
  k.declare = [](Spec&) {};
  k.causes = no_causes;  // its type's: a service's is crashed
  k.prepare = [](const Json&, const spec::Node&) {
    FaultEffect e;
    e.begin = [](const FaultReach& reach) { hand_over(reach, FaultAction{FaultAction::Kind::Crash, -1, 1, {}}); };
    e.end = [](const FaultReach& reach) { hand_over(reach, FaultAction{FaultAction::Kind::Recover, -1, 1, {}}); };
    return e;
  };
  return k;
}

FaultKind slow_down_fault() {
  FaultKind k;
  k.name = "slow_down";
  k.summary = "A component, or one replica, works slower: each compute step begun takes factor times its drawn time plus added_ms";
  k.aim = FaultKind::Aim::Component;
  k.until_meaning = "When it is back at normal speed; without until_s it stays slow to the end of the run";
  k.declare = [](Spec& declaration) {
    declare_stretch(declaration, "Each compute step begun takes this many times its drawn time",
                    "Added to each compute step begun");
  };
  k.causes = no_causes;
  k.prepare = [](const Json& entry, const spec::Node& declaration) {
    const auto c = spec::read_part<StretchConfig>(entry, declaration, kTag);
    FaultEffect e;
    e.begin = [c](const FaultReach& reach) {
      hand_over(reach, FaultAction{FaultAction::Kind::SlowDown, -1, c.factor, sim::Time::from_ms(c.added_ms)});
    };
    e.end = [](const FaultReach& reach) { hand_over(reach, FaultAction{FaultAction::Kind::SlowDown, -1, 1, {}}); };
    return e;
  };
  return k;
}

FaultKind fail_fault() {
  FaultKind k;
  k.name = "fail";
  k.summary = "A component, or one replica, fails a fraction of the requests reaching it at once (error), each drawn "
              "apart, without working on them";
  k.aim = FaultKind::Aim::Component;
  k.until_meaning = "When it stops failing requests; without until_s it fails them to the end of the run";
  k.declare = [](Spec& declaration) {
    declaration
        .required("fraction", Spec::number("Fraction of the requests reaching it that fail at once, each drawn apart")
                                  .unit("fraction")
                                  .greater_than(0)
                                  .max(1))
        .to(&FailConfig::fraction);
  };
  k.causes = no_causes;  // its type's: a service's is error
  k.prepare = [](const Json& entry, const spec::Node& declaration) {
    const auto c = spec::read_part<FailConfig>(entry, declaration, kTag);
    FaultEffect e;
    e.begin = [c](const FaultReach& reach) {
      FaultAction a{FaultAction::Kind::Fail, -1, 1, {}};
      a.fraction = c.fraction;
      hand_over(reach, a);
    };
    e.end = [](const FaultReach& reach) { hand_over(reach, FaultAction{FaultAction::Kind::Fail, -1, 1, {}}); };
    return e;
  };
  return k;
}

FaultKind flush_fault() {
  FaultKind k;
  k.name = "flush";
  k.summary = "A cache empties its store at an instant (a restart with its data written back, a FLUSHALL): every "
              "key misses next";
  k.aim = FaultKind::Aim::Component;
  k.instant = true;
  k.declare = [](Spec&) {};
  k.causes = no_causes;
  k.prepare = [](const Json&, const spec::Node&) {
    FaultEffect e;
    e.begin = [](const FaultReach& reach) { hand_over(reach, FaultAction{FaultAction::Kind::Flush, -1, 1, {}}); };
    return e;
  };
  return k;
}

FaultKind add_shard_fault() {
  return reshard_fault("add_shard",
                       "A router puts more of its listed shards in use, the next ones of its list; the keys whose "
                       "shard changes are counted",
                       "How many shards join", FaultAction::Kind::AddShard);
}

FaultKind remove_shard_fault() {
  return reshard_fault("remove_shard",
                       "A router stops using its last shards in use; their keys go to the others, and the keys whose "
                       "shard changes are counted",
                       "How many shards leave; at least one stays", FaultAction::Kind::RemoveShard);
}

FaultKind cut_link_fault() {
  FaultKind k;
  k.name = "cut_link";
  k.summary = "The messages between two ends are refused (their requests fail at once, link_down) or lost";
  k.aim = FaultKind::Aim::Links;
  k.until_meaning = "When the link is restored; without until_s it stays cut to the end of the run";
  k.declare = [](Spec& declaration) {
    declaration
        .optional("mode", Spec::enumeration("fail: a message is refused and whoever waits for its reply gets it at once, "
                                            "failed with link_down; lose: it is lost, and only a timeout ends the wait",
                                            {"fail", "lose"})
                              .default_value("fail"))
        .to(&CutLinkConfig::mode);
  };
  k.causes = [](const Json& entry) {
    return entry["mode"] == "fail" ? std::vector<std::string>{"link_down"} : std::vector<std::string>{};
  };
  k.prepare = [](const Json& entry, const spec::Node& declaration) {
    const auto c = spec::read_part<CutLinkConfig>(entry, declaration, kTag);
    FaultEffect e;
    e.begin = [c](const FaultReach& r) { r.network->cut(r.from, r.to, r.ways, c.mode); };
    e.end = [](const FaultReach& r) { r.network->restore(r.from, r.to, r.ways, LinkFault::Cut); };
    return e;
  };
  return k;
}

FaultKind slow_link_fault() {
  FaultKind k;
  k.name = "slow_link";
  k.summary = "The messages between two ends take longer: each one's drawn latency times factor, plus added_ms";
  k.aim = FaultKind::Aim::Links;
  k.until_meaning = "When the link is back at its own latency; without until_s it stays slow to the end of the run";
  k.declare = [](Spec& declaration) {
    declare_stretch(declaration, "Each message's drawn latency is multiplied by this", "Added to each message's latency");
  };
  k.causes = no_causes;
  k.prepare = [](const Json& entry, const spec::Node& declaration) {
    const auto c = spec::read_part<StretchConfig>(entry, declaration, kTag);
    FaultEffect e;
    e.begin = [c](const FaultReach& r) {
      r.network->slow(r.from, r.to, r.ways, c.factor, sim::Time::from_ms(c.added_ms));
    };
    e.end = [](const FaultReach& r) { r.network->restore(r.from, r.to, r.ways, LinkFault::Slow); };
    return e;
  };
  return k;
}

FaultKind lossy_link_fault() {
  FaultKind k;
  k.name = "lossy_link";
  k.summary = "Each message between two ends is lost with a probability; only a timeout ends the wait for it";
  k.aim = FaultKind::Aim::Links;
  k.until_meaning = "When the link stops losing messages; without until_s it stays lossy to the end of the run";
  k.declare = [](Spec& declaration) {
    declaration
        .required("loss_fraction", Spec::number("Fraction of the messages lost, each drawn apart").greater_than(0).max(1))
        .to(&LossyLinkConfig::loss_fraction);
  };
  k.causes = no_causes;
  k.prepare = [](const Json& entry, const spec::Node& declaration) {
    const auto c = spec::read_part<LossyLinkConfig>(entry, declaration, kTag);
    FaultEffect e;
    e.begin = [c](const FaultReach& r) { r.network->make_lossy(r.from, r.to, r.ways, c.loss_fraction); };
    e.end = [](const FaultReach& r) { r.network->restore(r.from, r.to, r.ways, LinkFault::Loss); };
    return e;
  };
  return k;
}

}  // namespace archsim::models
