#include "models/simulation/registry.h"

#include "models/types/traffic/load_balancer.h"
#include "models/types/compute/service.h"

namespace archsim::models {

using spec::Json;

namespace {

bool route_service(const Json& config, const std::string& operation, std::vector<Outflow>& out) {
  const Json* steps = nullptr;
  if (config.contains("handlers") && config["handlers"].contains(operation)) steps = &config["handlers"][operation];
  if (steps == nullptr) return config.contains("service_time");
  for (const auto& step : *steps) {
    const Json calls = step.contains("parallel") ? step["parallel"] : Json::array({step});
    for (const auto& c : calls) {
      if (c.contains("call")) out.push_back({c["call"].get<std::string>(), c.value("operation", operation)});
      if (c.contains("forward")) out.push_back({c["forward"].get<std::string>(), c.value("operation", operation)});
    }
  }
  return true;
}

bool route_load_balancer(const Json& config, const std::string& operation, std::vector<Outflow>& out) {
  out.push_back({config["backend"].get<std::string>(), operation});
  return true;
}

}  // namespace

const std::vector<ComponentType>& component_types() {
  static const std::vector<ComponentType> types = {
      {"load_balancer", "Spreads requests over a service's replicas by a policy and relays the replies",
       load_balancer_spec(), route_load_balancer,
       [](const Json& c, std::uint32_t i, Context& ctx) -> std::unique_ptr<Component> {
         return std::make_unique<LoadBalancer>(c, i, ctx);
       }},
      {"service", "Replicas x workers with a bounded FIFO queue, running a handler of steps per operation",
       service_spec(), route_service,
       [](const Json& c, std::uint32_t i, Context& ctx) -> std::unique_ptr<Component> {
         return std::make_unique<Service>(c, i, ctx);
       }},
  };
  return types;
}

const ComponentType* find_component_type(const std::string& name) {
  for (const auto& t : component_types())
    if (t.name == name) return &t;
  return nullptr;
}

}  // namespace archsim::models
