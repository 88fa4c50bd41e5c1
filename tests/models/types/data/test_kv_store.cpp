// tests/models/types/data/test_kv_store.cpp: the quorum store's latency as
// an order statistic, quorums with a node down, hinted handoff, stale reads.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "tests/models/model_helpers.h"

using archsim::models::FaultAction;
using archsim::models::Simulation;
using archsim::sim::Time;
using archsim::test_models::count;
using archsim::test_models::ms;
using archsim::test_models::number;
using archsim::test_models::run_scenario;

namespace {

// A read every 10 ms (or a write, with `access` "write") over one key to a
// store of `nodes` nodes with one worker each, taking 1 ms per part.
std::string store(const std::string& options, const std::string& access = "read", int nodes = 3) {
  std::string text = R"({
    "duration_s": 1,
    "workloads": [{ "name": "clients", "target": "kv", "arrival": { "type": "constant", "rate_qps": 100 },
                    "operations": [{ "name": "op", "access": "ACCESS" }], "keys": { "count": 1 } }],
    "components": [{ "type": "kv_store", "name": "kv", "nodes": NODES,
                     "read_time": { "type": "constant", "value_ms": 1 },
                     "write_time": { "type": "constant", "value_ms": 1 } OPTIONS }]
  })";
  const auto put = [&text](const std::string& placeholder, const std::string& value) {
    const auto at = text.find(placeholder);
    REQUIRE(at != std::string::npos);
    text.replace(at, placeholder.size(), value);
  };
  put("ACCESS", access);
  put("NODES", std::to_string(nodes));
  put("OPTIONS", options);
  return text;
}

// The cause a crash produces is registered before the run, as the fault
// timeline does.
void fault(Simulation& s, Time at, FaultAction action) {
  if (action.kind == FaultAction::Kind::Crash) s.register_failure_cause("crashed");
  s.at(at, [action](Simulation& s) { CHECK(s.component("kv")->on_fault(action)); });
}

}  // namespace

TEST_CASE("with constant per-node latencies a quorum's latency is the R-th smallest") {
  // Nodes 1 and 2 slowed to 2 and 3 ms from the start: the N = 3 parts of
  // each read end at 1, 2 and 3 ms.
  for (int r = 1; r <= 3; ++r) {
    std::string options = R"(, "read_quorum": )";
    options.append(std::to_string(r));
    const auto result = run_scenario(store(options), [](Simulation& s) {
      fault(s, Time::zero(), FaultAction{FaultAction::Kind::SlowDown, 1, 2, {}});
      fault(s, Time::zero(), FaultAction{FaultAction::Kind::SlowDown, 2, 3, {}});
    });
    CHECK(number(result["summary"]["latency_ms"]["mean"]) == ms(r));
    CHECK(number(result["summary"]["latency_ms"]["max"]) == ms(r));
    // Every part is done, answered or not.
    CHECK(count(result["components"]["kv"]["parts"]) == 3 * 99);
    CHECK(count(result["components"]["kv"]["parts_after_answer"]) == static_cast<std::uint64_t>((3 - r) * 99));
  }
}

TEST_CASE("with one node of three down, W = 2 writes succeed and W = 3 writes fail for want of a quorum") {
  const auto down = [](Simulation& s) { fault(s, Time::zero(), FaultAction{FaultAction::Kind::Crash, 0, 1, {}}); };
  const auto w2 = run_scenario(store(R"(, "write_quorum": 2)", "write"), down);
  CHECK(count(w2["summary"]["failed"]["total"]) == 0);
  CHECK(count(w2["components"]["kv"]["writes"]) == 99);
  const auto w3 = run_scenario(store(R"(, "write_quorum": 3)", "write"), down);
  CHECK(count(w3["summary"]["failed"]["no_quorum"]) == 99);
  CHECK(count(w3["components"]["kv"]["writes"]) == 0);
}

TEST_CASE("a sloppy quorum writes to a stand-in with a hint, and hands the write back when the node recovers") {
  // Four nodes, N = 3, W = 3: with one node of the key's list down (which
  // one depends on the ring, so all four are tried), the fourth node stands
  // in: every write succeeds, each leaving a hint, handed back at 500 ms.
  std::uint64_t hinted_runs = 0;
  for (std::int32_t node = 0; node < 4; ++node) {
    const auto r = run_scenario(store(R"(, "replication_factor": 3, "write_quorum": 3, "sloppy_quorum": true)", "write", 4),
                                [node](Simulation& s) {
                                  fault(s, Time::zero(), FaultAction{FaultAction::Kind::Crash, node, 1, {}});
                                  fault(s, Time::from_ms(500), FaultAction{FaultAction::Kind::Recover, node, 1, {}});
                                });
    const auto& kv = r["components"]["kv"];
    CHECK(count(r["summary"]["failed"]["total"]) == 0);
    CHECK(count(kv["writes"]) == 99);
    // The node outside the key's list changes nothing; one in it leaves a hint
    // for each write while it is down (the 49 sent before 500 ms).
    if (count(kv["hinted_writes"]) > 0) {
      ++hinted_runs;
      CHECK(count(kv["hinted_writes"]) == 49);
      CHECK(count(kv["hints_handed_back"]) == 49);
    }
  }
  CHECK(hinted_runs == 3);
}

