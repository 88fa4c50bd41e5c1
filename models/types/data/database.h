// models/types/data/database.h: a primary database and its read replicas,
// with replication simulated write by write.
//
// The database is a pool of servers of `workers` workers and a bounded FIFO
// queue each: server 0 is the primary, servers 1..N the read replicas.
// Writes (and deletes) go to the primary; each takes a worker for a drawn
// write time and then commits: the key's version goes up by one in the
// system of record (Context::committed), or to the version the write
// carries if that is higher (a write-back cache numbers the writes it
// holds), and the reply carries it. Every
// committed write is then shipped to each replica, arriving after a drawn
// replication delay, and queues in that replica's relay log; the replica
// applies it with one of its workers for a drawn apply time, taking the
// oldest of the relay log's head and its read queue's head as workers free.
// So a replica that is busy with reads applies later, and its lag (commit to
// applied) grows: lag is an outcome, not a parameter.
//
// Reads go where `read_from` says (the primary, the replicas in turn or to
// the least loaded, or any server), and to the primary for
// `read_your_writes_s` after the same user's own write. A read takes a worker
// for a drawn read time and returns the version the server holds when it
// ends; a read on a replica that has not yet applied the key's latest
// committed write is a stale read, counted per replica and in total. The
// primary is never stale.
//
// Faults (on_fault): a slowed server's compute steps (reads, writes and
// applies) take k times their drawn time plus an added delay, so a slowed
// replica applies later and its lag and stale reads grow; a slowed primary
// holds up every write. A crashed server fails at once what it holds and what
// waits for it (crashed), and refuses what reaches it; reads go to the
// servers still up. A crashed replica keeps the writes shipped to it in its
// relay log (the primary keeps its log) and applies them when it recovers. A
// crashed primary refuses requests with no_primary (or, configured so, holds
// the writes until a new primary takes them); `failover_after_s` later the
// replica that has applied the most writes is promoted. The writes it had not
// applied are lost: counted, and the system of record goes back to what the
// new primary holds. Writes of the old primary still on their way to other
// replicas are dropped. A recovered old primary rejoins as a replica,
// resynchronised with the new primary.
//
// Not modelled here: transactions and locks, conflicts between writes
// (each commits in the order it ends), replicas applying in parallel out of
// commit order beyond what their workers do, the relay log's own size
// limit, disk and buffer-pool effects on the service times.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "models/format/params.h"
#include "models/runtime/component_type.h"
#include "models/runtime/slow_down.h"
#include "models/runtime/worker_pool.h"
#include "sim/histogram.h"
#include "sim/key_map.h"
#include "sim/ring_buffer.h"

namespace archsim::models {

struct DatabaseConfig {
  enum class ReadFrom { Primary, Replicas, Any };
  enum class Policy { RoundRobin, LeastLoaded };
  std::string name;
  std::int64_t read_replicas = 0;
  std::int64_t workers = 1;
  std::int64_t queue_capacity = 100000;
  Delay read_time;
  Delay write_time;
  Delay replication_delay;
  Delay apply_time;  // unset: the write time
  bool has_apply_time = false;
  ReadFrom read_from = ReadFrom::Replicas;
  Policy replica_policy = Policy::RoundRobin;
  double read_your_writes_s = 0;
  std::optional<double> failover_after_s;  // none: a crashed primary stays down until it recovers
  bool writes_wait_for_failover = false;
};

spec::NodeRef database_spec();
ComponentType database_type();

class Database final : public Component {
 public:
  Database(DatabaseConfig config, Context& context);

  const char* type() const override { return "database"; }
  void connect(Wiring&) override {}
  std::int64_t capacity() const override { return pool_.capacity(); }

  void on_request(Request& request) override;
  void on_reply(Request& call) override;
  void on_timer(std::uint32_t kind, std::uint64_t data) override;

  bool on_fault(const FaultAction& action) override;
  void on_window_begin(sim::Time now) override;
  void check_invariants() const override;

 private:
  enum Timer : std::uint32_t { kShipped = kFirstTimer, kPromote, kDone };  // kDone + the pool's life when the step began
  // What a server counts beyond its pool's figures; the relay log and the
  // applied versions are a replica's.
  struct Replica {
    sim::RingBuffer<Request*> relay;  // shipped writes waiting to be applied, oldest first
    sim::KeyMap applied;              // the version of each key it holds
    std::uint64_t reads = 0, stale_reads = 0, applied_writes = 0;
    std::uint64_t in_transit = 0;  // shipped to it, not yet arrived
    bool resync = false;           // a replaced primary: takes the new primary's data when it recovers
    __int128 lag_ns = 0;
    std::int64_t lag_max_ns = 0;
    // At the start of the measured window, for its figures.
    std::uint64_t window_reads = 0, window_stale = 0, window_applied = 0;
    __int128 window_lag_ns = 0;
  };

  // One failover: the primary's crash, the promotion, the writes lost.
  struct Failover {
    sim::Time crashed{};
    sim::Time promoted = sim::Time::max();  // max: not (yet) promoted
    std::int64_t old_primary = 0, new_primary = -1;
    std::uint64_t lost_writes = 0;
  };

  // Server 0 is the primary at the start, 1..N the replicas.
  std::size_t server_for_read(const Request& request);
  void begin(Request& request);
  // Admits a request to a server: a worker, a place in its queue, or a refusal.
  void admit_at(Request& request, std::size_t server);
  void done(Request& request);
  void ship(std::uint64_t key, std::uint64_t version);
  void shipped(Request& write);
  // A replicated write takes a free worker of its server (write.instance).
  void start_apply(Request& write);
  // A worker of `server` was freed: the oldest of its relay log's head and
  // its queue's head takes it.
  void serve_next(std::size_t server);
  static bool is_apply(const Request& request) { return request.reply_to == nullptr; }
  void crash(std::size_t server);
  void recover(std::size_t server);
  void promote(std::size_t failover);
  // A write that waited for a new primary, or a request refused meanwhile.
  void admit_to_primary(Request& request);

  WorkerPool pool_;
  std::vector<Replica> replicas_;  // by server (the primary's entry holds no relay log)
  Delay read_time_, write_time_, replication_delay_, apply_time_;
  DatabaseConfig::ReadFrom read_from_;
  DatabaseConfig::Policy policy_;
  sim::Time read_your_writes_{};
  std::size_t primary_ = 0;
  bool primary_down_ = false;
  std::optional<sim::Time> failover_after_;
  bool writes_wait_ = false;
  sim::RingBuffer<Request*> waiting_writes_;  // writes held for a new primary
  std::uint64_t epoch_ = 0;  // promotions so far: shipped writes of an earlier primary are dropped
  Failure crashed_{}, no_primary_{};
  std::vector<Failover> failovers_;
  std::uint64_t lost_writes_ = 0;
  bool promotion_due_ = false;  // the failover delay is over, but no replica was up to promote
  sim::KeyMap last_write_;   // by user: the time of their last write, in ns + 1 (0: none)
  std::size_t next_read_ = 0;
  sim::Rng rng_;
  SlowDowns slow_;  // by server
  std::uint64_t reads_ = 0, writes_ = 0, replica_reads_ = 0, stale_reads_ = 0, primary_reads_after_write_ = 0;
  std::uint64_t applied_ = 0;
  __int128 lag_ns_ = 0;
  sim::Histogram lag_;          // commit to applied, over every replica, measured window
  sim::TimeWeighted backlog_;   // writes shipped and not yet applied, over every replica
  std::int64_t applying_ = 0;   // apply jobs holding workers now
};

}  // namespace archsim::models
