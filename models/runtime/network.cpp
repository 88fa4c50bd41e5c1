#include "models/runtime/network.h"

#include <algorithm>
#include <cassert>
#include <cmath>

#include "models/runtime/component.h"
#include "models/runtime/metric_set.h"

namespace archsim::models {

using spec::Json;
using spec::Spec;

void declare_card_metrics(NetworkCard& card, MetricSet& metrics) {
  const double replicas = static_cast<double>(card.out.size());
  metrics.rate("network_out_bytes_per_s", "bytes/s", "Bytes its network cards sent (replies and calls), per second",
               &card.bytes_out);
  metrics.rate("network_in_bytes_per_s", "bytes/s",
               "Bytes its network cards took in (requests and replies to its calls), per second", &card.bytes_in);
  metrics.time_share("network_out_utilization", "Time-average share of its replicas' network cards busy sending",
                     &card.out, [replicas] { return replicas; });
  metrics.time_share("network_in_utilization", "Time-average share of its replicas' network cards busy taking in",
                     &card.in, [replicas] { return replicas; });
  metrics.extra("network_card", [&card](sim::Time start, sim::Time end) {
    // The hottest replica's card each way, which saturates first, and the
    // mean wait for a card.
    const double seconds = (end - start).to_s();
    auto way = [&](const std::vector<Transmitter>& side, const std::vector<TransmitterCounters>& at_start) {
      std::int64_t hottest = -1;
      double hottest_utilization = 0;
      std::uint64_t messages = 0;
      std::int64_t waited_ns = 0;
      for (std::size_t r = 0; r < side.size(); ++r) {
        const TransmitterCounters now = side[r].snapshot(end);
        const double u = now.busy_share_since(at_start[r], seconds);
        if (hottest < 0 || u > hottest_utilization) {
          hottest = static_cast<std::int64_t>(r);
          hottest_utilization = u;
        }
        messages += now.messages - at_start[r].messages;
        waited_ns += now.waited_ns - at_start[r].waited_ns;
      }
      spec::Json j = spec::Json::object();
      j["messages"] = messages;
      j["wait_ms_mean"] = messages > 0 ? static_cast<double>(waited_ns) / 1e6 / static_cast<double>(messages) : 0.0;
      j["hottest_replica"] = hottest;
      j["hottest_utilization"] = hottest_utilization;
      return j;
    };
    spec::Json j = spec::Json::object();
    j["bandwidth_bytes_per_s"] = card.out.front().bytes_per_s();
    j["out"] = way(card.out, card.out_start);
    j["in"] = way(card.in, card.in_start);
    return j;
  });
}

spec::Spec bandwidth_spec(const char* meaning) {
  // At least a byte a second: a slower card would take longer than any run
  // (a year) for messages of a few kilobytes.
  return Spec::number(meaning).unit("bytes/s").min(1).max(1e15);
}

spec::NodeRef network_spec() {
  static const spec::NodeRef node =
      Spec::object("Network between nodes")
          .optional("hop_latency", time_distribution_spec(), Json{{"type", "constant"}, {"value_ms", 0}})
          .optional("bandwidth_bytes_per_s", bandwidth_spec("Bytes per second each link sends each way, one message "
                                                            "after another; none: unlimited"))
          .optional("places",
                    Spec::map("Places (data centers, zones) and the nodes in each; a node in none is in no place",
                              Spec::array("The nodes in this place: a workload or component by name, or one replica "
                                          "of a component as NAME[REPLICA] (web[2], counting from 0)",
                                          Spec::string("A node, or one replica of a component").max_length(120))
                                  .items(0, 100000))
                        .items(0, 10000))
          .build();
  return node;
}

spec::NodeRef links_spec() {
  static const spec::NodeRef node = [] {
    Spec link = Spec::object("The latency and bandwidth of the link between two nodes, both ways");
    link.required("from", Spec::reference("One end: a workload or component", "node"))
        .required("to", Spec::reference("The other end: a workload or component", "node"))
        .optional("latency", time_distribution_spec())
        .optional("bandwidth_bytes_per_s",
                  bandwidth_spec("Bytes per second the link sends each way, one message after another; none: "
                                 "network.bandwidth_bytes_per_s"));
    link.check([](const Json& v, const spec::Path& path, spec::Errors& errors) {
      if (!v.contains("latency") && !v.contains("bandwidth_bytes_per_s"))
        errors.add(path, "the link sets neither latency nor bandwidth_bytes_per_s: give one, or remove the entry");
    });
    return Spec::array("Links whose latency differs from network.hop_latency", link).items(0, 100000).build();
  }();
  return node;
}

std::optional<PlaceMember> parse_place_member(std::string_view text, bool is_node_name) {
  if (is_node_name) return PlaceMember{std::string(text), -1};
  const auto open = text.rfind('[');
  if (open == std::string_view::npos || open == 0 || text.back() != ']' || open + 2 >= text.size()) return std::nullopt;
  const std::string_view digits = text.substr(open + 1, text.size() - open - 2);
  if (digits.size() > 6) return std::nullopt;  // replicas are at most 10000
  std::int32_t replica = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    replica = replica * 10 + (c - '0');
  }
  return PlaceMember{std::string(text.substr(0, open)), replica};
}

