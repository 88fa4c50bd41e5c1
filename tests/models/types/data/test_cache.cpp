// tests/models/types/data/test_cache.cpp: the cache component on short
// timelines with constant times, checked by hand (cache-aside and
// read-through, TTL, stale reads, the write modes, a crash, a flush with and
// without coalescing, stale-while-revalidate), and its LRU hit rate under
// Zipf keys against theory.
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "analysis/cache_theory.h"
#include "tests/models/model_helpers.h"

using archsim::test_models::count;
using archsim::test_models::Json;
using archsim::test_models::ms;
using archsim::test_models::number;
using archsim::test_models::run_scenario;

namespace {

// One key, one user, no network latency: a reader reads every 10 ms (10,
// 20, ..., 990 ms: 99 reads) through `reader_target`; a writer, if
// `writer_target` is given, writes every 100 ms (100, ..., 900 ms: 9 writes).
// The cache takes 1 ms a step (hit, miss or write); the database 5 ms a read
// or write, with workers to spare. `cache` is added to the cache's
// declaration, `rest` to the components.
std::string timeline(const std::string& reader_target, const std::string& writer_target, const std::string& cache,
                     const std::string& rest = "", const std::string& faults = "") {
  std::string text = R"({
    "duration_s": 1,
    "workloads": [
      { "name": "reader", "target": ")" + reader_target + R"(", "arrival": { "type": "constant", "rate_qps": 100 },
        "operations": [{ "name": "load" }], "users": { "count": 1 }, "keys": { "count": 1 } })";
  if (!writer_target.empty())
    text += R"(,
      { "name": "writer", "target": ")" + writer_target + R"(", "arrival": { "type": "constant", "rate_qps": 10 },
        "operations": [{ "name": "save", "access": "write" }], "users": { "count": 1 }, "keys": { "count": 1 } })";
  text += R"(
    ],
    "components": [
      { "type": "cache", "name": "cache", "hit_time": { "type": "constant", "value_ms": 1 })" + cache + R"( },
      { "type": "database", "name": "db", "workers": 100,
        "read_time": { "type": "constant", "value_ms": 5 },
        "write_time": { "type": "constant", "value_ms": 5 } })" + rest + R"(
    ])";
  if (!faults.empty()) text += R"(, "faults": { "timeline": [ )" + faults + " ] }";
  text += "\n  }";
  return text;
}

constexpr const char* kReadThrough = R"(, "backend": "db", "read_mode": "read_through")";

}  // namespace

TEST_CASE("cache-aside: the first read misses, the handler reads the database and fills, the rest hit") {
  // The read sent at 10 ms: lookup 10-11 (a miss), the database 11-16, the
  // fill 16-17: 7 ms. Every later read hits in 1 ms.
  const std::string web = R"(,
      { "type": "service", "name": "web", "workers": 10, "handlers": { "load": [
        { "call": "cache", "on_miss": [ { "call": "db" }, { "call": "cache", "access": "write" } ] } ] } })";
  const auto r = run_scenario(timeline("web", "", "", web));
  const auto& cache = r["components"]["cache"];
  CHECK(count(cache["lookups"]) == 99);
  CHECK(count(cache["hits"]) == 98);
  CHECK(count(cache["misses"]) == 1);
  CHECK(number(cache["hit_rate"]) == doctest::Approx(98.0 / 99));
  CHECK(count(cache["arrivals"]) == 100);  // the lookups and the one fill
  CHECK(count(cache["operations"]["load"]["hits"]) == 98);
  CHECK(count(r["components"]["db"]["reads"]) == 1);
  CHECK(number(r["workloads"]["reader"]["latency_ms"]["mean"]) == ms((7.0 + 98.0) / 99));
  CHECK(number(r["workloads"]["reader"]["latency_ms"]["max"]) == ms(7));
  // The web's workers waited 98 + 2 ms on the cache and 5 ms on the
  // database: the cache keeps its hands off the calls' own bookkeeping.
  const auto& waiting = r["components"]["web"]["waiting_on"];
  CHECK(number(waiting["cache"]) / number(waiting["db"]) == doctest::Approx(100.0 / 5));
}

