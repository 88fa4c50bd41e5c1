// models/runtime/dependency.h: the caller's side of calls to one component.
//
// Every call from one node to another goes through a Dependency owned by the
// caller: it holds the link the calls travel, the operation they ask for,
// how long the caller waits for a reply, and the retry policy, if any
// (models/runtime/retry_policy.h; the other resilience models add their
// state here too). Node::call makes the call, stamps it with its parent's
// generation and starts its timer; Node drops a reply to a call that was
// given up on before any handler sees it, and makes the retries of a
// failed call before the handler hears of the failure (see component.h).
//
// A caller may guard its calls to a component with a circuit breaker
// (circuit_breaker.h) and a bulkhead (bulkhead.h), declared beside the call;
// a call they refuse is never made: Node::refuse_call sends it straight back
// to its caller, failed. A failed call may be retried (retry_policy.h).
//
// A call may instead be hedged (hedge_policy.h): sent again while it goes
// unanswered, the first success answering it. Retries and hedging exclude
// each other on one call.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "models/format/params.h"
#include "models/format/spec.h"
#include "models/runtime/bulkhead.h"
#include "models/runtime/circuit_breaker.h"
#include "models/runtime/component.h"
#include "models/runtime/hedge_policy.h"
#include "models/runtime/request.h"
#include "models/runtime/retry_policy.h"
#include "sim/time.h"

namespace archsim::models {


struct DependencyConfig {
  std::string target;                // names another node
  std::string operation;             // empty: the request's own operation
  std::optional<double> timeout_ms;  // none: the caller waits as long as it takes
  std::optional<Access> access = {};  // none: the request's own access
  std::optional<CircuitBreakerConfig> circuit_breaker = {};  // none: no breaker
  std::optional<BulkheadConfig> bulkhead = {};               // none: no limit on calls in flight
  std::optional<RetryConfig> retry = {};  // none: a failed call fails its step at once
  std::optional<HedgeConfig> hedge = {};  // none: one attempt at a time
  // The sizes of the call's message and of its reply (add_payload_fields). A
  // size not declared is the request's own when the caller passes requests
  // on (passes_sizes: a load balancer, a cache), else 0.
  std::optional<SizeDistribution> request_bytes = {};
  std::optional<SizeDistribution> reply_bytes = {};
  bool passes_sizes = true;
};

// `request_bytes` and `reply_bytes`, the sizes of a request's message and of
// its reply, added to the declaration of a call (or of a workload's operation).
void add_payload_fields(spec::Spec& declaration);
// One of those fields of a declaration, read (none when it is left out).
std::optional<SizeDistribution> read_payload_field(const spec::Json& declaration, const char* field);
// Draws the sizes of messages: each of the two is drawn or left alone.
class PayloadSizes {
 public:
  PayloadSizes() = default;
  PayloadSizes(std::optional<SizeDistribution> request, std::optional<SizeDistribution> reply, sim::Rng rng)
      : request_(std::move(request)), reply_(std::move(reply)), rng_(rng) {}
  void draw(Request& request) {
    if (request_) request.request_bytes = request_->draw(rng_);
    if (reply_) request.reply_bytes = reply_->draw(rng_);
  }

 private:
  std::optional<SizeDistribution> request_, reply_;
  sim::Rng rng_{0};
};

// `"timeout_ms": 250` beside a call, in the declaration of a type that calls.
spec::NodeRef call_timeout_spec();
// `"access": "write"`: what a request does to its key's data (read, write,
// delete), and its value read from a declaration.
spec::NodeRef access_spec();
Access read_access(const spec::Json& value);

class Dependency {
 public:
  explicit Dependency(DependencyConfig config) : config_(std::move(config)) {}

  // Resolves the target, its link from `owner`, and the operation.
  void connect(Node& owner, Wiring& wiring);