Network::Network(const Json& network, const Json& links, Context& context)
    : default_latency_(network.at("hop_latency")),
      overrides_(links),
      places_(network.contains("places") ? network["places"] : Json::object()),
      default_bandwidth_(network.value("bandwidth_bytes_per_s", 0.0)),
      context_(context) {
  for (const auto& [name, _] : places_.items()) place_names_.push_back(name);
}

Link& Network::link(Node& from, Node& to) {
  for (auto& l : links_)
    if (l->from == &from && l->to == &to) return *l;
  const Json* latency = &default_latency_;
  double bandwidth = default_bandwidth_;
  for (const auto& o : overrides_) {
    const auto& a = o["from"].get_ref<const std::string&>();
    const auto& b = o["to"].get_ref<const std::string&>();
    if ((a == from.name() && b == to.name()) || (a == to.name() && b == from.name())) {
      if (o.contains("latency")) latency = &o["latency"];
      if (o.contains("bandwidth_bytes_per_s")) bandwidth = o["bandwidth_bytes_per_s"].get<double>();
    }
  }
  auto l = std::make_unique<Link>();
  l->from = &from;
  l->to = &to;
  l->latency = Delay(make_time_distribution(*latency));
  l->network = this;
  l->disturbed = disturbed();
  l->off_path = l->disturbed;
  l->announced = to.expects_requests();
  if (bandwidth > 0) {
    l->request_wire.emplace(bandwidth);
    l->reply_wire.emplace(bandwidth);
  }
  l->paced = bandwidth > 0 || from.card() != nullptr || to.card() != nullptr;
  l->off_path = l->disturbed || l->paced;
  l->rng = context_.streams.for_component("link:" + from.name() + "->" + to.name());
  l->loss_rng = context_.streams.for_component("link-loss:" + from.name() + "->" + to.name());
  if (l->latency.is_constant()) {
    l->request_channel = context_.engine.channel(l->latency.fixed(), sim::Phase::Arrival);
    l->reply_channel = context_.engine.channel(l->latency.fixed(), sim::Phase::Departure);
  }
  links_.push_back(std::move(l));
  return *links_.back();
}

std::vector<const Node*> Network::reachable_from(const Node& from) const {
  std::vector<const Node*> reached{&from};
  for (std::size_t next = 0; next < reached.size(); ++next)
    for (const auto& link : links_)
      if (link->from == reached[next] && std::find(reached.begin(), reached.end(), link->to) == reached.end())
        reached.push_back(link->to);
  return reached;
}