TEST_CASE("read-through with a TTL: an entry expires 100 ms after its fill, checked on the next lookup") {
  // Read at 10 misses: lookup 10-11, the database 11-16, filled at 16 until
  // 116. The read at 120 finds it expired: a miss, filled at 126 until 226,
  // and so on: misses at 10, 120, 230, ..., 890.
  const auto r = run_scenario(timeline("cache", "", std::string(kReadThrough) + R"(, "ttl_s": 0.1)"));
  const auto& cache = r["components"]["cache"];
  CHECK(count(cache["misses"]) == 9);
  CHECK(count(cache["hits"]) == 90);
  CHECK(count(cache["expirations"]) == 8);
  CHECK(count(cache["backend_fetches"]) == 9);
  CHECK(count(r["components"]["db"]["reads"]) == 9);
  CHECK(number(r["workloads"]["reader"]["latency_ms"]["max"]) == ms(6));  // a miss: 1 ms here, 5 at the database

  SUBCASE("sliding expiry: each hit gives the entry 100 ms more, so it never expires") {
    const auto s =
        run_scenario(timeline("cache", "", std::string(kReadThrough) + R"(, "ttl_s": 0.1, "sliding_expiry": true)"));
    CHECK(count(s["components"]["cache"]["misses"]) == 1);
    CHECK(count(s["components"]["cache"]["expirations"]) == 0);
  }
}

TEST_CASE("writes behind the cache's back make its copy stale; write-through and write-around keep it fresh") {
  SUBCASE("the writer writes the database itself: every hit after the first commit is stale") {
    // The writes commit at 105, 205, ...; the cache holds version 0 for ever.
    // A hit is judged as it is answered (t + 1): the reads sent from 110 on
    // are stale, 89 of the 98 hits.
    const auto r = run_scenario(timeline("cache", "db", kReadThrough));
    const auto& cache = r["components"]["cache"];
    CHECK(count(cache["hits"]) == 98);
    CHECK(count(cache["stale_reads"]) == 89);
    CHECK(number(cache["stale_read_fraction"]) == doctest::Approx(89.0 / 98));
    CHECK(count(cache["operations"]["load"]["stale_reads"]) == 89);
  }
  SUBCASE("write-through: the cache holds what the database committed") {
    const auto r = run_scenario(timeline("cache", "cache", std::string(kReadThrough) + R"(, "write_mode": "write_through")"));
    const auto& cache = r["components"]["cache"];
    CHECK(count(cache["stale_reads"]) == 0);
    CHECK(count(cache["misses"]) == 1);
    CHECK(count(r["components"]["db"]["writes"]) == 9);
    // A write: 1 ms at the cache, then 5 at the database.
    CHECK(number(r["workloads"]["writer"]["latency_ms"]["mean"]) == ms(6));
  }
  SUBCASE("write-around: a committed write drops the key, and the next read misses") {
    const auto r = run_scenario(timeline("cache", "cache", std::string(kReadThrough) + R"(, "write_mode": "write_around")"));
    const auto& cache = r["components"]["cache"];
    CHECK(count(cache["stale_reads"]) == 0);
    CHECK(count(cache["misses"]) == 10);
    CHECK(count(cache["invalidations"]) == 9);
  }
}

