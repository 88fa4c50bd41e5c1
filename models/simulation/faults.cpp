#include "models/simulation/faults.h"

#include <algorithm>
#include <cassert>

#include "models/runtime/network.h"
#include "models/simulation/catalog.h"
#include "models/simulation/simulation.h"

namespace archsim::models {

using spec::Json;
using spec::Spec;

namespace {

// The key that names an entry's kind of action.
constexpr const char* kTag = "action";

// What the timeline itself reads of an entry: when it happens, and what it
// reaches. The kind reads its own parameters (FaultKind::prepare).
struct FaultEntryConfig {
  double at_s = 0;
  std::optional<double> until_s;
  std::string target;
  std::string from, to;
  bool both_ways = true;
};

struct RecoveryConfig {
  double failed_ratio_max = 0.01;
  double stable_s = 5;
};

// The keys of an entry that are the timeline's; the others are its kind's
// parameters.
bool is_timeline_key(const std::string& key) {
  return key == kTag || key == "at_s" || key == "until_s" || key == "target" || key == "from" || key == "to" ||
         key == "both_ways";
}

const std::string kEndDoc =
    "a workload or component, one replica of a component as NAME[REPLICA] (web[2], counting from 0), or a place of "
    "network.places";

// The declaration of an entry of one kind: the timeline's keys, then the
// kind's own parameters.
spec::NodeRef entry_declaration(const FaultKind& kind) {
  Spec entry = Spec::object(kind.summary);
  entry.required("at_s", Spec::number(kind.instant ? "When the action happens" : "When the action begins")
                             .unit("s")
                             .min(0)
                             .max(sim::kMaxTimeSeconds))
      .to(&FaultEntryConfig::at_s);
  if (!kind.instant)
    entry.optional("until_s", Spec::number(kind.until_meaning).unit("s").greater_than(0).max(sim::kMaxTimeSeconds))
        .to(&FaultEntryConfig::until_s);
  if (kind.aim == FaultKind::Aim::Component) {
    entry.required("target", Spec::string("The component, or one replica of it as NAME[REPLICA] (web[2], counting from 0)")
                                 .max_length(120))
        .to(&FaultEntryConfig::target);
  } else {
    entry.required("from", Spec::string("One end: " + kEndDoc).max_length(120))
        .to(&FaultEntryConfig::from)
        .required("to", Spec::string("The other end: " + kEndDoc).max_length(120))
        .to(&FaultEntryConfig::to)
        .optional("both_ways", Spec::boolean("Whether the messages from `to` to `from` are reached too; false: only "
                                             "those from `from` to `to`")
                                   .default_value(true))
        .to(&FaultEntryConfig::both_ways);
  }
  kind.declare(entry);
  if (!kind.instant)
    entry.check([](const Json& value, const spec::Path& path, spec::Errors& errors) {
      if (!value.contains("until_s")) return;
      const double at = value["at_s"].get<double>(), until = value["until_s"].get<double>();
      // In the run's own time, whole nanoseconds: an end that rounds to its
      // start would come before it.
      if (sim::Time::from_s(until) <= sim::Time::from_s(at))
        errors.add(path / "until_s", std::string(until > at ? "must be at least a nanosecond" : "must be") +
                                         " later than at_s (" + spec::format_number(at) + " s), got " +
                                         spec::format_number(until));
    });
  return entry.build();
}

spec::NodeRef fault_spec() {
  static const spec::NodeRef node = [] {
    Spec fault = Spec::variant("An action of the fault timeline", kTag);
    fault.named("fault");
    for (const auto& kind : fault_kinds()) fault.alternative(kind.name, entry_declaration(kind));
    return fault.build();
  }();
  return node;
}

const spec::Node& declaration_of(const std::string& action) {
  for (const auto& [name, node] : fault_spec()->variants)
    if (name == action) return *node;
  assert(false && "a validated action has a declaration");
  return *fault_spec();
}

const spec::Node& recovery_spec() {
  for (const auto& field : faults_spec()->fields)
    if (field.name == "recovery") return *field.node;
  assert(false && "the faults section declares recovery");
  return *faults_spec();
}

std::string seconds(double s) { return spec::format_number(s) + " s"; }

}  // namespace

spec::NodeRef faults_spec() {
  static const spec::NodeRef node = [] {
    Spec recovery = Spec::object(
        "When the clients count as recovered after an action ends: once the share of their requests that fail is back "
        "at or under failed_ratio_max and stays there for stable_s");
    recovery
        .optional("failed_ratio_max", Spec::number("Largest share of the client requests ending in a reporting interval "
                                                   "that may fail (of any cause) for the interval to count as recovered")
                                          .min(0)
                                          .max(1)
                                          .default_value(0.01))
        .to(&RecoveryConfig::failed_ratio_max)
        .optional("stable_s", Spec::number("How long the share must stay at most failed_ratio_max, interval after "
                                           "interval, for the recovery to count")
                                  .unit("s")
                                  .greater_than(0)
                                  .max(sim::kMaxTimeSeconds)
                                  .default_value(5))
        .to(&RecoveryConfig::stable_s);
    Spec faults = Spec::object("Faults during the run: actions at given times, and how recovery after each is judged");
    faults.required("timeline", Spec::array("Actions, each from its at_s to its until_s (or the end of the run)",
                                            fault_spec())
                                    .items(1, 10000))
        .optional("recovery", recovery, Json{{"failed_ratio_max", 0.01}, {"stable_s", 5}});
    return faults.build();
  }();
  return node;
}

// ---- checks against the rest of the scenario ---------------------------------

namespace {

// One end of an action, resolved: a node as a whole, one replica, or a place.
struct ResolvedEnd {
  std::string node;  // empty for a place
  std::int32_t replica = -1;
  std::string place;
  // The same end whatever the spelling ("web[01]" is "web[1]").
  std::string key() const {
    if (!place.empty()) return "place " + place;
    return replica < 0 ? "node " + node : "node " + node + "[" + std::to_string(replica) + "]";
  }
};

// A valid entry, resolved, for the overlap check.
struct Checked {
  std::size_t index = 0;
  std::string action;
  double at = 0, until = 0;  // until: infinity when it lasts to the end
  bool lasts = false;        // until_s left out
  ResolvedEnd target;        // aimed at a component
  std::vector<std::pair<std::string, std::string>> directions;  // aimed at links: (from, to) keys reached
  std::string description;
  const Json* entry = nullptr;
  std::int64_t at_ns = 0;  // when the run takes it
};

class FaultChecks {
 public:
  FaultChecks(const std::vector<FaultCheckNode>& nodes, const std::vector<std::string>& places, spec::Errors& errors)
      : nodes_(nodes), places_(places), errors_(errors) {
    for (const auto& n : nodes) all_names_.push_back(n.name);
    end_names_ = all_names_;
    end_names_.insert(end_names_.end(), places.begin(), places.end());
  }

