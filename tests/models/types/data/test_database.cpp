// tests/models/types/data/test_database.cpp: the database's replication,
// stale reads and read routing, on short timelines with constant times,
// checked by hand.
#include <doctest/doctest.h>

#include <string>

#include "tests/models/model_helpers.h"

using archsim::test_models::count;
using archsim::test_models::ms;
using archsim::test_models::number;
using archsim::test_models::run_scenario;

namespace {

// One key, one user, no network latency. A writer writes at 100, 200, ...,
// 900 ms; a reader reads every 10 ms (10, 20, ..., 990 ms). The database has
// one read replica, one worker per server: a write takes 5 ms on the
// primary, a read 2 ms, a replicated write arrives 10 ms after its commit and
// takes 1 ms to apply. `extra` goes into the database's declaration.
std::string timeline(const std::string& extra) {
  return R"({
    "duration_s": 1,
    "workloads": [
      { "name": "writer", "target": "db", "arrival": { "type": "constant", "rate_qps": 10 },
        "operations": [{ "name": "save", "access": "write" }], "users": { "count": 1 }, "keys": { "count": 1 } },
      { "name": "reader", "target": "db", "arrival": { "type": "constant", "rate_qps": 100 },
        "operations": [{ "name": "load" }], "users": { "count": 1 }, "keys": { "count": 1 } }
    ],
    "components": [
      { "type": "database", "name": "db", "read_replicas": 1,
        "write_time": { "type": "constant", "value_ms": 5 },
        "read_time": { "type": "constant", "value_ms": 2 },
        "replication_delay": { "type": "constant", "value_ms": 10 },
        "apply_time": { "type": "constant", "value_ms": 1 })" +
         extra + R"( }
    ]
  })";
}

}  // namespace

TEST_CASE("a read right after a write is stale on a replica, and fresh once the write is applied") {
  // The write sent at 100k ms commits at 100k + 5, reaches the replica at
  // 100k + 15 and is applied from then to 100k + 16: lag 11 ms. Of the reads,
  // the one sent at 100k + 10 (ending at + 12) is the only one to end between
  // the commit and the apply: 9 stale reads in all, one per write.
  const auto r = run_scenario(timeline(""));
  const auto& db = r["components"]["db"];
  CHECK(count(db["writes"]) == 9);
  CHECK(count(db["reads"]) == 99);
  CHECK(count(db["stale_reads"]) == 9);
  CHECK(number(db["stale_read_fraction"]) == doctest::Approx(9.0 / 99));
  CHECK(count(db["replication_lag_ms"]["count"]) == 9);
  CHECK(number(db["replication_lag_ms"]["mean"]) == ms(11));
  CHECK(number(db["replication_lag_ms"]["max"]) == ms(11));
  const auto& replica = db["servers"][1];
  CHECK(count(replica["reads"]) == 99);
  CHECK(count(replica["stale_reads"]) == 9);
  CHECK(count(replica["applied_writes"]) == 9);
  CHECK(number(replica["lag_ms_max"]) == ms(11));
  // Every read took its 2 ms and every write its 5: nothing ever waited.
  CHECK(number(r["workloads"]["reader"]["latency_ms"]["mean"]) == ms(2));
  CHECK(number(r["workloads"]["writer"]["latency_ms"]["mean"]) == ms(5));
}

TEST_CASE("read-your-writes sends a user's reads to the primary after their write, and none is stale") {
  // The window opens at each commit (100k + 5) for 50 ms: the reads sent at
  // 100k + 10 ... + 50 go to the primary, 5 per write.
  const auto r = run_scenario(timeline(R"(, "read_your_writes_s": 0.05)"));
  const auto& db = r["components"]["db"];
  CHECK(count(db["stale_reads"]) == 0);
  CHECK(count(db["reads_after_own_write"]) == 45);
  CHECK(count(db["servers"][1]["reads"]) == 99 - 45);
}

TEST_CASE("a replica busy with reads applies later: its lag grows with its read load") {
  // The same, but reads take 9.5 ms: the replica's one worker is nearly always
  // busy, and a shipped write waits for the read under way to end.
  // The write committed at 100k + 5 reaches the replica at + 15, while the
  // read sent at + 10 runs until + 19.5; the apply runs from + 19.5 to + 20.5
  // (the read sent at + 20 arrives later and waits): lag 15.5 ms.
  auto text = timeline("");
  text.replace(text.find(R"("read_time": { "type": "constant", "value_ms": 2 })"),
               std::string(R"("read_time": { "type": "constant", "value_ms": 2 })").size(),
               R"("read_time": { "type": "constant", "value_ms": 9.5 })");
  const auto r = run_scenario(text);
  const auto& db = r["components"]["db"];
  CHECK(number(db["replication_lag_ms"]["mean"]) == ms(15.5));
  CHECK(number(db["replication_lag_ms"]["max"]) == ms(15.5));
}

