#include "models/simulation/scenario.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <map>
#include <set>

#include "models/format/json_text.h"
#include "models/runtime/network.h"
#include "models/simulation/catalog.h"
#include "models/simulation/estimate_section.h"
#include "models/simulation/faults.h"
#include "models/types/traffic/workload.h"
#include "models/runtime/component_type.h"
#include "sim/time.h"

namespace archsim::models {

using spec::Json;
using spec::Spec;

spec::NodeRef scenario_spec() {
  static const spec::NodeRef node = [] {
    Spec components = Spec::variant("A part of the architecture", "type");
    components.named("component");
    for (const auto& type : component_types()) {
      // The variant keeps its own doc line: the registry's summary.
      auto copy = std::make_shared<spec::Node>(*type.spec);
      copy->doc = type.summary;
      components.alternative(type.name, copy);
    }

    Spec limits = Spec::object("Bounds that stop a run that would not end or would exhaust memory");
    limits
        .optional("max_events", Spec::integer("Events processed before the run stops").min(1).max(1e15).default_value(
                                    static_cast<std::int64_t>(10'000'000'000)))
        .optional("max_in_flight", Spec::integer("Requests alive at once before the run stops (each takes memory)")
                                       .min(1)
                                       .max(100'000'000)
                                       .default_value(1'000'000));

    Spec scenario = Spec::object("An archsim scenario: the architecture, its traffic and how long to run it");
    scenario.optional("name", Spec::string("Name of the scenario, shown in reports").max_length(200))
        .optional("description", Spec::string("What the scenario shows").max_length(100000))
        .optional("seed", Spec::integer("Seed of every random stream; the same seed gives the same results")
                              .min(0)
                              .max(9007199254740991.0)
                              .default_value(1))
        .optional("duration_s", Spec::number("Simulated time to run").unit("s").greater_than(0).max(sim::kMaxTimeSeconds).default_value(60))
        .optional("warmup_s", Spec::number("Initial time whose samples are discarded from the summary")
                                  .unit("s")
                                  .min(0)
                                  .max(sim::kMaxTimeSeconds)
                                  .default_value(0))
        .optional("report_interval_s", Spec::number("Length of each interval of the time series").unit("s").greater_than(0).max(sim::kMaxTimeSeconds).default_value(1))
        .optional("network", network_spec(), Json{{"hop_latency", {{"type", "constant"}, {"value_ms", 0}}}})
        .optional("links", links_spec(), Json::array())
        .required("workloads", Spec::array("Clients sending requests", workload_spec()).items(1, 10000))
        .required("components", Spec::array("The architecture's components", components).items(1, 10000))
        .optional("faults", faults_spec())
        .optional("limits", limits, Json{{"max_events", static_cast<std::int64_t>(10'000'000'000)}, {"max_in_flight", 1'000'000}})
        .optional("estimate", estimate_spec());
    scenario.check([](const Json& v, const spec::Path& path, spec::Errors& errors) {
      const double duration = v["duration_s"].get<double>();
      if (v["warmup_s"].get<double>() >= duration)
        errors.add(path / "warmup_s", "must be shorter than duration_s (" + spec::format_number(duration) + "), got " +
                                          spec::format_number(v["warmup_s"].get<double>()));
      const double intervals = duration / v["report_interval_s"].get<double>();
      if (intervals > 1e6)
        errors.add(path / "report_interval_s", "gives " + std::to_string(static_cast<long long>(intervals)) +
                                                   " intervals over duration_s; at most 1000000 are kept");
      if (duration * 1e9 != std::floor(duration * 1e9) && duration < 1e-9)
        errors.add(path / "duration_s", "must be at least one nanosecond");
    });
    return scenario.build();
  }();
  return node;
}

namespace {

// Which node a path belongs to: ("components", 2) for `components[2].x`.
std::pair<std::string, std::size_t> owner_of(const std::string& path) {
  for (const char* list : {"components[", "workloads["}) {
    const std::string prefix = list;
    if (path.rfind(prefix, 0) == 0) {
      const auto close = path.find(']');
      return {prefix.substr(0, prefix.size() - 1), std::stoul(path.substr(prefix.size(), close - prefix.size()))};
    }
  }
  return {"", 0};
}

struct NodeInfo {
  std::string list;  // "components" or "workloads"
  std::size_t index = 0;
  const ComponentType* type = nullptr;  // null for a workload, or a component whose type is unknown
  bool valid = false;                   // its own declaration had no error
};

std::string join_cycle(const std::vector<std::string>& names) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) out += (i ? " → " : "") + names[i];
  return out;
}

std::string join_or(const std::vector<std::string>& names) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) out += (i == 0 ? "" : i + 1 == names.size() ? " or " : ", ") + names[i];
  return out;
}

// Whether an error was reported inside `prefix` (`components[2]`).
bool has_error_under(const spec::Errors& errors, std::size_t from, const std::string& prefix) {
  for (std::size_t i = from; i < errors.list().size(); ++i) {
    const std::string& p = errors.list()[i].path;
    if (p.rfind(prefix, 0) == 0 && (p.size() == prefix.size() || p[prefix.size()] == '.' || p[prefix.size()] == '['))
      return true;
  }
  return false;
}

class View final : public ScenarioView {
 public:
  View(const Json& config, const std::map<std::string, NodeInfo>& nodes) : config_(config), nodes_(nodes) {}
  const Json* component(const std::string& name) const override {
    const NodeInfo* info = find(name);
    return info ? &config_["components"][info->index] : nullptr;
  }
  const ComponentType* type_of(const std::string& name) const override {
    const NodeInfo* info = find(name);
    return info ? info->type : nullptr;
  }
  std::uint64_t key_space() const override {
    std::uint64_t keys = 0;
    for (const auto& w : config_["workloads"])
      keys = std::max(keys, w.contains("keys") ? w["keys"].value("count", std::uint64_t{kDefaultKeys})
                                               : std::uint64_t{kDefaultKeys});
    return keys;
  }

 private:
  // Only valid components are shown to a type's checks.
  const NodeInfo* find(const std::string& name) const {
    auto it = nodes_.find(name);
    if (it == nodes_.end() || it->second.list != "components" || !it->second.valid) return nullptr;
    return &it->second;
  }
  const Json& config_;
  const std::map<std::string, NodeInfo>& nodes_;
};

// `network.places`: every member names a node, or a replica the component
// has; nothing is in two places; no place takes a node's name (a fault names
// either, so the two must not be confused).
void check_places(const Json& config, const std::map<std::string, NodeInfo>& nodes,
                  const std::vector<std::string>& node_names, spec::Errors& errors, std::size_t structural) {
  if (!config.contains("network") || !config["network"].is_object() || !config["network"].contains("places") ||
      has_error_under(errors, structural, "network"))
    return;
  const Json& places = config["network"]["places"];
  const spec::Path root = spec::Path() / "network" / "places";
  struct Entry {
    std::int32_t replica;
    std::string text, place, path;
  };
  std::map<std::string, std::vector<Entry>> placed;  // by node
  for (const auto& [place, members] : places.items()) {
    if (nodes.count(place))
      errors.add(root / place, "\"" + place + "\" is the name of a " +
                                   (nodes.at(place).list == "workloads" ? "workload" : "component") +
                                   "; a place needs a name of its own");
    for (std::size_t i = 0; i < members.size(); ++i) {
      const std::string text = members[i].get<std::string>();
      const spec::Path path = (root / place)[i];
      const auto member = parse_place_member(text, nodes.count(text) > 0);
      if (!member) {
        errors.add(path, "no workload or component named \"" + text + "\"" + spec::did_you_mean_suffix(text, node_names));
        continue;
      }
      auto it = nodes.find(member->node);
      if (it == nodes.end()) {
        errors.add(path, "no workload or component named \"" + member->node + "\"" +
                             spec::did_you_mean_suffix(member->node, node_names));
        continue;
      }
      if (member->replica >= 0) {
        const NodeInfo& info = it->second;
        if (info.list == "workloads" || (info.type != nullptr && !info.type->replicas)) {
          errors.add(path, "\"" + member->node + "\" is a " + (info.type ? info.type->name : std::string("workload")) +
                               ", which has no replicas; place it as a whole: \"" + member->node + "\"");
          continue;
        }
        if (!info.valid) continue;  // its own errors are listed; its replicas are not known
        const std::int64_t replicas = info.type->replicas(config["components"][info.index]);
        if (member->replica >= replicas) {
          errors.add(path, "\"" + member->node + "\" has " + std::to_string(replicas) + " replica" +
                               (replicas == 1 ? "" : "s") + " (" + member->node + "[0] to " + member->node + "[" +
                               std::to_string(replicas - 1) + "]); there is no " + text);
          continue;
        }
      }
      // A whole node overlaps each of its replicas.
      auto& entries = placed[member->node];
      for (const auto& e : entries) {
        if (e.replica >= 0 && member->replica >= 0 && e.replica != member->replica) continue;
        errors.add(path, "\"" + text + "\" is already placed: " + e.text + " is in \"" + e.place + "\" (" + e.path +
                             "); a node or a replica is in one place at most");
        break;
      }
      entries.push_back({member->replica, text, place, path.str()});
    }
  }
}

// The checks that need the whole file: names, references by capability,
// links, call cycles, the flow of operations, and each type's own checks.
// They run even when parts of the file are invalid, on the parts that are
// valid, so one run reports every problem it can: a misspelt reference
// beside a wrong type elsewhere. `structural` is where the errors of the
// declarations themselves begin in `errors`.
void check_cross_references(const Json& config, const std::vector<spec::ReferenceUse>& refs,
                            std::vector<std::string>& operations, spec::Errors& errors, std::size_t structural) {
  if (!config.contains("workloads") || !config["workloads"].is_array() || !config.contains("components") ||
      !config["components"].is_array())
    return;
  std::map<std::string, NodeInfo> nodes;
  std::vector<std::string> node_names, component_names;
  auto add_node = [&](const std::string& list, std::size_t i) {
    const Json& item = config[list][i];
    if (!item.is_object() || !item.contains("name") || !item["name"].is_string()) return;
    const std::string name = item["name"].get<std::string>();
    const spec::Path path = (spec::Path() / list)[i] / "name";
    auto it = nodes.find(name);
    if (it != nodes.end()) {
      errors.add(path, "\"" + name + "\" is already the name of " + it->second.list + "[" +
                           std::to_string(it->second.index) + "]; names must be unique");
      return;
    }
    NodeInfo info{list, i, nullptr, !has_error_under(errors, structural, ((spec::Path() / list)[i]).str())};
    if (list == "components") {
      info.type = item.contains("type") && item["type"].is_string() ? find_component_type(item["type"].get<std::string>()) : nullptr;
      if (info.type == nullptr) info.valid = false;
    }
    nodes[name] = info;
    node_names.push_back(name);
    if (list == "components") component_names.push_back(name);
  };
  for (std::size_t i = 0; i < config["workloads"].size(); ++i) add_node("workloads", i);
  for (std::size_t i = 0; i < config["components"].size(); ++i) add_node("components", i);
  check_places(config, nodes, node_names, errors, structural);
  {
    std::vector<FaultCheckNode> fault_nodes;
    for (const auto& name : node_names) {
      const NodeInfo& info = nodes[name];
      FaultCheckNode n{name, info.list == "workloads", info.type, info.valid, 0, 0, "replica"};
      if (info.valid && info.type != nullptr && info.type->replicas)
        n.replicas = n.targets = info.type->replicas(config["components"][info.index]);
      if (info.valid && info.type != nullptr) n.config = &config["components"][info.index];
      if (info.valid && info.type != nullptr && info.type->fault_targets) {
        n.targets = info.type->fault_targets(config["components"][info.index]);
        n.target_noun = info.type->fault_target_noun;
      }
      fault_nodes.push_back(std::move(n));
    }
    std::vector<std::string> places;
    if (config.contains("network") && config["network"].is_object() && config["network"].contains("places") &&
        config["network"]["places"].is_object())
      for (const auto& [place, _] : config["network"]["places"].items()) places.push_back(place);
    check_faults(config, fault_nodes, places,
                 [&](const std::string& path) { return has_error_under(errors, structural, path); }, errors);
  }

  // Every name used must resolve to a node that can do what is asked of it.
  bool unresolved = false;
  std::map<std::string, std::vector<std::string>> calls;  // call graph between components
  std::set<std::pair<std::string, std::string>> talk;     // pairs of nodes that exchange messages
  for (const auto& ref : refs) {
    if (ref.target_kind == "operation") continue;
    const bool any_node = ref.target_kind == "node";
    auto it = nodes.find(ref.name);
    if (it == nodes.end()) {
      std::vector<std::string> candidates;
      for (const auto& name : any_node ? node_names : component_names) {
        const NodeInfo& info = nodes[name];
        if (any_node || info.type == nullptr || info.type->has(ref.target_kind)) candidates.push_back(name);
      }
      errors.add(ref.path, "no " + spec::reference_noun(ref.target_kind, false) + " named \"" + ref.name + "\"" +
                               spec::did_you_mean_suffix(ref.name, candidates));
      unresolved = true;
      continue;
    }
    const NodeInfo& target = it->second;
    if (!any_node && target.list != "components") {
      errors.add(ref.path, "\"" + ref.name + "\" is a workload; requests go to components");
      unresolved = true;
      continue;
    }
    if (!any_node && target.type != nullptr && !target.type->has(ref.target_kind)) {
      errors.add(ref.path, "\"" + ref.name + "\" is a " + target.type->name + "; it must be " + spec::reference_noun(ref.target_kind) +
                               " (" + join_or(types_with(ref.target_kind)) + ")");
      unresolved = true;
      continue;
    }
    const auto [list, index] = owner_of(ref.path);
    if (ref.is_call && !list.empty() && config[list][index].contains("name") && config[list][index]["name"].is_string()) {
      const std::string from = config[list][index]["name"].get<std::string>();
      talk.insert(std::pair<std::string, std::string>(std::minmax(from, ref.name)));
      if (list == "components") {
        auto& edges = calls[from];
        if (std::find(edges.begin(), edges.end(), ref.name) == edges.end()) edges.push_back(ref.name);
      }
    }
  }
  if (unresolved) return;

  // A link must join two nodes that talk, once.
  if (config.contains("links") && config["links"].is_array() && !has_error_under(errors, structural, "links"))
  {
    std::set<std::pair<std::string, std::string>> linked;
    for (std::size_t i = 0; i < config["links"].size(); ++i) {
      const Json& l = config["links"][i];
      const std::string from = l["from"].get<std::string>(), to = l["to"].get<std::string>();
      const std::pair<std::string, std::string> pair = std::minmax(from, to);
      const spec::Path path = (spec::Path() / "links")[i];
      if (!talk.count(pair))
        errors.add(path, "\"" + pair.first + "\" and \"" + pair.second +
                             "\" never exchange requests (no call, forward, backend or target joins them)");
      else if (!linked.insert(pair).second)
        errors.add(path, "a second entry for the link between \"" + pair.first + "\" and \"" + pair.second + "\"");
    }
  }

  // No cycle of calls: a request would never finish (or hold workers for ever).
  {
    std::map<std::string, int> state;  // 0 new, 1 on the path, 2 done
    std::vector<std::string> stack;
    bool reported = false;
    std::function<void(const std::string&)> visit = [&](const std::string& name) {
      state[name] = 1;
      stack.push_back(name);
      for (const auto& next : calls[name]) {
        if (reported) break;
        if (state[next] == 1) {
          std::vector<std::string> cycle(std::find(stack.begin(), stack.end(), next), stack.end());
          cycle.push_back(next);
          const NodeInfo& info = nodes[cycle.front()];
          errors.add((spec::Path() / "components")[info.index],
                     "synchronous call cycle: " + join_cycle(cycle) + "; a request would wait on itself");
          reported = true;
        } else if (state[next] == 0) {
          visit(next);
        }
      }
      stack.pop_back();
      state[name] = 2;
    };
    for (const auto& name : component_names)
      if (state[name] == 0 && !reported) visit(name);
    if (reported) return;
  }

  // Follow every operation from the workloads through the components: each
  // component reached must be able to serve what reaches it. Invalid parts
  // are skipped: their own errors are already listed.
  std::set<std::pair<std::string, std::string>> seen;
  std::map<std::string, std::vector<std::string>> reaching;  // component -> operations reaching it
  std::deque<std::tuple<std::string, std::string, std::string>> work;  // (component, operation, who sends it)
  bool flow_complete = true;  // false once an invalid part hides where its requests go
  auto use_operation = [&](const std::string& op) {
    if (std::find(operations.begin(), operations.end(), op) == operations.end()) operations.push_back(op);
  };
  for (std::size_t i = 0; i < config["workloads"].size(); ++i) {
    const Json& w = config["workloads"][i];
    if (has_error_under(errors, structural, ((spec::Path() / "workloads")[i]).str())) {
      flow_complete = false;
      continue;
    }
    for (const auto& op : w["operations"]) {
      use_operation(op["name"].get<std::string>());
      work.emplace_back(w["target"].get<std::string>(), op["name"].get<std::string>(), "workload \"" + w["name"].get<std::string>() + "\"");
    }
  }
  // Requests components send of their own accord (health probes), from them.
  for (const auto& name : component_names) {
    const NodeInfo& info = nodes[name];
    if (!info.valid || !info.type->originates) continue;
    std::vector<Outflow> out;
    info.type->originates(config["components"][info.index], out);
    for (auto& o : out) work.emplace_back(o.target, o.operation, info.type->name + " \"" + name + "\"");
  }
  while (!work.empty()) {
    auto [target, op, sender] = work.front();
    work.pop_front();
    if (!seen.insert({target, op}).second) continue;
    use_operation(op);
    const NodeInfo& info = nodes[target];
    if (!info.valid) {
      flow_complete = false;
      continue;
    }
    reaching[target].push_back(op);
    const Json& c = config["components"][info.index];
    std::vector<Outflow> out;
    if (!info.type->route(c, op, out)) {
      errors.add((spec::Path() / "components")[info.index],
                 "operation \"" + op + "\" reaches " + info.type->name + " \"" + target + "\" (from " + sender +
                     ") but it has no handler for it and no service_time");
      continue;
    }
    for (auto& o : out) work.emplace_back(o.target, o.operation, info.type->name + " \"" + target + "\"");
  }
  // Handlers for operations that nothing sends are most likely typos (known
  // only when the whole flow could be followed).
  for (const auto& ref : refs) {
    if (!flow_complete) break;
    if (ref.target_kind != "operation") continue;
    if (std::find(operations.begin(), operations.end(), ref.name) == operations.end())
      errors.add(ref.path, "no request with operation \"" + ref.name + "\" is ever sent" +
                               spec::did_you_mean_suffix(ref.name, operations));
  }
  // Operations named only in calls that never run still get an index.
  for (const auto& c : config["components"]) {
    std::function<void(const Json&)> scan = [&](const Json& v) {
      if (v.is_object()) {
        if ((v.contains("call") || v.contains("forward")) && v.contains("operation") && v["operation"].is_string())
          use_operation(v["operation"].get<std::string>());
        for (const auto& [_, x] : v.items()) scan(x);
      } else if (v.is_array()) {
        for (const auto& x : v) scan(x);
      }
    };
    if (c.is_object() && c.contains("handlers")) scan(c["handlers"]);
  }
  // Each type's own checks against the rest of the scenario.
  const View view(config, nodes);
  for (const auto& name : component_names) {
    const NodeInfo& info = nodes[name];
    if (!info.valid || !info.type->check || !flow_complete) continue;
    info.type->check(config["components"][info.index], reaching[name], view, (spec::Path() / "components")[info.index],
                     errors);
  }
}

}  // namespace

std::optional<Scenario> validate_scenario(const Json& input, spec::Errors& errors) {
  std::vector<spec::ReferenceUse> refs;
  const std::size_t structural = errors.size();
  Json config = spec::normalize(input, *scenario_spec(), spec::Path(), errors, refs);
  Scenario scenario;
  if (config.is_object()) check_cross_references(config, refs, scenario.operations, errors, structural);
  if (!errors.empty()) return std::nullopt;
  if (!config.contains("name")) config["name"] = "scenario";
  scenario.config = std::move(config);
  return scenario;
}

std::optional<Scenario> load_scenario(std::string_view text, const std::vector<std::string>& overrides,
                                      spec::Errors& errors) {
  spec::SourceMap source;
  auto input = spec::read_json_text(text, errors, &source, {kMaxScenarioBytes, kMaxNesting});
  if (!input) return std::nullopt;
  for (const auto& assignment : overrides) {
    const std::string problem = spec::apply_override(*input, assignment, &source);
    if (!problem.empty()) errors.add("--set " + assignment, problem);
  }
  if (!errors.empty()) return std::nullopt;
  // Messages quote numbers as written; the map lives only in this call.
  errors.set_source(&source);
  auto scenario = validate_scenario(*input, errors);
  errors.set_source(nullptr);
  return scenario;
}

}  // namespace archsim::models