  // The component, or replica, an action aims at; none after an error (or
  // when the component has errors of its own, which are listed already).
  std::optional<ResolvedEnd> target(const std::string& text, const FaultKind& kind, const spec::Path& path) {
    const FaultCheckNode* node = find(text);
    std::int32_t replica = -1;
    if (node == nullptr) {
      const auto member = parse_place_member(text, false);
      if (member) node = find(member->node);
      const std::string name = member ? member->node : text;
      if (node == nullptr) {
        std::vector<std::string> candidates;
        for (const auto& n : nodes_)
          if (!n.workload && (n.type == nullptr || n.type->takes(kind.name))) candidates.push_back(n.name);
        errors_.add(path, "no component named \"" + name + "\"" + spec::did_you_mean_suffix(name, candidates));
        return std::nullopt;
      }
      replica = member->replica;
    }
    if (node->workload) {
      errors_.add(path, "\"" + node->name + "\" is a workload; " + kind.name + " aims at a component");
      return std::nullopt;
    }
    if (node->type == nullptr || !node->valid) return std::nullopt;
    if (!node->type->takes(kind.name)) {
      const auto types = types_taking(kind.name);
      std::string which = types.empty() ? "no type takes it yet" : "the types that do: ";
      for (std::size_t i = 0; i < types.size(); ++i) which += (i ? ", " : "") + types[i];
      errors_.add(path, "\"" + node->name + "\" is a " + node->type->name + ", which does not take the action " +
                            kind.name + " (" + which + ")");
      return std::nullopt;
    }
    if (replica >= 0 && !part_exists(*node, replica, text, path, true)) return std::nullopt;
    return ResolvedEnd{node->name, replica, ""};
  }

