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
#include <string>
#include <string_view>
#include <vector>

#include "sim/event_queue.h"
#include "sim/time.h"

namespace archsim::models {

class Node;
class Dependency;
struct Link;

// Why a request failed: an index into the run's FailureCauses, 0 for none.
// Causes are registered by name by the parts that produce them (a pool's
// queue_full, a caller's timeout), so a new component type adds its own
// without editing a central list. The first failure on the way is the one
// reported.
struct Failure {
  std::uint8_t id = 0;
  explicit operator bool() const { return id != 0; }
  friend bool operator==(Failure, Failure) = default;
};
inline constexpr Failure kNoFailure{};

// The failure causes of one run, in the order they were registered (which
// follows the scenario: workloads, then components, in file order, then the
// fault timeline), so the results list them in a stable order. Every cause
// a run can produce is registered before it starts, so that the time series
// has a column for each from its first row: a part that produces a cause
// only sometimes (a crash, a cut link) has it registered by whoever plans
// that (the fault timeline), and finds it with intern when it happens.
class FailureCauses {
 public:
  static constexpr std::size_t kMax = 32;  // enough for every type; checked
  // The cause called `name`, registered on first use (only before close()).
  Failure intern(std::string_view name);
  // The run starts: the list is complete, and a new name is an error.
  void close() { closed_ = true; }
  std::size_t size() const { return names_.size(); }  // including "none" at 0
  const std::string& name(Failure cause) const { return names_[cause.id]; }

 private:
  std::vector<std::string> names_{"none"};
  bool closed_ = false;
};

// What a request does to the data it names by its key: read it, write a
// new version of it, or delete it (a write that leaves no value; a cache
// drops its entry). Data components act on it; the others pass it on.
enum class Access : std::uint8_t { Read = 0, Write = 1, Delete = 2 };

// The user_id of a request no user sent (a load balancer's health probe):
// nothing keyed by user (a session) is touched by it.
inline constexpr std::uint64_t kNoUser = ~std::uint64_t{0};

struct Request {
  // The fields are in the order reset() stores them, laid out so that the
  // compiler pairs those stores into a few wide ones: keep both orders in
  // step when adding one.
  //
  // Changes each time the request goes back to the pool, so a reply to a
  // call it made is recognised as late even after the request was reused.
  std::uint32_t generation = 0;
  // The life of the worker pool holding it when it took its worker or began
  // its latest compute step (WorkerPool::cut_short); meaningless while no
  // pool holds it, and not reset.
  std::uint32_t life = 0;
  std::uint32_t parent_generation = 0;  // the parent's generation when this call was made
  std::int32_t instance = -1;     // replica picked by a load balancer; -1 lets the pool choose
  Request* parent = nullptr;  // the request whose handler made this call; null for a client's
  Node* reply_to = nullptr;   // receives the reply
  Link* link = nullptr;       // the link from reply_to; the reply travels back over it
  sim::Time created{};        // when the caller sent it
  sim::Time arrived{};        // when it reached the component now holding it
  sim::Time started{-1};      // when it took a worker there (WorkerPool); before `arrived` while it has none there
  std::uint64_t user_id = 0;
  std::uint64_t key = 0;
  std::uint32_t operation = 0;
  std::uint32_t client_operation = 0;  // the operation the client asked for (forward may rename `operation`)
  std::uint16_t step = 0;         // next step of the handler running it
  std::uint16_t pending = 0;      // calls still outstanding
  Failure failure{};
  bool abandoned = false;         // the caller stopped waiting; the reply is dropped
  bool lost = false;              // lost on a link: its caller's timeout releases it
  Access access = Access::Read;   // what it does to the data of its key
  std::uint32_t held_by = 0;      // the mark of its holder (a worker pool, a cache waiting on its backend); 0: none
  bool hit = false;               // a cache answered it from a fresh entry (see the cache)
  // Under a retry policy (models/runtime/retry_policy.h): which attempt of
  // its call it is (1 for the first; 0: its dependency does not retry), and
  // whether the attempt before it timed out (what a retry budget refunds).
  std::uint8_t attempt = 0;
  bool retried_after_timeout = false;
  // For the node that sent it, kept while others hold it (a load balancer's
  // backend, a service's wait, a closed-loop user); nobody else touches it.
  std::uint64_t scratch = 0;
  // The version of the key's data it carries: what a read found, what a
  // write committed, what a fill stores (0: the data the run starts with).
  std::uint64_t version = 0;
  // The sizes of its message and of its reply, in bytes, for the links and
  // network cards with a bandwidth (0: no time on the wire). Drawn where the
  // scenario declares them (a workload's operation, a call step) and passed
  // on by components that forward a request (a load balancer, a cache).
  std::uint32_t request_bytes = 0;
  std::uint32_t reply_bytes = 0;
  sim::EventHandle timer{};       // the caller's timeout on this call
  Dependency* dependency = nullptr;  // the caller's dependency it was sent through
  sim::Time backoff{};            // the backoff waited before this attempt (retries)

