// models/types/compute/service.h: a pool of identical replicas, each with a number of
// workers and a bounded FIFO queue.
//
// A request takes a free worker of its replica or waits in that replica's
// queue; a request that finds the queue full is rejected (queue_full). A
// worker runs the handler of the request's operation, a list of steps:
// compute for a drawn time; call another component and wait for the reply;
// call several in parallel and wait for all; or forward the request on, which
// frees the worker and lets the next component reply to the caller. A worker
// stays held while it waits on a call, so a slow dependency exhausts the pool
// and the queue builds upstream, as in life. A failed call fails the handler:
// the remaining steps are skipped and the failure goes back to the caller.
//
// Not modelled here: CPU contention between workers (each worker is its own
// processor), per-request memory, timeouts and retries on calls.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "models/runtime/component.h"
#include "models/format/params.h"
#include "sim/ring_buffer.h"

namespace archsim::models {

spec::NodeRef service_spec();

class Service final : public Component {
 public:
  Service(const spec::Json& config, std::uint32_t index, Context& context);

  const char* type() const override { return "service"; }
  void connect(Wiring& wiring) override;
  std::int64_t capacity() const override { return replicas() * workers_; }
  std::int64_t replicas() const { return static_cast<std::int64_t>(replicas_.size()); }

  void on_request(Request& request) override;
  void on_reply(Request& call) override;
  void on_timer(std::uint32_t kind, std::uint64_t data) override;

  spec::Json extra_results(sim::Time now) const override;
  void on_window_begin(sim::Time now) override;
  void check_invariants() const override;

 private:
  enum Timer : std::uint32_t { kComputeDone = kFirstTimer };
  struct Target {
    std::string name;
    std::string operation_name;  // empty: the request's own operation
    Link* link = nullptr;
    std::int64_t operation = -1;
  };
  struct Step {
    enum class Kind { Compute, Call, Parallel, Forward } kind = Kind::Compute;
    Delay time;
    int channel = -1;  // the engine's lane when the time is constant
    std::vector<Target> targets;
  };
  struct Handler {
    std::vector<Step> steps;
  };
  struct Replica {
    std::int64_t busy = 0;
    sim::RingBuffer<Request*> queue;
    sim::TimeWeighted busy_time;  // kept only with several replicas
    std::uint64_t completed = 0;
    __int128 window_busy = 0;
    std::uint64_t window_completed = 0;
  };

  static Handler parse_handler(const spec::Json& steps);
  void admit(Request& request, Replica& replica);
  void begin(Request& request, Replica& replica);
  void run(Request& request);
  void finish(Request& request);
  Replica& leave(Request& request);  // frees the worker and counts the departure
  void serve_next(Replica& replica);
  std::uint32_t call_operation(const Target& target, const Request& request) const {
    return target.operation < 0 ? request.operation : static_cast<std::uint32_t>(target.operation);
  }

  std::int64_t workers_;
  std::int64_t queue_capacity_;
  std::vector<Replica> replicas_;
  std::size_t next_replica_ = 0;
  bool per_replica_;  // several replicas: track each one's busy time too
  std::vector<Handler> handlers_;              // by declaration
  std::vector<std::string> handler_names_;     // operation each handler serves; "" = service_time
  std::vector<const Handler*> by_operation_;   // by operation index; null: no handler (refused in validation)
  sim::Rng rng_;
};

}  // namespace archsim::models