namespace {

// The timeline above with one slow_down on the fault timeline from 0 s, of
// `target` (the database, or one server), factor 3 and 2 ms added: a read
// takes 2 x 3 + 2 = 8 ms, an apply 1 x 3 + 2 = 5 ms, a write 5 x 3 + 2 = 17.
std::string slowed(const std::string& target) {
  std::string text = timeline("");
  std::string faults = R"(, "faults": { "timeline": [
    { "at_s": 0, "action": "slow_down", "target": "TARGET", "factor": 3, "added_ms": 2 } ] })";
  faults.replace(faults.find("TARGET"), 6, target);
  text.insert(text.rfind('}'), faults);
  return text;
}

}  // namespace

TEST_CASE("a slowed replica applies later: its lag grows, and reads there are stale for longer") {
  // The write sent at 100k ms commits at 100k + 5 (the primary at normal
  // speed) and reaches the replica at + 15, while the read sent at + 10 runs
  // to + 18. The apply runs from + 18 to + 23: lag 18 ms, not 11. The reads
  // ending between the commit and the apply, stale, are those sent at + 0
  // (ending at + 8) and + 10: two per write, not one. The read sent at + 20
  // waits for the apply and runs from + 23 to + 31, the one sent at + 30
  // from + 31 to + 39: 3 ms and 1 ms of waiting per write.
  const auto r = run_scenario(slowed("db[1]"));
  const auto& db = r["components"]["db"];
  CHECK(count(db["writes"]) == 9);
  CHECK(count(db["reads"]) == 99);
  CHECK(count(db["stale_reads"]) == 18);
  CHECK(count(db["servers"][1]["stale_reads"]) == 18);
  CHECK(number(db["replication_lag_ms"]["mean"]) == ms(18));
  CHECK(number(db["replication_lag_ms"]["max"]) == ms(18));
  CHECK(number(r["workloads"]["reader"]["latency_ms"]["mean"]) == ms(8 + 9 * (3 + 1) / 99.0));
  CHECK(number(r["workloads"]["writer"]["latency_ms"]["mean"]) == ms(5));
}

TEST_CASE("a slowed database slows every server: the primary's writes too") {
  // Each write takes 17 ms and commits at 100k + 17, reaching the replica at
  // + 27 while the read sent at + 20 runs to + 28; applied from + 28 to + 33:
  // lag 16 ms. Stale: the reads sent at + 10 (ending at + 18) and + 20. The
  // read sent at + 30 waits 3 ms, the one at + 40 1 ms.
  const auto r = run_scenario(slowed("db"));
  const auto& db = r["components"]["db"];
  CHECK(count(db["stale_reads"]) == 18);
  CHECK(number(db["replication_lag_ms"]["mean"]) == ms(16));
  CHECK(number(db["replication_lag_ms"]["max"]) == ms(16));
  CHECK(number(r["workloads"]["reader"]["latency_ms"]["mean"]) == ms(8 + 9 * (3 + 1) / 99.0));
  CHECK(number(r["workloads"]["writer"]["latency_ms"]["mean"]) == ms(17));
}

TEST_CASE("reads from the primary are never stale") {
  const auto r = run_scenario(timeline(R"(, "read_from": "primary")"));
  const auto& db = r["components"]["db"];
  CHECK(count(db["stale_reads"]) == 0);
  CHECK(count(db["servers"][1]["reads"]) == 0);
  CHECK(count(db["reads"]) == 99);
}

namespace {

using archsim::models::FaultAction;
using archsim::models::Simulation;
using archsim::sim::Time;

// At `at`, crashes server `server` of the database. Its causes are
// registered before the run, as the fault timeline does.
void crash_db(Simulation& s, Time at, std::int32_t server) {
  s.register_failure_cause("crashed");
  s.register_failure_cause("no_primary");
  s.at(at, [server](Simulation& s) { CHECK(s.component("db")->on_fault(FaultAction{FaultAction::Kind::Crash, server, 1, {}})); });
}

}  // namespace

