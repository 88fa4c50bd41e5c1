// models/types/traffic/rate_limiter.h: a rate limiter, as an API gateway in
// front of any callable component, or as a decision a service's handler
// asks for with a call step.
//
// Each request is decided by one of the five algorithms of
// models/runtime/rate_limit.h, on the state of its key: one state for all
// requests (global), one per user id, or one per client (the workload the
// request came from, found by walking up its calls). A refused request goes
// back at once, failed with the cause rate_limited (the HTTP 429). An
// admitted one is proxied to the backend, whose reply is relayed; without a
// backend the limiter answers it at once, successfully, so that a handler's
// call step to it fails the handler exactly when the limit refuses. A leaky
// bucket holds an admitted request in its queue until its turn to leave.
//
// Per-key state is kept for at most `max_keys` keys at once (allocated when
// the limiter is built): a new key past the bound takes the slot of the key
// seen least recently, which starts afresh when it comes back (nginx's
// limit_req does the same when its zone is full). Evictions are counted.
//
// Distributed (`counter_store`): the counters live in a shared cache
// component, as in a fleet of limiters sharing Redis. Every decision first
// makes a call to that cache (a write of the key, INCR-like), and is taken
// when its reply comes back, so the round trip adds to every request's
// latency and the cache's load is the limiter's. A decision whose store
// call failed lets the request through (fail open), counted.
//
// Not modelled here: the store's atomicity beyond the order replies come
// back in (a Lua script's); several limiter instances with their own local
// state; response headers (Retry-After); requests costing several tokens.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "models/runtime/component_type.h"
#include "models/runtime/dependency.h"
#include "models/runtime/rate_limit.h"

namespace archsim::models {

struct RateLimiterConfig {
  enum class Key { Global, UserId, Client };  // in the order of the declaration
  std::string name;
  std::string backend;  // empty: the limiter answers itself
  RateLimitConfig limit;
  Key key = Key::Global;
  std::int64_t max_keys = 10000;
  std::string counter_store;  // empty: the counters are the limiter's own
};

spec::NodeRef rate_limiter_spec();
ComponentType rate_limiter_type();

class RateLimiter final : public Component {
 public:
  RateLimiter(RateLimiterConfig config, Context& context);

  const char* type() const override { return "rate_limiter"; }
  void connect(Wiring& wiring) override;
  void on_request(Request& request) override;
  void on_reply(Request& call) override;
  void on_timer(std::uint32_t kind, std::uint64_t data) override;
  void on_window_begin(sim::Time now) override;
  void check_invariants() const override;

 private:
  enum Timer : std::uint32_t { kLeave = kFirstTimer };
  // The marks of calls in their scratch: which dependency made them.
  enum CallKind : std::uint64_t { kBackendCall = 0, kStoreCall = 1 };

  // The key the request is limited under, and for clients the client's index.
  std::uint64_t key_of(const Request& request);
  void decide(Request& request);
  void pass(Request& request);
  void leave(Request& request);

  RateLimiterConfig::Key key_kind_;
  std::unique_ptr<RateLimit> limit_;
  std::optional<KeyTable> keys_;  // none when global
  std::optional<Dependency> backend_;
  std::optional<Dependency> store_;
  Failure rate_limited_{};
  std::string algorithm_name_;

  // Clients, in the order they first came (a workload's requests find it by
  // walking up to the call with no parent; null: a request whose client
  // has gone). Reserved for the workloads of any reasonable scenario.
  std::vector<const Node*> clients_;
  std::vector<std::uint64_t> refused_by_client_;
  std::vector<std::uint64_t> window_refused_by_client_;

  std::uint64_t decisions_ = 0;  // the algorithm consulted
  std::uint64_t admitted_ = 0;
  std::uint64_t refused_ = 0;
  std::uint64_t evictions_ = 0;  // mirror of keys_->evictions(), for the declared count
  std::uint64_t store_calls_ = 0;
  std::uint64_t store_failures_ = 0;
};

}  // namespace archsim::models