  // One end of an action on links: a node, a replica or a place.
  std::optional<ResolvedEnd> end(const std::string& text, const spec::Path& path) {
    if (const FaultCheckNode* node = find(text)) return ResolvedEnd{node->name, -1, ""};
    if (std::find(places_.begin(), places_.end(), text) != places_.end()) return ResolvedEnd{"", -1, text};
    const auto member = parse_place_member(text, false);
    const FaultCheckNode* node = member ? find(member->node) : nullptr;
    if (node == nullptr) {
      const std::string name = member ? member->node : text;
      errors_.add(path, "no workload, component or place named \"" + name + "\"" +
                            spec::did_you_mean_suffix(name, member ? all_names_ : end_names_));
      return std::nullopt;
    }
    if (node->workload) {
      errors_.add(path, "\"" + node->name + "\" is a workload, which has no replicas; name it as a whole: \"" +
                            node->name + "\"");
      return std::nullopt;
    }
    if (node->type == nullptr || !node->valid) return std::nullopt;
    if (!part_exists(*node, member->replica, text, path, false)) return std::nullopt;
    return ResolvedEnd{node->name, member->replica, ""};
  }

 private:
  const FaultCheckNode* find(const std::string& name) const {
    for (const auto& n : nodes_)
      if (n.name == name) return &n;
    return nullptr;
  }

  // Whether part `index` of a component can be named: one of the parts its
  // fault actions aim at (`aimed`), or one of its replicas (a link's end).
  bool part_exists(const FaultCheckNode& node, std::int32_t index, const std::string& text, const spec::Path& path,
                   bool aimed) {
    const bool has_parts = aimed ? static_cast<bool>(node.type->replicas || node.type->fault_targets)
                                 : static_cast<bool>(node.type->replicas);
    if (!has_parts) {
      errors_.add(path, "\"" + node.name + "\" is a " + node.type->name + ", which has no replicas; " +
                            (aimed ? "aim at it" : "name it") + " as a whole: \"" + node.name + "\"");
      return false;
    }
    const std::int64_t parts = aimed ? node.targets : node.replicas;
    const std::string noun = aimed ? node.target_noun : "replica";
    if (index >= parts) {
      errors_.add(path, "\"" + node.name + "\" has " + std::to_string(parts) + " " + noun + (parts == 1 ? "" : "s") +
                            " (" + node.name + "[0] to " + node.name + "[" + std::to_string(parts - 1) +
                            "]); there is no " + text);
      return false;
    }
    return true;
  }

