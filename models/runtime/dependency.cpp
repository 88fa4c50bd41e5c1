#include "models/runtime/dependency.h"

#include <cassert>
#include <string>

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

Request& Node::refuse_call(Dependency& dependency, Request& parent, Failure failure) {
  Request& call = new_request();
  call.parent = &parent;
  call.parent_generation = parent.generation;
  call.created = now();
  call.operation = dependency.operation(parent);
  call.access = dependency.access(parent);
  call.version = parent.version;  // a failed call brings back nothing new
  call.instance = parent.instance;
  call.reply_to = this;
  call.link = &dependency.link();
  call.failure = failure;
  // At this instant, but as an event: the caller learns of it as of any
  // failed reply, after what it is doing now.
  context_.engine.post_in(sim::Time{}, sim::Phase::Departure, this, kDeliverReply, reinterpret_cast<std::uint64_t>(&call));
  return call;
}

void add_payload_fields(spec::Spec& declaration) {
  // The sizes of a message and of its reply, each drawn per request; they
  // take size / bandwidth on links and network cards with a bandwidth.
  declaration.optional("request_bytes", size_distribution_spec()).optional("reply_bytes", size_distribution_spec());
}

std::optional<SizeDistribution> read_payload_field(const spec::Json& declaration, const char* field) {
  if (!declaration.contains(field)) return std::nullopt;
  return SizeDistribution(declaration[field]);
}

void Dependency::draw_sizes(Request& call, const Request& parent) {
  if (config_.passes_sizes) {
    call.request_bytes = parent.request_bytes;
    call.reply_bytes = parent.reply_bytes;
  }
  payload_.draw(call);
}

void Dependency::connect(Node& owner, Wiring& wiring) {
  target_ = &wiring.node(config_.target);
  if (config_.request_bytes || config_.reply_bytes) {
    sizes_ = Sizes::Draw;
    payload_ = PayloadSizes(config_.request_bytes, config_.reply_bytes,
                            owner.context().streams.for_component("sizes:" + owner.name() + ":" +
                                                                  std::to_string(owner.next_size_stream())));
  } else {
    sizes_ = config_.passes_sizes ? Sizes::Pass : Sizes::None;
  }
  link_ = &wiring.link(owner, *target_);
  if (!config_.operation.empty()) operation_ = wiring.operation(config_.operation);
  if (config_.timeout_ms) {
    owner.context().callers_may_give_up = true;
    timeout_ = sim::Time::from_ms(*config_.timeout_ms);
    // A lane of its own length: a timeout cancelled by its reply waits
    // there, not in the heap where it would deepen every other event's way.
    timeout_channel_ = owner.context().engine.channel(timeout_, sim::Phase::Timer);
    timeout_failure_ = wiring.failure_cause("timeout");
  }
  if (config_.retry) {
    // Its own stream, named by the caller and the order of its retrying
    // dependencies, so that its draws change no other component's.
    const std::string stream = owner.name() + "/retries/" + std::to_string(owner.next_retry_stream());
    retry_ = std::make_unique<RetryPolicy>(*config_.retry, owner.context().streams.for_component(stream));
    retry_->connect(wiring);
  }
  if (config_.hedge) {
    // The losers of a race are calls given up on: their replies come late.
    owner.context().callers_may_give_up = true;
    hedge_ = std::make_unique<HedgePolicy>(*config_.hedge);
  }
  assert(!(retry_ && hedge_));
  has_attempts_ = retry_ || hedge_;
}

}  // namespace archsim::models
