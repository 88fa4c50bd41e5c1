#include "models/runtime/network.h"

#include "models/runtime/component.h"

namespace archsim::models {

using spec::Json;
using spec::Spec;

spec::NodeRef network_spec() {
  static const spec::NodeRef node =
      Spec::object("Network between nodes")
          .optional("hop_latency", time_distribution_spec(), Json{{"type", "constant"}, {"value_ms", 0}})
          .build();
  return node;
}

spec::NodeRef links_spec() {
  static const spec::NodeRef node = [] {
    Spec link = Spec::object("The latency of the link between two nodes, both ways");
    link.required("from", Spec::reference("One end: a workload or component", "node"))
        .required("to", Spec::reference("The other end: a workload or component", "node"))
        .required("latency", time_distribution_spec());
    return Spec::array("Links whose latency differs from network.hop_latency", link).items(0, 100000).build();
  }();
  return node;
}

Network::Network(const Json& network, const Json& links, const sim::RandomStreams& streams)
    : default_latency_(network.at("hop_latency")),
      overrides_(links),
      streams_(streams) {}

Link& Network::link(Node& from, Node& to, sim::Engine& engine) {
  for (auto& l : links_)
    if (l->from == &from && l->to == &to) return *l;
  const Json* latency = &default_latency_;
  for (const auto& o : overrides_) {
    const auto& a = o["from"].get_ref<const std::string&>();
    const auto& b = o["to"].get_ref<const std::string&>();
    if ((a == from.name() && b == to.name()) || (a == to.name() && b == from.name())) latency = &o["latency"];
  }
  auto l = std::make_unique<Link>();
  l->from = &from;
  l->to = &to;
  l->latency = Delay(make_time_distribution(*latency));
  l->rng = streams_.for_component("link:" + from.name() + "->" + to.name());
  if (l->latency.is_constant()) {
    l->request_channel = engine.channel(l->latency.fixed(), sim::Phase::Arrival);
    l->reply_channel = engine.channel(l->latency.fixed(), sim::Phase::Departure);
  }
  links_.push_back(std::move(l));
  return *links_.back();
}

}  // namespace archsim::models
