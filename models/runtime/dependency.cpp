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

spec::NodeRef access_spec() {
  static const spec::NodeRef node =
      spec::Spec::enumeration("What the request does to the data of its key; by default what the request it is made for does",
                              {"read", "write", "delete"})
          .build();
  return node;
}

Access read_access(const spec::Json& value) {
  const auto name = value.get<std::string>();
  return name == "write" ? Access::Write : name == "delete" ? Access::Delete : Access::Read;
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
  if (config_.retry) {
    // Its own stream, named by the caller and the order of its retrying
    // dependencies, so that its draws change no other component's.
    const std::string stream = owner.name() + "/retries/" + std::to_string(owner.next_retry_stream());
    retry_ = std::make_unique<RetryPolicy>(*config_.retry, owner.context().streams.for_component(stream));
    retry_->connect(wiring);
  }
}

}  // namespace archsim::models
