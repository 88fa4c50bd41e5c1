// models/runtime/network.h: links between nodes, the places nodes are in, and
// the faults of links.
//
// Every message between two nodes travels a link and arrives after the link's
// one-way latency; a reply returns over the link its request came by. A
// request arrives in the Arrival phase; a reply in the Departure phase,
// because it is work finishing: the worker it frees is free before a request
// arriving at the same instant asks for one. Each link draws from its own
// random stream, named after its ends, so links do not disturb components'
// draws.
//
// A node, or one replica of a component, may be in a place (a data center, a
// zone): `network.places`. Places name the ends of partitions now, and will
// carry a latency matrix later.
//
// Faults on links are set and lifted during a run (cut, slow, make lossy,
// restore), between two nodes, two replicas or two places, one way or both.
// While none is in force, sending asks nothing: a link with a constant
// latency posts on its engine channels. While any is in force, every
// message is judged as it is sent, from its sender and its receiver (with
// their replicas, where known) and their places.
//
// A link may have a bandwidth (network.bandwidth_bytes_per_s for every link,
// links[].bandwidth_bytes_per_s for one): each direction is then a
// transmitter (transmitter.h) that sends messages one after another, each
// taking its size / bandwidth before the latency starts. A node may have a
// network card (a service's bandwidth_bytes_per_s): per replica, one
// transmitter for what it sends and one for what it receives. Messages have
// the sizes their requests carry (Request::request_bytes, reply_bytes). A
// message over a link with a bandwidth, or between nodes with a card, goes
// out of the common path (Node::transmit): through the sender's card, the
// link, then the receiver's card as it arrives.
//
// Not modelled here: congestion control, packets and retransmission, a
// wire shared by the calls both ways between two nodes (each caller and
// callee have their own pair), a latency that depends on places.
#pragma once

#include <cassert>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "models/format/params.h"
#include "models/format/spec.h"
#include "models/runtime/request.h"
#include "models/runtime/transmitter.h"
#include "sim/engine.h"
#include "sim/rng.h"

namespace archsim::models {

class MetricSet;
class Node;
class Network;
class Wiring;
struct Context;

// Messages a link lost or refused, cumulative from time zero.
struct LinkCounters {
  std::uint64_t requests_lost = 0;
  std::uint64_t replies_lost = 0;
  std::uint64_t requests_refused = 0;
  std::uint64_t replies_refused = 0;
};

// The link between a caller (`from`) and a callee (`to`): requests go from
// `from` to `to`, replies back.
struct Link {
  Node* from = nullptr;
  Node* to = nullptr;
  Delay latency;
  int request_channel = -1;  // the engine's lanes for a constant latency, or -1
  int reply_channel = -1;
  bool disturbed = false;    // a fault is in force somewhere: ask the network before sending
  bool announced = false;    // the callee hears of each request as it is sent (Node::expect)
  Network* network = nullptr;
  sim::Rng rng;
  sim::Rng loss_rng;  // whether a message on a lossy link is lost: apart, so the latency draws stay
  LinkCounters counters;
  LinkCounters window_start;
  // With a bandwidth: the transmitter of each direction (none: unlimited).
  std::optional<Transmitter> request_wire, reply_wire;
  TransmitterCounters request_wire_start, reply_wire_start;  // at the start of the window
  // Messages on it pass transmitters (its own, or a card at either end):
  // they are sent through Node::transmit.
  bool paced = false;
  // disturbed or paced: the one flag the common path reads.
  bool off_path = false;
  sim::Time draw() { return latency.draw(rng); }
};

// A node's network card: for each replica, a transmitter for the messages
// it sends (its replies and its calls) and one for those it receives (its
// requests and the replies to its calls), each at the full bandwidth (full
// duplex).
//
// Messages bound for a node with a card are delivered to the card (it is
// an event target of its own, so the node's events are as without cards),
// which takes each in and then hands it to its node.
struct NetworkCard final : sim::EventTarget {
  NetworkCard(Node& node, double bytes_per_s, std::size_t replicas)
      : owner(&node), out(replicas, Transmitter(bytes_per_s)), in(replicas, Transmitter(bytes_per_s)),
        out_start(replicas), in_start(replicas) {}
  void on_event(std::uint32_t kind, std::uint64_t data) override;
  // A message of `bytes` through replica `replica`'s card (-1, not known:
  // the first), offered at `now`: when it is through (the counts of the
  // card as a whole kept too).
  sim::Time send(std::int32_t replica, sim::Time now, std::uint32_t bytes) {
    bytes_out += bytes;
    return out[index(replica)].pass(now, bytes);
  }
  sim::Time receive(std::int32_t replica, sim::Time now, std::uint32_t bytes) {
    bytes_in += bytes;
    return in[index(replica)].pass(now, bytes);
  }
  std::size_t index(std::int32_t replica) const {
    assert(replica < static_cast<std::int32_t>(out.size()));
    return replica < 0 ? 0 : static_cast<std::size_t>(replica);
  }
  void begin_window(sim::Time now) {
    for (std::size_t r = 0; r < out.size(); ++r) {
      out_start[r] = out[r].snapshot(now);
      in_start[r] = in[r].snapshot(now);
    }
  }
  Node* owner;
  std::vector<Transmitter> out, in;
  std::vector<TransmitterCounters> out_start, in_start;
  std::uint64_t bytes_out = 0, bytes_in = 0;
};
// Declares a card's figures among its component's (docs/results-format.md):
// bytes per second and utilization each way, and the hottest replica's.
void declare_card_metrics(NetworkCard& card, MetricSet& metrics);

// A node, or one replica of it (-1: none, or not known), sending or receiving.
struct Endpoint {
  const Node* node = nullptr;
  std::int32_t replica = -1;
};

// One end of a link fault: a node, one replica of a component, or every node
// in a place. A node end with no replica matches every message to or from
// that node; a replica end only messages known to be for that replica (a
// load balancer's call names it; a direct call to a replicated service does
// not).
struct LinkEnd {
  const Node* node = nullptr;  // null: a place
  std::int32_t replica = -1;
  std::int32_t place = -1;
  static LinkEnd of(const Node& node, std::int32_t replica = -1) { return {&node, replica, -1}; }
  static LinkEnd in(std::int32_t place) { return {nullptr, -1, place}; }
  friend bool operator==(const LinkEnd&, const LinkEnd&) = default;
};

// Which messages between two ends a fault reaches: from the first end to the
// second only, or both ways.
enum class Ways : std::uint8_t { OneWay, BothWays };

// What a cut link does to a message: refuse it, and its sender's request
// fails at once (link_down); or lose it, and nobody hears of it.
enum class CutMode : std::uint8_t { FailFast, Lose };

// The kinds of fault a link can have; several of different kinds between
// the same ends combine (see Network::judge).
enum class LinkFault : std::uint8_t { Cut, Slow, Loss };

// Which way a message goes over its link.
enum class Leg : std::uint8_t { Request, Reply };

// What becomes of one message.
struct Verdict {
  enum class Fate : std::uint8_t { Deliver, Refuse, Lose };
  Fate fate = Fate::Deliver;
  bool normal = true;  // Deliver after the link's own latency (its channel, when constant)
  sim::Time delay{};   // Deliver, not normal: after this
  Failure failure{};   // Refuse: the cause
};

// `network` and `links` of a scenario.
spec::NodeRef network_spec();
// A bandwidth in bytes per second, with its meaning.
spec::Spec bandwidth_spec(const char* meaning);
spec::NodeRef links_spec();

// A member of a place as written: "web" (the node) or "web[2]" (replica 2).
// False when the text is neither; a node named like "web[2]" is the node.
struct PlaceMember {
  std::string node;
  std::int32_t replica = -1;
};
std::optional<PlaceMember> parse_place_member(std::string_view text, bool is_node_name);

class Network {
 public:
  Network(const spec::Json& network, const spec::Json& links, Context& context);
  // The link from one node to another, made on first use; stable address.
  Link& link(Node& from, Node& to);
  std::size_t size() const { return links_.size(); }
  // The links, in the order they were made.
  const Link& link_at(std::size_t i) const { return *links_[i]; }
  // The nodes a request from `from` can reach along the links, `from`
  // first, then in the order found.
  std::vector<const Node*> reachable_from(const Node& from) const;

