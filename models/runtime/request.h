// models/runtime/request.h: a request travelling between components, and the pool
// that recycles them so the event loop allocates nothing per request.
//
// A client's request is the root of a tree: every synchronous call a handler
// makes is a child request whose reply returns to the caller. A request names
// the operation it asks for, the user and the key, so that caches, shards and
// sticky sessions can route on them.
#pragma once

#include <cassert>
#include <cstdint>
#include <memory>
#include <vector>

#include "sim/event_queue.h"
#include "sim/time.h"

namespace archsim::models {

class Node;
struct Link;

// Why a request failed. The first failure on the way is the one reported.
enum class Failure : std::uint8_t {
  None = 0,
  Timeout,    // the client gave up waiting
  QueueFull,  // a service's queue was full
  Count,
};
const char* to_string(Failure failure);

struct Request {
  Request* parent = nullptr;  // the request whose handler made this call; null for a client's
  Node* reply_to = nullptr;   // receives the reply
  Link* link = nullptr;       // the link from reply_to; the reply travels back over it
  sim::Time created{};        // when the caller sent it
  sim::Time arrived{};        // when it reached the component now holding it
  std::uint64_t user_id = 0;
  std::uint64_t key = 0;
  std::uint32_t operation = 0;
  std::uint32_t client_operation = 0;  // the operation the client asked for (forward may rename `operation`)
  std::int32_t instance = -1;     // replica picked by a load balancer; -1 lets the pool choose
  std::uint16_t step = 0;         // next step of the handler running it
  std::uint16_t pending = 0;      // calls still outstanding
  Failure failure = Failure::None;
  std::uint64_t scratch = 0;      // for the node holding it (a load balancer's backend, a closed-loop user)
  sim::EventHandle timer{};       // the client's timeout
  bool abandoned = false;         // the client stopped waiting; the reply is dropped

  // Takes a call's failure as this request's, unless it already failed: the
  // first failure on the way is the one reported.
  void take_failure_from(const Request& call) {
    if (call.failure != Failure::None && failure == Failure::None) failure = call.failure;
  }

  // Back to the defaults above, field by field (assigning a fresh Request
  // would build it on the stack and copy it, on every request).
  void reset() {
    parent = nullptr;
    reply_to = nullptr;
    link = nullptr;
    created = arrived = sim::Time{};
    user_id = key = 0;
    operation = client_operation = 0;
    instance = -1;
    step = pending = 0;
    failure = Failure::None;
    scratch = 0;
    timer = {};
    abandoned = false;
  }
};

// Recycles requests. Pointers stay valid for the pool's lifetime.
class RequestPool {
 public:
  Request& acquire() {
    if (free_.empty()) grow();
    Request* r = free_.back();
    free_.pop_back();
    r->reset();
    ++in_use_;
    if (in_use_ > peak_) peak_ = in_use_;
    return *r;
  }
  void release(Request& r) {
    assert(in_use_ > 0);
    --in_use_;
    free_.push_back(&r);
  }
  std::size_t in_use() const { return in_use_; }
  std::size_t peak() const { return peak_; }

 private:
  void grow() {
    const std::size_t n = blocks_.empty() ? 1024 : blocks_.size() * 1024;
    blocks_.push_back(std::make_unique<Request[]>(n));
    free_.reserve(free_.size() + n);
    for (std::size_t i = n; i-- > 0;) free_.push_back(&blocks_.back()[i]);
  }
  std::vector<std::unique_ptr<Request[]>> blocks_;
  std::vector<Request*> free_;
  std::size_t in_use_ = 0;
  std::size_t peak_ = 0;
};

}  // namespace archsim::models
