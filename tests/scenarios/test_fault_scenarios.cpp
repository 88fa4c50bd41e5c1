// The scenarios with a fault timeline do what their descriptions say, run
// for their whole duration: a replica that crashes behind a round-robin load
// balancer takes a third of the traffic down with it while it is down, and
// a database slowed five times builds queues that drain once it is back; a
// shard added to a ring moves a fifth of the keys, by mod N four fifths; a
// crashed CDN edge's users fail until the crash is known, then move.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "models/runtime/hash_ring.h"
#include "models/simulation/series.h"
#include "sim/rng.h"
#include "tests/scenarios/scenario_runs.h"

namespace {

using namespace archsim::test_scenarios;
using archsim::models::HashRing;

}  // namespace

TEST_CASE("replica-crash: while web[1] is down, the requests the round robin gives it fail: a third of them") {
  const Json r = full_run("replica-crash");
  const Json& fault = r["faults"]["timeline"][0];
  REQUIRE(fault["action"] == "crash");
  REQUIRE(fault["target"] == "web[1]");
  const double offered = fault["offered"].get<double>();
  const double crashed = fault["failed"]["crashed"].get<double>();
  // Round robin gives web[1] every third request: of the N sent from 30 to 60
  // s, N / 3 rounded either way. Besides: those web[1] held at 30 s (at most
  // its 4 workers, as its queue stays empty at this load), and at each edge
  // of the window the few requests still on their two 0.25 ms hops, sent on
  // one side of it and refused on the other (say 2).
  INFO("offered " << offered << ", crashed " << crashed);
  CHECK(std::fabs(crashed - offered / 3) <= 1 + 4 + 2);
  CHECK(r["components"]["web"]["queue_length"]["max"] == 0);
  // Every crashed failure is a request web[1] refused or held.
  CHECK(r["summary"]["failed"]["crashed"] == r["components"]["web"]["rejected"].get<std::uint64_t>() +
                                                 r["components"]["web"]["failed"].get<std::uint64_t>());
  CHECK(fault["failed"]["total"] == fault["failed"]["crashed"]);
  // Interval by interval: crashed failures from 30 to 60 s only, a third of
  // each interval's requests (within the rounding and the edges: 3).
  const Json t = column(r, "t_s"), failed = column(r, "failed.crashed"), sent = column(r, "offered");
  for (std::size_t i = 0; i < t.size(); ++i) {
    const double at = t[i].get<double>();
    CAPTURE(at);
    if (at <= 30 || at >= 62) CHECK(failed[i] == 0);
    if (at > 30 && at <= 60) CHECK(std::fabs(failed[i].get<double>() - sent[i].get<double>() / 3) <= 3);
  }
  // Back at 60 s, nothing more fails: recovered at once.
  CHECK(fault["recovery_s"] == 0.0);
}

TEST_CASE("slow-database: the queues build while the database is slow, drain after, and the clients recover in a second") {
  const Json r = full_run("slow-database");
  const Json& fault = r["faults"]["timeline"][0];
  REQUIRE(fault["action"] == "slow_down");
  const Json t = column(r, "t_s");
  const Json web_queue_max = column(r, "components.web.queue_length_max");
  const Json web_queue = column(r, "components.web.queue_length_mean");
  const Json db_queue = column(r, "components.db.queue_length_mean");
  const Json queue_full = column(r, "failed.queue_full");
  for (std::size_t i = 0; i < t.size(); ++i) {
    const double at = t[i].get<double>();
    CAPTURE(at);
    // Before and well after: the web never queues (64 workers, 31 % of the
    // database busy); nothing is shed.
    if (at <= 20 || at >= 42) {
      CHECK(web_queue_max[i] == 0);
      CHECK(queue_full[i] == 0);
    }
    // While slowed: the database serves 320 a second of the 500 sent, the
    // web's queue reaches its bound of 500 within 3 s and sheds the rest.
    if (at >= 24 && at <= 40) {
      CHECK(web_queue_max[i] == 500);
      CHECK(queue_full[i].get<std::uint64_t>() > 0);
      CHECK(db_queue[i].get<double>() > 50);  // the web's 64 waiting workers, less the 4 served
    }
  }
  // The queue builds: its mean grows over the first seconds; and drains
  // within a second of 40 s.
  CHECK(web_queue[20].get<double>() < web_queue[21].get<double>());
  CHECK(web_queue[21].get<double>() < web_queue[22].get<double>());
  CHECK(web_queue[40].get<double>() < web_queue[39].get<double>());
  CHECK(web_queue[41] == 0.0);
  // Requests wait longer than the clients' 1 s, so almost all of those sent
  // while slowed fail, by timeout or queue_full.
  CHECK(fault["failed"]["total"].get<double>() > 0.8 * fault["offered"].get<double>());
  CHECK(fault["failed"]["timeout"].get<std::uint64_t>() > 0);
  CHECK(r["components"]["web"]["orphaned"].get<std::uint64_t>() > 0);
  // The backlog clears in about half a second (the database back at 1,600 a
  // second against 500 sent); the last requests sent before 40 s time out by
  // 41 s. So the interval to 41 s still fails and the clients have recovered
  // from 41 s: 1 s after the end, with intervals of 1 s.
  CHECK(fault["recovery_s"] == 1.0);
}

