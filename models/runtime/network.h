// models/runtime/network.h: links between nodes. Every message between two nodes
// travels a link and arrives after the link's one-way latency; a reply returns
// over the link its request came by. A request arrives in the Arrival phase; a
// reply in the Departure phase, because it is work finishing: the worker it
// frees is free before a request arriving at the same instant asks for one. Each link draws from its own random
// stream, named after its ends, so links do not disturb components' draws.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "models/format/params.h"
#include "models/format/spec.h"
#include "sim/engine.h"
#include "sim/rng.h"

namespace archsim::models {

class Node;

struct Link {
  Node* from = nullptr;
  Node* to = nullptr;
  Delay latency;
  int request_channel = -1;  // the engine's lanes for a constant latency, or -1
  int reply_channel = -1;
  sim::Rng rng;
  sim::Time draw() { return latency.draw(rng); }
};

// `network` and `links` of a scenario.
spec::NodeRef network_spec();
spec::NodeRef links_spec();

class Network {
 public:
  Network(const spec::Json& network, const spec::Json& links, const sim::RandomStreams& streams);
  // The link from one node to another, made on first use; stable address.
  Link& link(Node& from, Node& to, sim::Engine& engine);
  std::size_t size() const { return links_.size(); }

 private:
  spec::Json default_latency_;
  spec::Json overrides_;
  const sim::RandomStreams& streams_;
  std::vector<std::unique_ptr<Link>> links_;
};

}  // namespace archsim::models