TEST_CASE("write-back: writes are acknowledged at once and reach the database later; a crash loses the dirty ones") {
  const std::string back = std::string(kReadThrough) + R"(, "write_mode": "write_back", "write_back_delay_s": 0.05)";
  SUBCASE("every write goes back 50 ms after it was made") {
    // The write sent at 100 is held at 101 and goes back at 151; the database
    // commits the version the cache gave it, so no read is stale.
    const auto r = run_scenario(timeline("cache", "cache", back));
    const auto& cache = r["components"]["cache"];
    CHECK(number(r["workloads"]["writer"]["latency_ms"]["mean"]) == ms(1));
    CHECK(count(cache["write_backs"]) == 9);
    CHECK(count(cache["lost_writes"]) == 0);
    CHECK(count(cache["stale_reads"]) == 0);
    CHECK(count(r["components"]["db"]["writes"]) == 9);
  }
  SUBCASE("a crash at 545 ms loses the write held since 501 (due back at 551)") {
    // The reader's request sent at 550 is refused; after the restart at 555
    // the cache is cold, and the read at 560 fetches what the database holds.
    const auto r = run_scenario(timeline("cache", "cache", back, "",
                                         R"({ "at_s": 0.545, "until_s": 0.555, "action": "crash", "target": "cache" })"));
    const auto& cache = r["components"]["cache"];
    CHECK(count(cache["lost_writes"]) == 1);
    CHECK(count(cache["write_backs"]) == 8);
    CHECK(count(r["components"]["db"]["writes"]) == 8);
    CHECK(count(r["workloads"]["reader"]["failed"]["crashed"]) == 1);
    CHECK(count(cache["misses"]) == 2);
    CHECK(count(cache["stale_reads"]) == 0);
  }
  SUBCASE("writes held longer than the run are absorbed into one entry: none goes back") {
    const auto r = run_scenario(timeline("cache", "cache", std::string(kReadThrough) +
                                                                R"(, "write_mode": "write_back", "write_back_delay_s": 10)"));
    const auto& cache = r["components"]["cache"];
    CHECK(count(cache["write_backs"]) == 0);
    CHECK(count(cache["write_backs_absorbed"]) == 8);
    CHECK(count(r["components"]["db"]["writes"]) == 0);
  }
}

TEST_CASE("a crash fails the reads waiting on the backend; the backend's late answers are dropped") {
  // Reads take 50 ms at the database. The reads sent at 10 and 20 wait on it
  // (their misses ended at 11 and 21) when the cache crashes at 25; the read
  // at 30 is refused. The database answers at 61 and 71: late, dropped.
  auto text = timeline("cache", "", kReadThrough, "",
                       R"({ "at_s": 0.025, "until_s": 0.035, "action": "crash", "target": "cache" })");
  const std::string five = R"("read_time": { "type": "constant", "value_ms": 5 })";
  const auto at = text.find(five);
  REQUIRE(at != std::string::npos);
  text.replace(at, five.size(), R"("read_time": { "type": "constant", "value_ms": 50 })");
  const auto r = run_scenario(text);
  CHECK(count(r["workloads"]["reader"]["failed"]["crashed"]) == 3);
  CHECK(count(r["components"]["cache"]["late_replies"]) == 2);
  CHECK(count(r["workloads"]["reader"]["failed"]["total"]) == 3);
}

