#include "models/runtime/dependency.h"

#include "models/format/params.h"
#include "models/runtime/component.h"

namespace archsim::models {

spec::NodeRef call_timeout_spec() {
  static const spec::NodeRef node =
      spec::Spec::number("The caller stops waiting after this long: the step fails (timeout), the callee's work goes on")
          .unit("ms")
          .greater_than(0)
          .max(kMaxMilliseconds)
          .build();
  return node;
}

void Dependency::connect(Node& owner, Wiring& wiring) {
  target_ = &wiring.node(config_.target);
  link_ = &wiring.link(owner, *target_);
  if (!config_.operation.empty()) operation_ = wiring.operation(config_.operation);
  if (config_.timeout_ms) {
    owner.context().callers_may_give_up = true;
    timeout_ = sim::Time::from_ms(*config_.timeout_ms);
    timeout_failure_ = wiring.failure_cause("timeout");
  }
}

}  // namespace archsim::models