void Network::place_nodes(Wiring& wiring) {
  // Per node: its place as a whole, or its replicas' one by one.
  struct Placed {
    Node* node;
    std::int32_t whole = -1;
    std::vector<std::int32_t> by_replica;
  };
  std::vector<Placed> placed;  // in the order first named
  auto entry = [&](Node& node) -> Placed& {
    for (auto& p : placed)
      if (p.node == &node) return p;
    placed.push_back({&node, -1, {}});
    return placed.back();
  };
  for (std::size_t p = 0; p < place_names_.size(); ++p) {
    for (const auto& member : places_[place_names_[p]]) {
      const auto& text = member.get_ref<const std::string&>();
      // A whole node unless the text names none and reads NAME[REPLICA]
      // (validation made sure one of the two holds).
      const std::optional<PlaceMember> m = parse_place_member(text, wiring.find_node(text) != nullptr);
      assert(m);
      Placed& node = entry(wiring.node(m->node));
      if (m->replica < 0) {
        node.whole = static_cast<std::int32_t>(p);
        continue;
      }
      const auto* component = dynamic_cast<const Component*>(node.node);
      assert(component != nullptr && m->replica < component->replicas());
      node.by_replica.resize(static_cast<std::size_t>(component->replicas()), -1);
      node.by_replica[static_cast<std::size_t>(m->replica)] = static_cast<std::int32_t>(p);
    }
  }
  for (auto& p : placed) {
    if (!p.by_replica.empty()) {
      // Replicas placed one by one: the node as a whole is where they all are, if they are together.
      p.whole = p.by_replica.front();
      for (auto r : p.by_replica)
        if (r != p.whole) p.whole = -1;
    }
    p.node->set_place(p.whole, std::move(p.by_replica));
  }
}

std::optional<std::int32_t> Network::place(std::string_view name) const {
  for (std::size_t i = 0; i < place_names_.size(); ++i)
    if (place_names_[i] == name) return static_cast<std::int32_t>(i);
  return std::nullopt;
}

void Network::set(Fault fault, Ways ways) {
  auto put = [&](const Fault& f) {
    for (auto& existing : faults_)
      if (existing.kind == f.kind && existing.from == f.from && existing.to == f.to) {
        existing = f;
        return;
      }
    faults_.push_back(f);
  };
  put(fault);
  if (ways == Ways::BothWays && !(fault.from == fault.to)) {
    std::swap(fault.from, fault.to);
    put(fault);
  }
  faults_changed();
}

Network::Fault Network::fault_between(LinkEnd a, LinkEnd b, Fault::Kind kind) {
  Fault f;
  f.from = a;
  f.to = b;
  f.kind = kind;
  return f;
}

void Network::cut(LinkEnd a, LinkEnd b, Ways ways, CutMode mode) {
  // Registered before the run by whoever planned the cut (the fault
  // timeline), so that the time series has its column: found here.
  if (mode == CutMode::FailFast) link_down_ = context_.failures.intern("link_down");
  Fault f = fault_between(a, b, Fault::Kind::Cut);
  f.mode = mode;
  set(f, ways);
}

void Network::slow(LinkEnd a, LinkEnd b, Ways ways, double factor, sim::Time added) {
  assert(factor > 0 && std::isfinite(factor) && added.ns >= 0);
  Fault f = fault_between(a, b, Fault::Kind::Slow);
  f.factor = factor;
  f.added = added;
  set(f, ways);
}

void Network::make_lossy(LinkEnd a, LinkEnd b, Ways ways, double loss) {
  assert(loss >= 0 && loss <= 1);
  Fault f = fault_between(a, b, Fault::Kind::Loss);
  f.loss = loss;
  set(f, ways);
}

void Network::restore(LinkEnd a, LinkEnd b, Ways ways) {
  std::erase_if(faults_, [&](const Fault& f) {
    return (f.from == a && f.to == b) || (ways == Ways::BothWays && f.from == b && f.to == a);
  });
  faults_changed();
}

void Network::restore(LinkEnd a, LinkEnd b, Ways ways, LinkFault kind) {
  std::erase_if(faults_, [&](const Fault& f) {
    return f.kind == kind && ((f.from == a && f.to == b) || (ways == Ways::BothWays && f.from == b && f.to == a));
  });
  faults_changed();
}