TEST_CASE("a flush makes a herd of misses on a hot key; coalescing makes it one backend read") {
  // Reads every millisecond (1, 2, ..., 999 ms) of one key; lookups take
  // 0.1 ms, the database 5 ms. The first miss (at 1) fills at 6.1: the reads
  // at 1 to 6 miss. The flush at 500.5 ms does it again for the reads at 501
  // to 506. Without coalescing each miss reads the database; with it, one
  // read a herd, the five others waiting for it.
  auto base = timeline("cache", "", kReadThrough, "", R"({ "at_s": 0.5005, "action": "flush", "target": "cache" })");
  const auto set = [&base](const std::string& from, const std::string& to) {
    const auto at = base.find(from);
    REQUIRE(at != std::string::npos);
    base.replace(at, from.size(), to);
  };
  set(R"("rate_qps": 100)", R"("rate_qps": 1000)");
  set(R"("hit_time": { "type": "constant", "value_ms": 1 })", R"("hit_time": { "type": "constant", "value_ms": 0.1 })");
  const auto plain = run_scenario(base);
  CHECK(count(plain["components"]["cache"]["misses"]) == 12);
  CHECK(count(plain["components"]["cache"]["flushes"]) == 1);
  CHECK(count(plain["components"]["db"]["reads"]) == 12);

  auto coalesced_text = base;
  const std::string mode = R"("read_mode": "read_through")";
  coalesced_text.replace(coalesced_text.find(mode), mode.size(), mode + R"(, "coalesce": true)");
  const auto coalesced = run_scenario(coalesced_text);
  CHECK(count(coalesced["components"]["cache"]["misses"]) == 12);
  CHECK(count(coalesced["components"]["cache"]["coalesced"]) == 10);
  CHECK(count(coalesced["components"]["db"]["reads"]) == 2);
  // The first read of a herd waits longest: its 0.1 ms lookup and the 5 ms
  // read it made; the others join it later and are answered with it.
  CHECK(number(coalesced["workloads"]["reader"]["latency_ms"]["max"]) == ms(5.1));
}

TEST_CASE("stale-while-revalidate: past its TTL an entry is served and refreshed in the background") {
  // Filled at 16, fresh until 116 and servable until 166. The read at 120 is
  // a hit that starts a refresh (121-126), fresh again until 226; then the
  // reads at 230, 340, ..., 890 do the same. One miss in all.
  const auto r = run_scenario(
      timeline("cache", "", std::string(kReadThrough) + R"(, "ttl_s": 0.1, "stale_while_revalidate_s": 0.05)"));
  const auto& cache = r["components"]["cache"];
  CHECK(count(cache["misses"]) == 1);
  CHECK(count(cache["hits"]) == 98);
  CHECK(count(cache["stale_while_revalidate_hits"]) == 8);
  CHECK(count(cache["revalidations"]) == 8);
  CHECK(count(r["components"]["db"]["reads"]) == 9);
  CHECK(number(r["workloads"]["reader"]["latency_ms"]["max"]) == ms(6));
}

TEST_CASE("capacity in bytes: a key's value size is drawn once from the key, and the bytes held follow") {
  // Two keys of a constant 600 bytes in a cache of 1000 bytes: only one fits.
  auto text = timeline("cache", "", std::string(kReadThrough) +
                                        R"(, "capacity_bytes": 1000, "value_size": { "type": "constant", "value_bytes": 600 })");
  const std::string one_key = R"("keys": { "count": 1 })";
  text.replace(text.find(one_key), one_key.size(), R"("keys": { "count": 2 })");
  const auto r = run_scenario(text);
  const auto& cache = r["components"]["cache"];
  CHECK(number(cache["bytes_held"]["max"]) == 600);
  CHECK(number(cache["keys_held"]["max"]) == 1);
  CHECK(count(cache["evictions"]) + 1 == count(cache["misses"]));
}