  // Puts the nodes named in `network.places` in their places (validated).
  void place_nodes(Wiring& wiring);
  // The place called `name`, or none.
  std::optional<std::int32_t> place(std::string_view name) const;
  const std::string& place_name(std::int32_t place) const { return place_names_[static_cast<std::size_t>(place)]; }

  // Link faults, for the fault timeline. Setting a fault of a kind already
  // set between the same ends replaces it.
  void cut(LinkEnd a, LinkEnd b, Ways ways, CutMode mode);
  // Latency × factor (> 0), plus `added` (>= 0).
  void slow(LinkEnd a, LinkEnd b, Ways ways, double factor, sim::Time added);
  // Each message lost with probability `loss` (in [0, 1]).
  void make_lossy(LinkEnd a, LinkEnd b, Ways ways, double loss);
  // Lifts every fault set between the ends, in those directions.
  void restore(LinkEnd a, LinkEnd b, Ways ways);
  // Lifts only the fault of `kind` between the ends, leaving the others.
  void restore(LinkEnd a, LinkEnd b, Ways ways, LinkFault kind);
  bool disturbed() const { return !faults_.empty(); }

  // What becomes of a message sent now over `link`; counts it if lost or
  // refused. Only asked while a fault is in force (Link::disturbed).
  Verdict judge(Link& link, Leg leg, Endpoint from, Endpoint to);

  void begin_window();
  // The `network` section of the results (docs/results-format.md).
  spec::Json results() const;

 private:
  struct Fault {
    using Kind = LinkFault;
    LinkEnd from, to;
    Kind kind = Kind::Cut;
    CutMode mode = CutMode::FailFast;
    double factor = 1;
    sim::Time added{};
    double loss = 0;
  };
  // A fault of `kind` from one end to the other, its parameters still to set.
  static Fault fault_between(LinkEnd a, LinkEnd b, Fault::Kind kind);
  void set(Fault fault, Ways ways);
  void faults_changed();

  spec::Json default_latency_;
  spec::Json overrides_;
  spec::Json places_;
  double default_bandwidth_ = 0;  // bytes per second; 0: unlimited
  sim::Time window_start_at_{};
  Context& context_;
  std::vector<std::string> place_names_;
  std::vector<std::unique_ptr<Link>> links_;
  std::vector<Fault> faults_;  // in the order they were set
  Failure link_down_{};
};

}  // namespace archsim::models