  const std::vector<FaultCheckNode>& nodes_;
  const std::vector<std::string>& places_;
  spec::Errors& errors_;
  std::vector<std::string> all_names_, end_names_;
};

std::string describe(const Json& entry, const FaultKind& kind) {
  std::string text = kind.name;
  if (kind.aim == FaultKind::Aim::Component) {
    text += " of " + entry["target"].get<std::string>();
  } else {
    const std::string from = entry["from"].get<std::string>(), to = entry["to"].get<std::string>();
    text += entry["both_ways"].get<bool>() ? " between " + from + " and " + to : " from " + from + " to " + to;
  }
  text += " from " + seconds(entry["at_s"].get<double>());
  text += entry.contains("until_s") ? " to " + seconds(entry["until_s"].get<double>()) : " to the end of the run";
  return text;
}

bool same_target(const Checked& a, const Checked& b) {
  if (!a.directions.empty() || !b.directions.empty()) {
    for (const auto& d : a.directions)
      if (std::find(b.directions.begin(), b.directions.end(), d) != b.directions.end()) return true;
    return false;
  }
  // A whole component includes each of its replicas.
  return a.target.node == b.target.node &&
         (a.target.replica < 0 || b.target.replica < 0 || a.target.replica == b.target.replica);
}

}  // namespace

void check_faults(const Json& config, const std::vector<FaultCheckNode>& nodes, const std::vector<std::string>& places,
                  const std::function<bool(const std::string& path)>& has_error_under, spec::Errors& errors) {
  if (!config.contains("faults") || !config["faults"].is_object() || !config["faults"].contains("timeline") ||
      !config["faults"]["timeline"].is_array())
    return;
  const Json& timeline = config["faults"]["timeline"];
  const spec::Path root = spec::Path() / "faults" / "timeline";
  // The run's length, when it is known to be valid.
  const bool duration_known = config.contains("duration_s") && config["duration_s"].is_number() &&
                              !has_error_under("duration_s");
  const double duration = duration_known ? config["duration_s"].get<double>() : 0;
  // Places are known only when the network section is valid.
  const bool places_known = !has_error_under("network");
  FaultChecks checks(nodes, places, errors);
  std::vector<Checked> checked;
  for (std::size_t i = 0; i < timeline.size(); ++i) {
    const spec::Path path = root[i];
    if (has_error_under(path.str())) continue;
    const Json& entry = timeline[i];
    const FaultKind& kind = *find_fault_kind(entry[kTag].get<std::string>());
    Checked c;
    c.index = i;
    c.action = kind.name;
    c.at = entry["at_s"].get<double>();
    c.lasts = !entry.contains("until_s");
    c.until = c.lasts ? std::numeric_limits<double>::infinity() : entry["until_s"].get<double>();
    if (kind.instant) c.until = c.at;
    c.description = describe(entry, kind);
    c.entry = &entry;
    c.at_ns = sim::Time::from_s(c.at).ns;
    bool resolved = true;
    if (kind.aim == FaultKind::Aim::Component) {
      const auto target = checks.target(entry["target"].get<std::string>(), kind, path / "target");
      resolved = target.has_value();
      if (target) c.target = *target;
    } else if (!places_known) {
      resolved = false;
    } else {
      const auto from = checks.end(entry["from"].get<std::string>(), path / "from");
      const auto to = checks.end(entry["to"].get<std::string>(), path / "to");
      resolved = from && to;
      if (resolved && !from->node.empty() && from->node == to->node) {
        errors.add(path, "from and to are both \"" + from->node +
                             "\": no message goes from a node to itself (a place may be both ends: the links inside it)");
        resolved = false;
      }
      if (resolved) {
        c.directions.emplace_back(from->key(), to->key());
        if (entry["both_ways"].get<bool>()) c.directions.emplace_back(to->key(), from->key());
      }
    }
    if (duration_known) {
      if (sim::Time::from_s(c.at) >= sim::Time::from_s(duration)) {
        errors.add(path / "at_s", std::string(c.at < duration ? "must be at least a nanosecond" : "must be") +
                                      " before the end of the run (duration_s " + spec::format_number(duration) +
                                      "), got " + spec::format_number(c.at));
        resolved = false;
      } else if (!c.lasts && !kind.instant && c.until > duration) {
        errors.add(path / "until_s", "must be at most duration_s (" + spec::format_number(duration) + "), got " +
                                         spec::format_number(c.until) +
                                         "; leave until_s out for an action that lasts to the end of the run");
        resolved = false;
      }
    }
    // Only entries without problems are compared for overlaps.
    if (!resolved) continue;
    // Two actions of one kind on one target at once would undo each other:
    // the end of the first would end the second too.
    for (const auto& earlier : checked) {
      if (earlier.action != c.action || !same_target(earlier, c)) continue;
      if (earlier.at < c.until && c.at < earlier.until) {
        errors.add(path, "overlaps " + (root[earlier.index]).str() + " (" + earlier.description +
                             "): two actions of one kind must not be in force on one target at once; end the first "
                             "before the second begins");
        break;
      }
    }
    checked.push_back(std::move(c));
  }
  // Each component's actions, in the order the run takes them, for its
  // type's check of the sequence.
  std::stable_sort(checked.begin(), checked.end(), [](const Checked& a, const Checked& b) { return a.at_ns < b.at_ns; });
  for (const auto& node : nodes) {
    if (node.type == nullptr || !node.valid || !node.type->check_fault_actions) continue;
    std::vector<AimedAction> actions;
    for (const auto& c : checked)
      if (c.directions.empty() && c.target.node == node.name)
        actions.push_back(AimedAction{c.entry, root[c.index]});
    if (!actions.empty()) node.type->check_fault_actions(*node.config, actions, errors);
  }
}

// ---- the timeline of a run ---------------------------------------------------

namespace {
// The workloads whose requests can reach what an action reaches: its
// component, or both ends of its links; every workload when an end is a
// place, or when none can.
std::vector<std::uint32_t> clients_of(const FaultReach& reach, const std::vector<std::vector<const Node*>>& reached) {
  std::vector<const Node*> targets;
  if (reach.component != nullptr) {
    targets.push_back(reach.component);
  } else if (reach.from.node != nullptr && reach.to.node != nullptr) {
    targets = {reach.from.node, reach.to.node};
  }
  std::vector<std::uint32_t> clients;
  for (std::uint32_t w = 0; w < reached.size(); ++w) {
    bool all = !targets.empty();
    for (const Node* t : targets) all = all && std::find(reached[w].begin(), reached[w].end(), t) != reached[w].end();
    if (all) clients.push_back(w);
  }
  if (clients.empty())
    for (std::uint32_t w = 0; w < reached.size(); ++w) clients.push_back(w);
  return clients;
}
}  // namespace

FaultTimeline::FaultTimeline(const Json& faults, Simulation& simulation, FailureCauses& causes,
                             const Recorder& recorder)
    : recorder_(recorder) {
  const spec::Node& recovery_node = recovery_spec();
  if (faults.is_null()) {
    for (const auto& field : faults_spec()->fields)
      if (field.name == "recovery") recovery_ = field.effective_default();
  } else {
    recovery_ = faults.at("recovery");
  }
  const auto recovery = spec::read<RecoveryConfig>(recovery_, recovery_node, "");
  failed_ratio_max_ = recovery.failed_ratio_max;
  stable_ = sim::Time::from_s(recovery.stable_s);
  if (faults.is_null()) return;

  const Json& timeline = faults.at("timeline");
  entries_.reserve(timeline.size());
  // What each workload's requests can reach, for the clients of each action.
  std::vector<std::vector<const Node*>> reached;
  for (const Node* w : simulation.workloads()) {
    reached.push_back(simulation.network().reachable_from(*w));
    workload_names_.push_back(w->name());
  }
  for (const auto& item : timeline) {
    Entry e;
    e.kind = find_fault_kind(item.at(kTag).get<std::string>());
    assert(e.kind != nullptr);
    const spec::Node& declaration = declaration_of(e.kind->name);
    const auto c = spec::read_part<FaultEntryConfig>(item, declaration, kTag);
    e.effect = e.kind->prepare(item, declaration);
    e.at = sim::Time::from_s(c.at_s);
    if (c.until_s) e.until = sim::Time::from_s(*c.until_s);
    // What it reaches, by the names validation resolved.
    e.shown = Json::object();
    e.shown["action"] = e.kind->name;
    if (e.kind->aim == FaultKind::Aim::Component) {
      e.shown["target"] = c.target;
      Component* whole = simulation.component(c.target);
      if (whole != nullptr) {
        e.reach.component = whole;
      } else {
        const auto member = parse_place_member(c.target, false);
        assert(member);
        e.reach.component = simulation.component(member->node);
        e.reach.replica = member->replica;
      }
      assert(e.reach.component != nullptr);
      // The causes the action produces in this type.
      const ComponentType* type = find_component_type(e.reach.component->type());
      const FaultActionTaken* taken = type != nullptr ? type->takes(e.kind->name) : nullptr;
      assert(taken != nullptr && "validation admits only the actions a type takes");
      for (const auto cause : taken->causes) causes.intern(cause);
    } else {
      e.shown["from"] = c.from;
      e.shown["to"] = c.to;
      e.shown["both_ways"] = c.both_ways;
      Network& network = simulation.network();
      auto end_of = [&](const std::string& text) {
        if (Node* node = simulation.find_node(text)) return LinkEnd::of(*node);
        if (const auto place = network.place(text)) return LinkEnd::in(*place);
        const auto member = parse_place_member(text, false);
        assert(member && simulation.find_node(member->node) != nullptr);
        return LinkEnd::of(*simulation.find_node(member->node), member->replica);
      };
      e.reach.network = &network;
      e.reach.from = end_of(c.from);
      e.reach.to = end_of(c.to);
      e.reach.ways = c.both_ways ? Ways::BothWays : Ways::OneWay;
    }
    Json parameters = Json::object();
    for (const auto& [key, value] : item.items())
      if (!is_timeline_key(key)) parameters[key] = value;
    e.shown["parameters"] = parameters;
    for (const auto& cause : e.kind->causes(item)) causes.intern(cause);
    e.clients = clients_of(e.reach, reached);
    entries_.push_back(std::move(e));
  }
  simulation.detections().listen([this](const Node& target, std::int32_t replica, const Node& by, sim::Time at) {
    detected(target, replica, by, at);
  });
  // Ends first: at one instant, an action that ends leaves its target before
  // one that begins takes it (Simulation::at keeps the order of adding).
  for (std::size_t i = 0; i < entries_.size(); ++i)
    if (entries_[i].until) simulation.at(*entries_[i].until, [this, i](Simulation&) { end(entries_[i]); });
  for (std::size_t i = 0; i < entries_.size(); ++i)
    simulation.at(entries_[i].at, [this, i](Simulation&) { begin(entries_[i]); });
}

void FaultTimeline::begin(Entry& e) {
  e.at_start = totals(e);
  e.started = true;
  e.effect.begin(e.reach);
  if (e.kind->instant) {
    // What an instant does plays out after it (a flushed cache refills):
    // it is watched for the recovery from its instant, and its figures run
    // from there to the recovery.
    e.until = e.at;
    e.ended = true;
    e.watching = true;
    e.stretch_start = e.at;
    e.at_stretch_start = e.at_start;
  }
}

void FaultTimeline::end(Entry& e) {
  assert(e.started);
  e.effect.end(e.reach);
  e.ended = true;
  e.at_end = totals(e);
  e.watching = true;
  e.stretch_start = *e.until;
  e.at_stretch_start = e.at_end;
}

namespace {
// Whether a report of `target` (replica `replica`, -1: all of it) found down
// is about the part a fault reaches: a component (or a replica of it), or
// an end of a link.
bool reaches(const Node* node, std::int32_t fault_replica, const Node& target, std::int32_t replica) {
  return node == &target && (fault_replica < 0 || replica < 0 || fault_replica == replica);
}
}  // namespace

void FaultTimeline::detected(const Node& target, std::int32_t replica, const Node& by, sim::Time at) {
  for (auto& e : entries_) {
    // Only while it is in force: an instant's effect (a flush) leaves
    // nothing down to detect.
    if (!e.started || e.ended || e.detected_at) continue;
    const bool about = e.reach.component != nullptr
                           ? reaches(e.reach.component, e.reach.replica, target, replica)
                           : reaches(e.reach.from.node, e.reach.from.replica, target, replica) ||
                                 reaches(e.reach.to.node, e.reach.to.replica, target, replica);
    if (!about) continue;
    e.detected_at = at;
    e.detected_by = by.name();
  }
}

void FaultTimeline::interval_closed(sim::Time now) {
  for (auto& e : entries_) {
    if (!e.watching || now <= e.stretch_start) continue;
    const Tally totals = this->totals(e);
    const Tally stretch = totals.minus(e.at_stretch_start);
    const double ended = static_cast<double>(stretch.succeeded + stretch.failed_total());
    const bool good = static_cast<double>(stretch.failed_total()) <= failed_ratio_max_ * ended;
    if (!good) {
      e.good_since.reset();
    } else {
      if (!e.good_since) {
        e.good_since = e.stretch_start;
        e.at_good_since = e.at_stretch_start;
      }
      if (now - *e.good_since >= stable_) {
        e.recovered_at = e.good_since;
        e.watching = false;
      }
    }
    e.stretch_start = now;
    e.at_stretch_start = totals;
  }
}

Json FaultTimeline::results(sim::Time now, const FailureCauses& causes) const {
  Json out = Json::object();
  out["recovery"] = recovery_;
  Json timeline = Json::array();
  for (const auto& e : entries_) {
    Json j = e.shown;
    j["start_s"] = e.at.to_s();
    j["end_s"] = e.until ? Json(e.until->to_s()) : Json(nullptr);
    const sim::Time stop = e.ended ? *e.until : now;
    j["in_force_s"] = e.started ? (stop - e.at).to_s() : 0.0;
    const Tally until = e.kind->instant ? (e.recovered_at ? e.at_good_since : totals(e)) : e.at_end;
    const Tally t = e.started ? (e.ended ? until : totals(e)).minus(e.at_start) : Tally{};
    Json clients = Json::array();
    for (const std::uint32_t w : e.clients) clients.push_back(workload_names_[w]);
    j["clients"] = std::move(clients);
    j["offered"] = t.offered;
    j["completed"] = t.succeeded;
    Json failed = Json::object();
    failed["total"] = t.failed_total();
    for (std::size_t i = 1; i < causes.size(); ++i) failed[causes.name(Failure{static_cast<std::uint8_t>(i)})] = t.failed[i];
    j["failed"] = failed;
    j["recovery_s"] = e.recovered_at ? Json((*e.recovered_at - *e.until).to_s()) : Json(nullptr);
    j["detection_s"] = e.detected_at ? Json((*e.detected_at - e.at).to_s()) : Json(nullptr);
    j["detected_by"] = e.detected_at ? Json(e.detected_by) : Json(nullptr);
    timeline.push_back(std::move(j));
  }
  out["timeline"] = std::move(timeline);
  return out;
}

}  // namespace archsim::models