namespace {

// The hit rate of an LRU cache of `capacity` keys under Zipf(`exponent`)
// over 10^4 keys, from a read-through cache with times so short that no two
// requests overlap (so requests are independent, as the theory assumes):
// the mean over the run and its standard error from the 40 intervals of the
// time series (batch means).
struct Measured {
  double mean, se;
};
Measured lru_hit_rate(double exponent, int capacity) {
  std::string text = R"({
    "duration_s": 400, "warmup_s": 0, "report_interval_s": 10,
    "workloads": [{ "name": "reader", "target": "cache", "arrival": { "type": "poisson", "rate_qps": 2000 },
      "keys": { "count": 10000, "popularity": { "type": "zipf", "exponent": EXPONENT } } }],
    "components": [
      { "type": "cache", "name": "cache", "backend": "db", "read_mode": "read_through", "capacity_keys": CAPACITY,
        "hit_time": { "type": "constant", "value_ms": 0.0001 } },
      { "type": "database", "name": "db", "workers": 10, "read_time": { "type": "constant", "value_ms": 0.0001 },
        "write_time": { "type": "constant", "value_ms": 0.0001 } }
    ]
  })";
  const auto put = [&text](const std::string& name, const std::string& value) {
    const auto at = text.find(name);
    REQUIRE(at != std::string::npos);
    text.replace(at, name.size(), value);
  };
  put("EXPONENT", std::to_string(exponent));
  put("CAPACITY", std::to_string(capacity));
  const Json r = run_scenario(text);
  const auto& columns = r["timeseries"]["columns"];
  std::size_t hits = 0, lookups = 0;
  for (std::size_t i = 0; i < columns.size(); ++i) {
    if (columns[i]["name"] == "components.cache.hits") hits = i;
    if (columns[i]["name"] == "components.cache.lookups") lookups = i;
  }
  REQUIRE(hits > 0);
  REQUIRE(lookups > 0);
  // The first interval holds the cache's filling: left out of the batches.
  std::vector<double> means;
  const auto& rows = r["timeseries"]["rows"];
  for (std::size_t i = 1; i < rows.size(); ++i)
    means.push_back(number(rows[i][hits]) / number(rows[i][lookups]));
  double mean = 0;
  for (double m : means) mean += m;
  mean /= static_cast<double>(means.size());
  double squares = 0;
  for (double m : means) squares += (m - mean) * (m - mean);
  const double k = static_cast<double>(means.size());
  return {mean, std::sqrt(squares / (k - 1) / k)};
}

}  // namespace

TEST_CASE("the cache component's LRU hit rate under Zipf keys: Che's approximation within 4 SE and its own error") {
  // 800,000 requests a case in 39 batches. Che's error is known here from
  // the exact LRU value (analysis::lru_exact), so the band is 4 SE (39
  // degrees of freedom: exceeded by chance with probability about 3e-4)
  // plus |Che - exact|.
  struct Case {
    double exponent;
    int capacity;
  };
  for (const Case c : {Case{0.8, 100}, Case{1.2, 10}}) {
    const auto p = archsim::analysis::zipf_popularities(10000, c.exponent);
    const auto che = archsim::analysis::lru_che(p, static_cast<std::uint64_t>(c.capacity));
    const double exact = archsim::analysis::lru_exact(p, static_cast<std::uint64_t>(c.capacity), 16);
    const Measured m = lru_hit_rate(c.exponent, c.capacity);
    INFO("exponent " << c.exponent << ", capacity " << c.capacity << ": simulated " << m.mean << " ± " << m.se
                     << ", Che " << che.hit_ratio << ", exact " << exact);
    CHECK(m.se < 0.005);
    CHECK(std::fabs(m.mean - che.hit_ratio) <= 4 * m.se + std::fabs(che.hit_ratio - exact));
    CHECK(std::fabs(m.mean - exact) <= 4 * m.se);
  }
}

TEST_CASE("a slowed cache takes factor times as long for every step it begins, then its normal time again") {
  // Reads every 10 ms straight to the cache, 1 ms a step; from 505 ms to
  // 705 ms five times slower: the 20 reads at 510, ..., 700 take 5 ms, 4
  // more each, the other 79 their 1 ms.
  const auto plain = run_scenario(timeline("cache", "", ""));
  const auto slowed = run_scenario(timeline(
      "cache", "", "", "", R"({ "at_s": 0.505, "until_s": 0.705, "action": "slow_down", "target": "cache", "factor": 5 })"));
  const auto& p = plain["workloads"]["reader"]["latency_ms"];
  const auto& s = slowed["workloads"]["reader"]["latency_ms"];
  CHECK(count(p["count"]) == 99);
  CHECK(count(s["count"]) == 99);
  CHECK(number(s["mean"]) * 99 == doctest::Approx(number(p["mean"]) * 99 + 20 * 4));
  CHECK(number(s["max"]) == ms(5));
  CHECK(count(slowed["summary"]["failed"]["total"]) == 0);
}