TEST_CASE("with R + W <= N a node that missed a write while down answers a read with the old version") {
  // N = 3, W = 2, R = 1. Node X is down from 0 to 150 ms: the write sent at
  // 100 is acknowledged by the other two at 101 and never reaches X. The
  // reads sent at 150 ... 190 (the recovery at 150 comes before that
  // instant's arrivals) reach all three nodes, which all answer at + 1 ms;
  // the first to answer is the first of the key's list (its part was sent,
  // and so ends, first). When that is X, those 5 reads return version 0 of
  // 1: stale. The write at 200 reaches X again. So exactly one choice of X
  // gives 5 stale reads, the other two none.
  std::string text = R"({
    "duration_s": 1,
    "workloads": [
      { "name": "writer", "target": "kv", "arrival": { "type": "constant", "rate_qps": 10 },
        "operations": [{ "name": "put", "access": "write" }], "keys": { "count": 1 } },
      { "name": "reader", "target": "kv", "arrival": { "type": "constant", "rate_qps": 100 },
        "operations": [{ "name": "get" }], "keys": { "count": 1 } }
    ],
    "components": [{ "type": "kv_store", "name": "kv", "nodes": 3, "read_quorum": 1, "write_quorum": 2,
                     "read_time": { "type": "constant", "value_ms": 1 },
                     "write_time": { "type": "constant", "value_ms": 1 } }]
  })";
  std::vector<std::uint64_t> stale;
  for (std::int32_t x = 0; x < 3; ++x) {
    const auto r = run_scenario(text, [x](Simulation& s) {
      fault(s, Time::zero(), FaultAction{FaultAction::Kind::Crash, x, 1, {}});
      fault(s, Time::from_ms(150), FaultAction{FaultAction::Kind::Recover, x, 1, {}});
    });
    CHECK(count(r["summary"]["failed"]["total"]) == 0);
    stale.push_back(count(r["components"]["kv"]["stale_reads"]));
  }
  std::sort(stale.begin(), stale.end());
  INFO("stale reads by node down: " << stale[0] << " " << stale[1] << " " << stale[2]);
  CHECK(stale == std::vector<std::uint64_t>{0, 0, 5});
}

TEST_CASE("stale reads come with R + W <= N, and not with R + W > N when nothing overlaps") {
  // Writes and reads at random times over 10 keys, nodes taking exponential
  // times: with R = W = 1 a read is often answered by a node the last write
  // has not reached yet.
  const auto mixed = [](const std::string& quorums) {
    std::string text = R"({
      "duration_s": 20,
      "workloads": [{ "name": "clients", "target": "kv", "arrival": { "type": "poisson", "rate_qps": 200 },
                      "operations": [{ "name": "get", "weight": 1 }, { "name": "put", "weight": 1, "access": "write" }],
                      "keys": { "count": 10 } }],
      "components": [{ "type": "kv_store", "name": "kv", "nodes": 3, "workers": 4,
                       "read_time": { "type": "exponential", "mean_ms": 1 },
                       "write_time": { "type": "exponential", "mean_ms": 3 }, QUORUMS }]})";
    text.replace(text.find("QUORUMS"), 7, quorums);
    return text;
  };
  const auto weak = run_scenario(mixed(R"("read_quorum": 1, "write_quorum": 1)"));
  const auto strong = run_scenario(mixed(R"("read_quorum": 2, "write_quorum": 2)"));
  INFO("stale reads: R = W = 1: " << count(weak["components"]["kv"]["stale_reads"]) << ", R = W = 2: " << count(strong["components"]["kv"]["stale_reads"]));
  CHECK(count(weak["components"]["kv"]["stale_reads"]) > 0);
  CHECK(count(strong["components"]["kv"]["stale_reads"]) < count(weak["components"]["kv"]["stale_reads"]));
  // Spaced apart, a strict quorum with R + W > N never reads stale.
  const auto spaced = run_scenario(store(R"(, "read_quorum": 2, "write_quorum": 2)", "write"));
  CHECK(count(spaced["components"]["kv"]["stale_reads"]) == 0);
}