TEST_CASE("consistent-hashing-vs-mod-n: a fifth shard moves about 1/5 of the keys on the ring, about 4/5 by mod N") {
  const Json r = full_run("consistent-hashing-vs-mod-n");
  // Every key of the 100,000 counted, against the ring and the modulo
  // computed here.
  HashRing four(100), five(100);
  for (std::uint32_t i = 0; i < 5; ++i) {
    std::string shard = "ring-";
    shard.append(std::to_string(i));
    if (i < 4) four.add(i, shard);
    five.add(i, shard);
  }
  std::uint64_t ring_moved = 0, mod_moved = 0;
  for (std::uint64_t k = 0; k < 100000; ++k) {
    if (four.owner(k) != five.owner(k)) ++ring_moved;
    if (HashRing::key_hash(k) % 4 != HashRing::key_hash(k) % 5) ++mod_moved;
  }
  const Json& ring = r["components"]["ring"]["reshards"][0];
  const Json& mod = r["components"]["mod"]["reshards"][0];
  for (const Json* reshard : {&ring, &mod}) {
    CHECK((*reshard)["at_s"] == 30.0);
    CHECK((*reshard)["from_shards"] == 4);
    CHECK((*reshard)["to_shards"] == 5);
    CHECK((*reshard)["keys_counted"] == 100000);
  }
  CHECK(ring["keys_moved"] == ring_moved);
  CHECK(mod["keys_moved"] == mod_moved);
  // The ring: the new shard's arcs, 1/5 of the ring give or take the spread
  // of 100 points among 500 (a standard deviation of 0.018): within 0.05.
  // Mod N: a key stays only when its hash leaves the same remainder by 4 and
  // by 5, one in 5 (binomial noise over 100,000 keys: 0.0013): within 0.01.
  CHECK(std::fabs(ring["moved_fraction"].get<double>() - 0.2) < 0.05);
  CHECK(std::fabs(mod["moved_fraction"].get<double>() - 0.8) < 0.01);

  // The per-shard series: the new shard gets nothing until 30 s; from then on
  // it takes its keys' share of the traffic (keys are uniform): on the ring
  // exactly the moved keys, by mod N one key in 5. Over 30 intervals of about
  // 1,000 requests, within 0.01 of the share.
  const Json t = column(r, "t_s");
  for (const char* router : {"ring", "mod"}) {
    CAPTURE(router);
    std::string prefix = "components.";
    prefix.append(router).append(".shards[");
    std::vector<Json> shards;
    for (int i = 0; i < 5; ++i) {
      std::string name = prefix;
      name.append(std::to_string(i)).append("].rate_qps");
      shards.push_back(column(r, name));
    }
    double new_shard = 0, all = 0;
    for (std::size_t k = 0; k < t.size(); ++k) {
      CAPTURE(t[k].get<double>());
      if (t[k].get<double>() <= 30) {
        CHECK(shards[4][k] == 0.0);
        continue;
      }
      CHECK(shards[4][k].get<double>() > 0);
      new_shard += shards[4][k].get<double>();
      for (const auto& s : shards) all += s[k].get<double>();
    }
    const double expected = std::string(router) == "ring" ? ring["moved_fraction"].get<double>() : 0.2;
    CHECK(std::fabs(new_shard / all - expected) < 0.01);
  }
}

TEST_CASE("cdn-edge-failover: a crashed edge's users fail until the crash is known, then move; it returns cold") {
  const Json r = full_run("cdn-edge-failover");
  // Edge 1's users: those whose hash picks it of the four edges. Requests
  // draw their users uniformly, so each interval's share of them is
  // binomial around p.
  std::uint64_t own = 0;
  for (std::uint64_t user = 0; user < 100000; ++user) own += archsim::sim::mix64(user) % 4 == 1;
  const double p = static_cast<double>(own) / 100000;
  const Json t = column(r, "t_s"), failed = column(r, "failed"), offered = column(r, "offered");
  const Json moved = column(r, "components.cdn.failed_over"), arrivals = column(r, "components.cdn.arrivals");
  const Json edge_hit_rate = column(r, "components.cdn.edges[1].hit_rate");
  double later_hit_rate = 0;
  int later = 0;
  for (std::size_t i = 0; i < t.size(); ++i) {
    const double at = t[i].get<double>();
    CAPTURE(at);
    const double n = offered[i].get<double>();
    const double noise = 4 * std::sqrt(p * (1 - p) / n);  // four standard errors of the share
    if (at <= 60 || at >= 80) CHECK(failed[i] == 0);
    if (at <= 70 || at > 120) CHECK(moved[i] == 0);
    // Crashed, not yet known (60 to 70 s): edge 1's share fails; the first
    // interval also fails what the edge held at 60 s (at 2,000 requests a
    // second and at most 70 ms each, under 40 of edge 1's).
    if (at > 60 && at <= 70) CHECK(std::fabs(failed[i].get<double>() / n - p) < noise + 40 / n);
    // Known (70 to 120 s): the same share goes to the other edges, and
    // nothing fails but the last refusals' replies still on their way back
    // at 70 s (5 ms of edge 1's share: a few).
    if (at > 70 && at <= 75) CHECK(failed[i].get<double>() < 20);
    if (at > 75 && at <= 120)
      CHECK(std::fabs(moved[i].get<double>() / arrivals[i].get<double>() - p) < noise);
    if (at > 130) {
      later_hit_rate += edge_hit_rate[i].get<double>();
      ++later;
    }
  }
  // Back at 120 s, empty: edge 1's hit rate over 120 to 125 s is well below
  // its steady one (about 0.38, over about 2,100 lookups an interval: a
  // standard error of 0.011; four of them, 0.044).
  later_hit_rate /= later;
  const double at_return = edge_hit_rate[static_cast<std::size_t>(std::find(t.begin(), t.end(), Json(125.0)) - t.begin())]
                               .get<double>();
  CHECK(at_return < later_hit_rate - 0.044);
  CHECK(r["summary"]["failed"]["crashed"] == r["faults"]["timeline"][0]["failed"]["crashed"]);
}