  const std::string& target_name() const { return config_.target; }
  Node& target() const { return *target_; }
  Link& link() const { return *link_; }
  // The operation a call made for `parent` asks for.
  std::uint32_t operation(const Request& parent) const {
    return operation_ < 0 ? parent.operation : static_cast<std::uint32_t>(operation_);
  }
  // The access a call made for `parent` asks for.
  Access access(const Request& parent) const { return config_.access ? *config_.access : parent.access; }
  bool has_timeout() const { return config_.timeout_ms.has_value(); }
  sim::Time timeout() const { return timeout_; }
  // The engine's lane for timers of that length, or -1 (none left: the heap).
  int timeout_channel() const { return timeout_channel_; }
  // The failure a timed-out call gives its parent.
  Failure timeout_failure() const { return timeout_failure_; }
  // Its retry policy, or null (built by connect).
  RetryPolicy* retry() const { return retry_.get(); }
  // Its hedging, or null (built by connect).
  HedgePolicy* hedge() const { return hedge_.get(); }
  // Whether a call through it may be made of several attempts (retries or
  // hedges), numbered in Request::attempt.
  bool has_attempts() const { return has_attempts_; }
  // How a call through it gets its message sizes (Request::request_bytes,
  // reply_bytes): the parent's passed on, drawn, or none (0).
  enum class Sizes : std::uint8_t { None, Pass, Draw };
  Sizes sizes() const { return sizes_; }
  void draw_sizes(Request& call, const Request& parent);

 private:
  DependencyConfig config_;
  std::unique_ptr<RetryPolicy> retry_;
  std::unique_ptr<HedgePolicy> hedge_;
  bool has_attempts_ = false;
  Sizes sizes_ = Sizes::None;
  PayloadSizes payload_;
  Node* target_ = nullptr;
  Link* link_ = nullptr;
  std::int64_t operation_ = -1;
  sim::Time timeout_{};
  int timeout_channel_ = -1;
  Failure timeout_failure_{};
};

// Node's calls through a dependency, inline: every call passes through
// them (declared in component.h). Forced, as the compiler would keep them
// out of line in a caller as large as a service's run().

[[gnu::always_inline]] inline Request& Node::call(Dependency& dependency, Request& parent, std::int32_t instance) {
  Request& call = new_call(dependency, parent, instance);
  dispatch(dependency, call);
  return call;
}

[[gnu::always_inline]] inline Request& Node::new_call(Dependency& dependency, Request& parent, std::int32_t instance) {
  Request& call = new_request();
  call.parent = &parent;
  call.parent_generation = parent.generation;
  call.created = now();
  call.user_id = parent.user_id;
  call.key = parent.key;
  call.operation = dependency.operation(parent);
  call.access = dependency.access(parent);
  call.version = parent.version;  // what a write or a fill stores
  call.instance = instance;
  // A call without sizes (most of a handler's) is left at 0 by reset().
  if (dependency.sizes() != Dependency::Sizes::None) {
    if (dependency.sizes() == Dependency::Sizes::Pass) {
      call.request_bytes = parent.request_bytes;
      call.reply_bytes = parent.reply_bytes;
    } else [[unlikely]] {
      dependency.draw_sizes(call, parent);
    }
  }
  return call;
}

[[gnu::always_inline]] inline void Node::dispatch(Dependency& dependency, Request& request) {
  request.reply_to = this;
  request.link = &dependency.link();
  request.dependency = &dependency;
  // A first attempt under a retry policy or hedging is counted as a call
  // (and a hedged one opens its record); a retry or a hedge comes here
  // already numbered (Node::retry, Node::hedge_due).
  if (dependency.has_attempts() && request.attempt == 0) [[unlikely]] first_attempt(dependency, request);
  if (dependency.has_timeout()) {
    const auto data = reinterpret_cast<std::uint64_t>(&request);
    request.timer = dependency.timeout_channel() >= 0
                        ? context_.engine.schedule_on(dependency.timeout_channel(), this, kCallTimeout, data)
                        : context_.engine.schedule_in(dependency.timeout(), sim::Phase::Timer, this, kCallTimeout, data);
  }
  send(request, dependency.link(), kParentsReplica);
}

}  // namespace archsim::models