TEST_CASE("a failover loses exactly the writes the promoted replica had not applied") {
  // The primary crashes at 210 ms. The write committed at 205 is still on its
  // way to the replica (it would arrive at 215); the replica is promoted at
  // 213 without it: one write lost, and the system of record goes back to
  // version 1. The read ending at 212 on the replica was stale (version 1 of
  // 2), as was the one at 112. From 213 on the new primary takes the writes
  // (300 ... 900) and, with no other replica up, the reads: none is stale.
  const auto r = archsim::test_models::run_scenario(timeline(R"(, "failover_after_s": 0.003)"),
                                                    [](Simulation& s) { crash_db(s, Time::from_ms(210), 0); });
  const auto& db = r["components"]["db"];
  CHECK(count(db["lost_writes"]) == 1);
  CHECK(count(db["writes"]) == 9);
  CHECK(count(db["stale_reads"]) == 2);
  CHECK(count(db["primary_at_end"]) == 1);
  const auto& f = db["failovers"][0];
  CHECK(number(f["crashed_at_s"]) == ms(0.21));
  CHECK(number(f["promoted_at_s"]) == ms(0.213));
  CHECK(count(f["new_primary"]) == 1);
  CHECK(count(f["lost_writes"]) == 1);
  CHECK(count(r["summary"]["failed"]["total"]) == 0);
}

TEST_CASE("writes in the failover gap fail with no_primary, or wait for the new primary") {
  // The primary crashes at 295 ms and the replica takes over at 305: the
  // write sent at 300 finds no primary.
  const auto fail = archsim::test_models::run_scenario(timeline(R"(, "failover_after_s": 0.01)"),
                                                       [](Simulation& s) { crash_db(s, Time::from_ms(295), 0); });
  CHECK(count(fail["summary"]["failed"]["no_primary"]) == 1);
  CHECK(count(fail["components"]["db"]["writes"]) == 8);
  // Waiting, it is written at 305 to 310: 10 ms instead of 5.
  const auto wait = archsim::test_models::run_scenario(
      timeline(R"(, "failover_after_s": 0.01, "writes_during_failover": "wait")"),
      [](Simulation& s) { crash_db(s, Time::from_ms(295), 0); });
  CHECK(count(wait["summary"]["failed"]["total"]) == 0);
  CHECK(count(wait["components"]["db"]["writes"]) == 9);
  CHECK(number(wait["workloads"]["writer"]["latency_ms"]["max"]) == ms(10));
  CHECK(count(wait["components"]["db"]["lost_writes"]) == 0);
}

TEST_CASE("a crashed replica's reads go to the primary, and it catches up on its relay log when it recovers") {
  // The replica is down from 150 to 450 ms: the reads meanwhile go to the
  // primary (the only server up), fresh. The writes committed at 205, 305
  // and 405 wait in its relay log and are applied one after another from
  // 450: at 451, 452 and 453 (lags 246, 147 and 48 ms), before the read
  // sent at 450, which waits for them and ends at 455.
  const auto r = archsim::test_models::run_scenario(timeline(""), [](Simulation& s) {
    crash_db(s, Time::from_ms(150), 1);
    s.at(Time::from_ms(450), [](Simulation& s) {
      CHECK(s.component("db")->on_fault(FaultAction{FaultAction::Kind::Recover, 1, 1, {}}));
    });
  });
  const auto& db = r["components"]["db"];
  CHECK(count(r["summary"]["failed"]["total"]) == 0);
  CHECK(count(db["replication_lag_ms"]["count"]) == 9);
  CHECK(number(db["replication_lag_ms"]["max"]) == ms(246));
  CHECK(number(db["replication_lag_ms"]["mean"]) == ms((6 * 11 + 246 + 147 + 48) / 9.0));
  // Stale: the read ending at 112, and those ending at 100k + 12 from 500 on.
  CHECK(count(db["stale_reads"]) == 6);
  CHECK(count(db["servers"][1]["reads"]) == 99 - 30);
  // On the primary, the reads sent at 200, 300 and 400 wait behind the write
  // sent at the same instant (5 ms) and take 7 ms; the read sent at 450 waits
  // for the three applies and takes 5.
  CHECK(number(r["workloads"]["reader"]["latency_ms"]["max"]) == ms(7));
  CHECK(number(r["workloads"]["reader"]["latency_ms"]["mean"]) == ms((95 * 2 + 3 * 7 + 5) / 99.0));
}
