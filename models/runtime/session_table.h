// models/runtime/session_table.h: users' sessions held in the memory of a
// pool's replicas, as in a stateful web tier.
//
// A user's session is made by the first of their requests a replica admits,
// and lives on that replica from then on. A later request of the user
// admitted by the same replica finds it there. One admitted by another
// replica does not (the session is on another server): the user is logged
// out and logs in again there, and the session moves (a miss). A crash of a
// replica loses every session it holds at once (lost): their users are
// logged out, and the next request of each makes a new session wherever it
// lands. A sticky load balancer (policy hash on user_id) keeps a user on
// one replica, so only crashes log users out; a stateless tier keeps no
// sessions here (it reads them from a shared store with a call step).
//
// Each user's session is one entry (the replica and that replica's life
// when it was made), so memory grows with the users seen, not the requests.
//
// Not modelled here: session expiry (an idle session lives for ever),
// session size, replicating sessions between replicas, and the cost of
// logging in (a request that finds no session is served like any other).
#pragma once

#include <cassert>
#include <cstdint>
#include <vector>

#include "models/runtime/request.h"
#include "sim/key_map.h"
#include "sim/metrics.h"
#include "sim/time.h"

namespace archsim::models {

class SessionTable {
 public:
  explicit SessionTable(std::size_t replicas) : held_(replicas, 0), life_(replicas, 0) {}

  // A request of `user` was admitted by `replica` at `now`. A request no
  // user sent (kNoUser: a health probe) touches nothing.
  void admitted(std::uint64_t user, std::size_t replica, sim::Time now) {
    if (user == kNoUser) return;
    std::uint64_t& entry = sessions_.at(user);
    const std::uint64_t here = token(replica);
    if (entry == here) return;  // the session is where it was made
    if (entry == 0 || !alive(entry)) {
      // A new user, or one whose session a crash took: a new session.
      ++created_;
    } else {
      // The session is on another replica, still up: logged out here.
      ++misses_;
      ++created_;
      --held_[replica_of(entry)];
      held_total_.add(now, -1);
    }
    entry = here;
    ++held_[replica];
    held_total_.add(now, +1);
  }
  // The replica crashed: every session on it is lost.
  void crash(std::size_t replica, sim::Time now) {
    lost_ += held_[replica];
    held_total_.add(now, -static_cast<std::int64_t>(held_[replica]));
    held_[replica] = 0;
    ++life_[replica];
  }

  const std::uint64_t& created() const { return created_; }
  const std::uint64_t& lost() const { return lost_; }
  const std::uint64_t& misses() const { return misses_; }
  sim::TimeWeighted& held() { return held_total_; }
  void check_invariants() const {
    std::int64_t total = 0;
    for (auto h : held_) total += static_cast<std::int64_t>(h);
    assert(total == held_total_.value());
    (void)total;
  }

 private:
  // An entry: the replica + 1 in the high half, its life in the low half
  // (0 is no session).
  std::uint64_t token(std::size_t replica) const {
    return (static_cast<std::uint64_t>(replica) + 1) << 32 | (life_[replica] & 0xffffffffu);
  }
  static std::size_t replica_of(std::uint64_t entry) { return static_cast<std::size_t>((entry >> 32) - 1); }
  bool alive(std::uint64_t entry) const { return entry == token(replica_of(entry)); }

  sim::KeyMap sessions_;           // user -> entry
  std::vector<std::uint64_t> held_;  // sessions each replica holds
  std::vector<std::uint64_t> life_;  // crashes of each replica so far
  sim::TimeWeighted held_total_;
  std::uint64_t created_ = 0, lost_ = 0, misses_ = 0;
};

}  // namespace archsim::models