  // Takes a call's failure as this request's, unless it already failed: the
  // first failure on the way is the one reported.
  void take_failure_from(const Request& call) {
    if (call.failure && !failure) failure = call.failure;
  }
  // Takes what a call's reply brings: its failure (as above), the version
  // of the data it read or wrote, and whether a cache answered it.
  void take_reply_from(const Request& call) {
    take_failure_from(call);
    version = call.version;
    hit = call.hit;
  }

  // Whether its caller still waits for this call's reply: it has not given
  // up on it, and the request it was made for is still the same.
  bool awaited() const { return !abandoned && (parent == nullptr || parent->generation == parent_generation); }

  // Whether anyone still waits for this request's reply: its caller, and
  // everyone above its caller, for theirs. Walks up the calls; stops where
  // a caller is gone (its generation moved on), reading nothing else of it.
  bool awaited_all_the_way() const {
    const Request* r = this;
    for (;;) {
      if (!r->awaited()) return false;
      if (r->parent == nullptr) return true;
      r = r->parent;
    }
  }

  // Makes every call this request has made late, as if it had gone back to
  // the pool: their replies will be dropped, their timeouts ignored. For a
  // request whose holder dies with it (a crashed replica).
  void disown_calls() { ++generation; }

  // Back to the defaults above, field by field (assigning a fresh Request
  // would build it on the stack and copy it, on every request), in the
  // order of the fields. The generation is kept: it only ever grows; and so
  // is the life, which only a pool holding the request reads.
  void reset() {
    parent_generation = 0;
    instance = -1;
    parent = nullptr;
    reply_to = nullptr;
    link = nullptr;
    created = sim::Time{};
    arrived = sim::Time{};
    started = sim::Time{-1};
    user_id = 0;
    key = 0;
    operation = 0;
    client_operation = 0;
    step = 0;
    pending = 0;
    failure = kNoFailure;
    abandoned = false;
    lost = false;
    access = Access::Read;
    held_by = 0;
    hit = false;
    attempt = 0;
    retried_after_timeout = false;
    scratch = 0;
    version = 0;
    request_bytes = 0;
    reply_bytes = 0;
    timer = {};
    dependency = nullptr;
    backoff = sim::Time{};
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
    ++r.generation;
    free_.push_back(&r);
  }
  std::size_t in_use() const { return in_use_; }
  std::size_t peak() const { return peak_; }

  // A mark for a holder of requests (a worker pool) to set on those it
  // holds (Request::held_by) and find them again with for_each; never 0.
  std::uint32_t new_holder_mark() { return ++holder_marks_; }
  // Every request, in use or not, in a fixed order (that of the blocks).
  template <class F>
  void for_each(F f) const {
    for (std::size_t b = 0; b < blocks_.size(); ++b)
      for (std::size_t i = 0; i < block_sizes_[b]; ++i) f(blocks_[b][i]);
  }

 private:
  void grow() {
    const std::size_t n = blocks_.empty() ? 1024 : blocks_.size() * 1024;
    blocks_.push_back(std::make_unique<Request[]>(n));
    block_sizes_.push_back(n);
    free_.reserve(free_.size() + n);
    for (std::size_t i = n; i-- > 0;) free_.push_back(&blocks_.back()[i]);
  }
  std::vector<std::unique_ptr<Request[]>> blocks_;
  std::vector<std::size_t> block_sizes_;
  std::vector<Request*> free_;
  std::uint32_t holder_marks_ = 0;
  std::size_t in_use_ = 0;
  std::size_t peak_ = 0;
};

}  // namespace archsim::models
