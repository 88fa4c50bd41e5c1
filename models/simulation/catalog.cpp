#include "models/simulation/catalog.h"

#include "models/types/async/broker.h"
#include "models/types/compute/service.h"
#include "models/types/data/cache.h"
#include "models/types/data/cdn.h"
#include "models/types/data/database.h"
#include "models/types/data/kv_store.h"
#include "models/types/data/shard_router.h"
#include "models/types/traffic/load_balancer.h"
#include "models/types/traffic/rate_limiter.h"

namespace archsim::models {

const std::vector<ComponentType>& component_types() {
  // In the order `archsim describe` and the reference list them.
  static const std::vector<ComponentType> types = {
      broker_type(),
      cache_type(),
      cdn_type(),
      database_type(),
      kv_store_type(),
      load_balancer_type(),
      rate_limiter_type(),
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

const std::vector<FaultKind>& fault_kinds() {
  // In the order the reference lists them: components' actions, then links'.
  static const std::vector<FaultKind> kinds = {
      crash_fault(),
      slow_down_fault(),
      fail_fault(),
      flush_fault(),
      add_shard_fault(),
      remove_shard_fault(),
      cut_link_fault(),
      slow_link_fault(),
      lossy_link_fault(),
  };
  return kinds;
}

const FaultKind* find_fault_kind(const std::string& name) {
  for (const auto& k : fault_kinds())
    if (k.name == name) return &k;
  return nullptr;
}

std::vector<std::string> types_taking(std::string_view fault_action) {
  std::vector<std::string> names;
  for (const auto& t : component_types())
    if (t.takes(fault_action)) names.push_back(t.name);
  return names;
}

}  // namespace archsim::models