void Network::faults_changed() {
  // Every link asks while any fault is in force: a reply at the end of a
  // forwarding chain travels a link whose ends are not its sender's, so
  // which links a fault reaches is known only message by message.
  for (auto& l : links_) {
    l->disturbed = disturbed();
    l->off_path = l->disturbed || l->paced;
  }
}

namespace {

bool matches(const LinkEnd& end, const Endpoint& at) {
  if (end.node != nullptr) return end.node == at.node && (end.replica < 0 || end.replica == at.replica);
  return at.node->place(at.replica) == end.place;
}

}  // namespace

Verdict Network::judge(Link& link, Leg leg, Endpoint from, Endpoint to) {
  Verdict v;
  double factor = 1;
  sim::Time added{};
  double kept = 1;  // the chance that no lossy fault loses the message
  for (const Fault& f : faults_) {
    if (!matches(f.from, from) || !matches(f.to, to)) continue;
    switch (f.kind) {
      case Fault::Kind::Cut:
        // The first cut that matches decides; nothing is drawn.
        if (f.mode == CutMode::FailFast) {
          v.fate = Verdict::Fate::Refuse;
          v.failure = link_down_;
          ++(leg == Leg::Request ? link.counters.requests_refused : link.counters.replies_refused);
        } else {
          v.fate = Verdict::Fate::Lose;
          ++(leg == Leg::Request ? link.counters.requests_lost : link.counters.replies_lost);
        }
        v.normal = false;
        return v;
      case Fault::Kind::Slow:
        factor *= f.factor;
        added += f.added;
        break;
      case Fault::Kind::Loss:
        kept *= 1 - f.loss;
        break;
    }
  }
  if (kept < 1 && link.loss_rng.uniform() >= kept) {
    v.fate = Verdict::Fate::Lose;
    v.normal = false;
    ++(leg == Leg::Request ? link.counters.requests_lost : link.counters.replies_lost);
    return v;
  }
  if (factor != 1 || added.ns != 0) {
    // The latency is drawn as it would be, then stretched: the link's draws
    // stay those of a normal run.
    const sim::Time drawn = link.draw();
    v.normal = false;
    v.delay = sim::Time::from_ns(std::llround(static_cast<double>(drawn.ns) * factor)) + added;
  }
  return v;
}

void Network::begin_window() {
  const sim::Time now = context_.engine.now();
  window_start_at_ = now;
  for (auto& l : links_) {
    l->window_start = l->counters;
    if (l->request_wire) l->request_wire_start = l->request_wire->snapshot(now);
    if (l->reply_wire) l->reply_wire_start = l->reply_wire->snapshot(now);
  }
}

Json Network::results() const {
  const sim::Time now = context_.engine.now();
  Json out = Json::object();
  out["places"] = places_;
  std::uint64_t lost = 0, refused = 0;
  Json links = Json::array();
  for (const auto& l : links_) {
    const LinkCounters& a = l->window_start;
    const LinkCounters& b = l->counters;
    Json j = Json::object();
    j["from"] = l->from->name();
    j["to"] = l->to->name();
    j["requests_lost"] = b.requests_lost - a.requests_lost;
    j["replies_lost"] = b.replies_lost - a.replies_lost;
    j["requests_refused"] = b.requests_refused - a.requests_refused;
    j["replies_refused"] = b.replies_refused - a.replies_refused;
    if (l->request_wire) {
      // What each direction sent in the window, and the share of it spent sending.
      const double seconds = (now - window_start_at_).to_s();
      j["bandwidth_bytes_per_s"] = l->request_wire->bytes_per_s();
      j["requests"] = l->request_wire->snapshot(now).window_since(l->request_wire_start, seconds);
      j["replies"] = l->reply_wire->snapshot(now).window_since(l->reply_wire_start, seconds);
    }
    lost += b.requests_lost - a.requests_lost + b.replies_lost - a.replies_lost;
    refused += b.requests_refused - a.requests_refused + b.replies_refused - a.replies_refused;
    links.push_back(j);
  }
  out["lost"] = lost;
  out["refused"] = refused;
  out["links"] = links;
  return out;
}

}  // namespace archsim::models
