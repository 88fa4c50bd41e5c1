// models/simulation/registry.h: the component types a scenario can use. Each registers
// its name, a one-line description (for `archsim describe` and "did you
// mean"), its parameter declarations, how operations flow through it (for
// validation), and how to build it.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "models/runtime/component.h"
#include "models/format/spec.h"

namespace archsim::models {

// A call or hand-off a component makes for a request of some operation.
struct Outflow {
  std::string target;
  std::string operation;
};

struct ComponentType {
  std::string name;
  std::string summary;
  spec::NodeRef spec;
  // The calls a component makes for an incoming operation; false when it
  // cannot serve that operation at all.
  std::function<bool(const spec::Json& config, const std::string& operation, std::vector<Outflow>& out)> route;
  std::function<std::unique_ptr<Component>(const spec::Json& config, std::uint32_t index, Context& context)> make;
};

const std::vector<ComponentType>& component_types();
const ComponentType* find_component_type(const std::string& name);

}  // namespace archsim::models
