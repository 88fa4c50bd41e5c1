#include "models/simulation/catalog.h"

#include "models/types/compute/service.h"
#include "models/types/data/database.h"
#include "models/types/data/kv_store.h"
#include "models/types/data/shard_router.h"
#include "models/types/traffic/load_balancer.h"

namespace archsim::models {

const std::vector<ComponentType>& component_types() {
  // In the order `archsim describe` and the reference list them.
  static const std::vector<ComponentType> types = {
      database_type(),
      kv_store_type(),
      load_balancer_type(),
      service_type(),
      shard_router_type(),
  };
  return types;
}

const ComponentType* find_component_type(const std::string& name) {
  for (const auto& t : component_types())
    if (t.name == name) return &t;
  return nullptr;
}

std::vector<std::string> types_with(std::string_view capability) {
  std::vector<std::string> names;
  for (const auto& t : component_types())
    if (t.has(capability)) names.push_back(t.name);
  return names;
}

}  // namespace archsim::models
