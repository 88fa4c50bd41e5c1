// models/simulation/catalog.h: the component types a scenario can use, in
// one list (catalog.cpp). Each type lives in its own file pair under
// models/types/ and exports its ComponentType; adding a type adds one line
// to the list. See docs/adding-a-component.md.
#pragma once

#include <string>
#include <vector>

#include "models/runtime/component_type.h"

namespace archsim::models {

const std::vector<ComponentType>& component_types();
const ComponentType* find_component_type(const std::string& name);
// The names of the types with a capability, for messages.
std::vector<std::string> types_with(std::string_view capability);

}  // namespace archsim::models
