// models/simulation/catalog.h: the component types a scenario can use, and
// the kinds of action its fault timeline can hold, each in one list
// (catalog.cpp). Each type lives in its own file pair under models/types/
// and exports its ComponentType; each kind of fault exports its FaultKind
// (models/runtime/fault_kind.h, or beside the type it is about); adding one
// adds one line to its list. See docs/adding-a-component.md.
#pragma once

#include <string>
#include <vector>

#include "models/runtime/component_type.h"
#include "models/runtime/fault_kind.h"

namespace archsim::models {

const std::vector<ComponentType>& component_types();
const ComponentType* find_component_type(const std::string& name);
// The names of the types with a capability, for messages.
std::vector<std::string> types_with(std::string_view capability);

const std::vector<FaultKind>& fault_kinds();
const FaultKind* find_fault_kind(const std::string& name);
// The names of the types whose components take a fault action, for messages.
std::vector<std::string> types_taking(std::string_view fault_action);

}  // namespace archsim::models
