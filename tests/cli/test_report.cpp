// The terminal report tells what the results say at a glance: columns that
// line up whatever the names, the hottest replica of an uneven pool (a
// database's servers by their roles),
// goodput beside throughput and the work done for nobody, what a waiting
// pool waits on, "-" for figures of nothing, offered load as a rate, and
// one style of numbers.
#include <doctest/doctest.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <string>
#include <vector>

#include "analysis/number_text.h"
#include "cli/report.h"
#include "tests/cli/cli_helpers.h"

namespace {

using archsim::cli::display_width;
using archsim::spec::Json;
using namespace archsim::test_cli;

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  for (std::size_t end; (end = text.find('\n', start)) != std::string::npos; start = end + 1)
    lines.push_back(text.substr(start, end - start));
  return lines;
}

// The lines of the table whose header starts with `title`, header first, up
// to the blank line that ends it.
std::vector<std::string> table(const std::string& report, const std::string& title) {
  std::vector<std::string> rows;
  bool in = false;
  for (const auto& line : lines_of(report)) {
    if (line.rfind(title, 0) == 0) in = true;
    if (in && line.empty()) break;
    if (in) rows.push_back(line);
  }
  return rows;
}

// The line that starts with `start`, or empty.
std::string line_starting(const std::string& report, const std::string& start) {
  for (const auto& line : lines_of(report))
    if (line.rfind(start, 0) == 0) return line;
  return "";
}

// The words of a line, split at runs of spaces.
std::vector<std::string> words(const std::string& line) {
  std::vector<std::string> out;
  std::string word;
  for (char c : line + " ") {
    if (c != ' ') {
      word += c;
    } else if (!word.empty()) {
      out.push_back(word);
      word.clear();
    }
  }
  return out;
}

// Where `part` starts in `line`, in terminal cells.
std::size_t cells_before(const std::string& line, const std::string& part) {
  const auto at = line.find(part);
  REQUIRE(at != std::string::npos);
  return display_width(line.substr(0, at));
}

struct Report {
  std::string text;
  Json results;
};

Report run_report(const Json& scenario) {
  TempDir dir("report");
  const auto file = dir.write("scenario.json", scenario.dump());
  const Outcome o = run({"run", file});
  REQUIRE(o.code == 0);
  const Outcome json = run({"run", file, "--json", "-", "--quiet"});
  REQUIRE(json.code == 0);
  return {o.out, Json::parse(json.out)};
}

const std::string kLongName = "inventory-service-with-a-deliberately-long-name-of-sixty-cel";

Json korean_scenario() {
  Json s = Json::parse(R"({
    "name": "korean",
    "seed": 3,
    "duration_s": 5,
    "warmup_s": 1,
    "workloads": [
      { "name": "users", "target": "웹서버", "arrival": { "type": "poisson", "rate_qps": 200 },
        "operations": [ { "name": "조회", "weight": 9 }, { "name": "write", "weight": 1 } ] }
    ],
    "components": [
      { "type": "service", "name": "웹서버", "workers": 16,
        "handlers": {
          "조회": [ { "compute": { "type": "exponential", "mean_ms": 2 } }, { "call": "데이터베이스", "operation": "select" } ],
          "write": [ { "compute": { "type": "exponential", "mean_ms": 2 } }, { "call": "LONG", "operation": "update" } ]
        } },
      { "type": "service", "name": "데이터베이스", "workers": 8,
        "handlers": { "select": [ { "compute": { "type": "exponential", "mean_ms": 3 } } ] } },
      { "type": "service", "name": "LONG", "workers": 8,
        "handlers": { "update": [ { "compute": { "type": "exponential", "mean_ms": 6 } } ] } }
    ]
  })");
  s["components"][0]["handlers"]["write"][1]["call"] = kLongName;
  s["components"][2]["name"] = kLongName;
  return s;
}

// Clients that always ask for the same key, hashed by key to one replica of
// four: that replica saturates while the others stay idle.
Json hot_key_scenario() {
  return Json::parse(R"({
    "name": "hot-key",
    "seed": 1,
    "duration_s": 10,
    "warmup_s": 2,
    "workloads": [
      { "name": "users", "target": "lb", "arrival": { "type": "poisson", "rate_qps": 600 }, "keys": { "count": 1 } }
    ],
    "components": [
      { "type": "load_balancer", "name": "lb", "backend": "web", "policy": "hash", "hash_on": "key" },
      { "type": "service", "name": "web", "replicas": 4, "workers": 4, "queue_capacity": 100000,
        "handlers": { "request": [ { "compute": { "type": "exponential", "mean_ms": 2 } }, { "call": "db" } ] } },
      { "type": "service", "name": "db", "workers": 16, "service_time": { "type": "exponential", "mean_ms": 12 } }
    ]
  })");
}

// Clients that give up after 5 ms on a service that takes 10 ms: every reply
// comes too late.
Json impatient_scenario() {
  return Json::parse(R"({
    "name": "too-slow",
    "seed": 1,
    "duration_s": 5,
    "warmup_s": 1,
    "workloads": [
      { "name": "users", "target": "web", "arrival": { "type": "constant", "rate_qps": 100 }, "timeout_ms": 5 }
    ],
    "components": [
      { "type": "service", "name": "web", "workers": 4, "service_time": { "type": "constant", "value_ms": 10 } }
    ]
  })");
}

// One operation in ten asks for a report that an archive takes 60 s to
// make, longer than the run: neither the operation nor the archive ever
// completes anything.
Json never_completes_scenario() {
  return Json::parse(R"({
    "name": "never-completes",
    "seed": 1,
    "duration_s": 5,
    "warmup_s": 1,
    "workloads": [
      { "name": "users", "target": "web", "arrival": { "type": "poisson", "rate_qps": 100 }, "timeout_ms": 50,
        "operations": [ { "name": "read", "weight": 9 }, { "name": "report", "weight": 1 } ] }
    ],
    "components": [
      { "type": "service", "name": "web", "workers": 64,
        "handlers": { "read": [ { "compute": { "type": "exponential", "mean_ms": 2 } } ],
                      "report": [ { "call": "archive" } ] } },
      { "type": "service", "name": "archive", "workers": 64, "service_time": { "type": "constant", "value_ms": 60000 } }
    ]
  })");
}

std::string fixed(double v, int decimals) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, v);
  return buffer;
}

// A non-negative number as the report writes it: commas between groups of
// three digits of its whole part.
std::string grouped(const std::string& number) {
  const std::size_t end = std::min(number.find('.'), number.size());
  std::string out;
  for (std::size_t i = 0; i < end; ++i) {
    if (i > 0 && (end - i) % 3 == 0) out += ',';
    out += number[i];
  }
  return out + number.substr(end);
}

}  // namespace

TEST_CASE("the report's columns line up with Korean names and a name of 60 cells") {
  const Report r = run_report(korean_scenario());
  INFO(r.text);
  // Every line of each table is as wide as its header, in terminal cells
  // (the last column is right-aligned), and each column starts where its
  // header does.
  for (const char* title : {"Requests", "Latency (ms)", "Components"}) {
    const auto rows = table(r.text, title);
    CAPTURE(title);
    REQUIRE(rows.size() >= 3);
    for (const auto& row : rows) CHECK(display_width(row) == display_width(rows[0]));
  }
  const auto components = table(r.text, "Components");
  for (std::size_t i = 1; i < components.size(); ++i) {
    CAPTURE(components[i]);
    CHECK(cells_before(components[i], "   service") + 3 == cells_before(components[0], "type"));
  }
  CHECK(contains(r.text, "\n  웹서버 "));
  CHECK(contains(r.text, "\n  데이터베이스 "));
  CHECK(contains(r.text, "\n  조회 "));
  // A Hangul syllable takes two cells (and three bytes): the counts after a
  // Korean label line up with those after an ASCII one.
  const auto requests = table(r.text, "Requests");
  CHECK(cells_before(requests[2], "696") == cells_before(requests[1], "787"));
  // The long name is cut to 40 cells with an ellipsis, the same wherever it
  // is shown, and the tables start their columns at the same place.
  const std::string cut = kLongName.substr(0, 39) + "…";
  CHECK(contains(r.text, "\n  " + cut + "   service"));
  CHECK(contains(r.text, "waiting on " + cut));
  CHECK(!contains(r.text, kLongName));
  CHECK(cells_before(components[0], "type") == 2 + 40 + 3);
  CHECK(cells_before(requests[0], "offered") == 2 + 40 + 3);
  CHECK(cells_before(table(r.text, "Latency (ms)")[0], "mean") == 2 + 40 + 3);
}

TEST_CASE("an unevenly loaded pool shows its replicas' spread, and the bottleneck line names the hottest replica") {
  const Report r = run_report(hot_key_scenario());
  INFO(r.text);
  const Json& b = r.results["bottleneck"];
  REQUIRE(b["component"] == "web");
  REQUIRE(!b["hottest_replica"].is_null());
  const double pool = b["utilization"].get<double>();
  const double hottest = b["hottest_replica_utilization"].get<double>();
  CHECK(hottest == doctest::Approx(1.0).epsilon(0.01));  // one replica saturated...
  CHECK(pool < 0.3);                                      // ...in a pool that looks a quarter busy
  const std::string replica = std::to_string(b["hottest_replica"].get<int>());
  const std::string line = line_starting(r.text, "Bottleneck: ");
  CHECK(line.rfind("Bottleneck: web, replica " + replica + " at utilization " + fixed(hottest, 2) + " (pool " +
                       fixed(pool, 2) + "), " + fixed(100 * b["compute_share"].get<double>(), 0) +
                       "% of it computing, ",
                   0) == 0);
  CHECK(contains(line, "% waiting on db, mean queue "));
  // The queue holds thousands of requests, written with a comma.
  CHECK(b["queue_length_mean"].get<double>() > 1000);
  CHECK(contains(line.substr(line.find("mean queue ")), ","));
  // The pool's utilization with its least and most utilized replica.
  const std::string web = line_starting(r.text, "  web ");
  CHECK(contains(web, "   " + fixed(pool, 2) + " (0.00–" + fixed(hottest, 2) + ")   "));
  // A pool of one replica has no spread, and the bottleneck line no replica.
  const Report balanced = run_report(small_scenario());
  CHECK(contains(balanced.text, "\nBottleneck: db-primary at utilization "));
  CHECK(!contains(balanced.text, "–"));
}

TEST_CASE("goodput sits beside throughput, and the work finished for clients who had given up shows as orphaned") {
  const Report r = run_report(impatient_scenario());
  INFO(r.text);
  const Json& web = r.results["components"]["web"];
  REQUIRE(web["goodput_qps"] == 0.0);
  REQUIRE(web["orphaned"].get<int>() > 0);
  const auto components = table(r.text, "Components");
  REQUIRE(components.size() == 2);
  CHECK(words(components[0]) == std::vector<std::string>{"Components", "type", "throughput", "goodput", "util", "queue",
                                                         "mean/max", "latency", "mean", "p99", "rejected", "orphaned"});
  const auto row = words(components[1]);
  REQUIRE(row.size() == 15);  // name, type, throughput and goodput with "qps", util, "mean / max", latency with "ms", p99, rejected, orphaned
  CHECK(row[2] + " " + row[3] == fixed(web["throughput_qps"].get<double>(), 1) + " qps");
  CHECK(row[4] + " " + row[5] == "0.0 qps");
  CHECK(row.back() == std::to_string(web["orphaned"].get<int>()));
  // Without orphaned work the column is left out.
  const Report plain = run_report(small_scenario());
  CHECK(!contains(plain.text, "orphaned"));
  CHECK(contains(plain.text, "goodput"));
}

TEST_CASE("figures of nothing completed are \"-\", not zeros") {
  const Report r = run_report(impatient_scenario());
  INFO(r.text);
  REQUIRE(r.results["summary"]["completed"] == 0);
  // No request completed: no throughput, no latency.
  CHECK(words(line_starting(r.text, "  total ")).back() == "-");
  CHECK(words(line_starting(r.text, "  end to end ")) ==
        std::vector<std::string>{"end", "to", "end", "-", "-", "-", "-", "-", "-"});

  const Report n = run_report(never_completes_scenario());
  INFO(n.text);
  REQUIRE(n.results["operations"]["report"]["completed"] == 0);
  REQUIRE(n.results["operations"]["report"]["offered"].get<int>() > 0);
  REQUIRE(n.results["components"]["archive"]["completed"] == 0);
  // The operation: offered and failed are counts, its throughput and latency "-".
  const auto requests = table(n.text, "Requests");
  const auto report_row = words(line_starting(n.text, "  report "));
  REQUIRE(report_row.size() == 7);  // report, offered, the rate and its unit, completed, failed, throughput
  CHECK(report_row[4] == "0");
  CHECK(report_row.back() == "-");
  CHECK(words(table(n.text, "Latency (ms)").back()) == std::vector<std::string>{"report", "-", "-", "-", "-", "-", "-"});
  // The component: no throughput, goodput or latency; its utilization and queue are measured.
  const auto archive = words(line_starting(n.text, "  archive "));
  REQUIRE(archive.size() == 11);  // archive, type, throughput, goodput, util, queue "mean / max", latency, p99, rejected
  CHECK(archive[2] == "-");  // throughput
  CHECK(archive[3] == "-");  // goodput
  CHECK(archive[4] == fixed(n.results["components"]["archive"]["utilization"].get<double>(), 2));
  CHECK(archive[8] == "-");  // latency mean
  CHECK(archive[9] == "-");  // p99
  // The rows that did complete keep their figures.
  CHECK(words(line_starting(n.text, "  read ")).back() == "qps");
}

TEST_CASE("offered load is shown as a rate, offered per second of the measured window") {
  const Report r = run_report(impatient_scenario());
  INFO(r.text);
  REQUIRE(r.results["measured_s"] == 4.0);
  REQUIRE(r.results["summary"]["offered"] == 400);
  CHECK(contains(table(r.text, "Requests")[0], " offered   offered rate   completed "));
  CHECK(words(line_starting(r.text, "  total ")) == std::vector<std::string>{"total", "400", "100.0", "qps", "0", "400", "-"});
}

TEST_CASE("a pool that waits more than it computes says on whom, largest first") {
  const Report r = run_report(korean_scenario());
  INFO(r.text);
  const Json& web = r.results["components"]["웹서버"];
  const double utilization = web["utilization"].get<double>();
  const double database = web["waiting_on"]["데이터베이스"].get<double>();
  const double inventory = web["waiting_on"][kLongName].get<double>();
  REQUIRE(database > inventory);
  CHECK(contains(r.text, "\n  웹서버, busy: " + fixed(100 * web["compute_utilization"].get<double>() / utilization, 0) +
                             "% computing, " + fixed(100 * database / utilization, 0) + "% waiting on 데이터베이스, " +
                             fixed(100 * inventory / utilization, 0) + "% waiting on " + kLongName.substr(0, 39) +
                             "…\n"));
  // Pools that compute, and the bottleneck (whose line says it), get no such line.
  CHECK(!contains(r.text, "데이터베이스, busy"));
  const Report hot = run_report(hot_key_scenario());
  CHECK(!contains(hot.text, ", busy: "));
  CHECK(contains(line_starting(hot.text, "Bottleneck: "), "waiting on db"));
}

TEST_CASE("every figure in the report groups its thousands with commas") {
  // 3,000 requests a second at 8 workers that serve 1,600: rates, counts,
  // events, latencies and queue lengths over a thousand.
  Json s = balanced_scenario();
  s["workloads"][0]["arrival"]["rate_qps"] = 3000;
  s["duration_s"] = 3;
  const Report r = run_report(s);
  INFO(r.text);
  REQUIRE(r.results["components"]["web"]["queue_length"]["mean"].get<double>() > 1000);
  CHECK(contains(line_starting(r.text, "simulated "), ","));
  CHECK(contains(line_starting(r.text, "  total "), ","));
  const auto web = words(line_starting(r.text, "  web "));
  CHECK(web[2].find(',') != std::string::npos);  // throughput
  CHECK(web[8].find(',') != std::string::npos);  // mean queue
  const std::string bottleneck = line_starting(r.text, "Bottleneck: ");
  CHECK(contains(bottleneck.substr(bottleneck.find("mean queue")), ","));
  // Below the header (whose seed and version are names, not amounts), no
  // number has four digits in a row.
  const std::string body = r.text.substr(r.text.find("\nRequests"));
  std::size_t run_of_digits = 0, longest = 0;
  for (char c : body) {
    run_of_digits = std::isdigit(static_cast<unsigned char>(c)) ? run_of_digits + 1 : 0;
    longest = std::max(longest, run_of_digits);
  }
  CHECK(longest <= 3);
}

TEST_CASE("data components say their stale reads, replication lag and shard shares, each on its line") {
  const Report replicas = run_report(Json::parse(read_file(source_dir() / "scenarios" / "read-replicas.json")));
  INFO(replicas.text);
  const Json& db = replicas.results["components"]["db"];
  const std::string line = line_starting(replicas.text, "  db: ");
  // The stale fraction is about 0.9 % and the lag about 6 ms: three
  // significant digits each.
  CHECK(line == "  db: stale reads " + std::to_string(db["stale_reads"].get<std::uint64_t>()) + " (" +
                    fixed(100 * db["stale_read_fraction"].get<double>(), 3) + "% of replica reads); replication lag mean " +
                    fixed(db["replication_lag_ms"]["mean"].get<double>(), 2) + " ms, p99 " +
                    fixed(db["replication_lag_ms"]["p99"].get<double>(), 2) + ", max " +
                    fixed(db["replication_lag_ms"]["max"].get<double>(), 2));
  const Report sharded = run_report(Json::parse(read_file(source_dir() / "scenarios" / "sharding-hot-key.json")));
  CHECK(line_starting(sharded.text, "  shards: ").rfind("  shards: shares of its shards ", 0) == 0);
  // A database without replicas has nothing to say.
  CHECK(line_starting(sharded.text, "  shard-0: ").empty());
}

TEST_CASE("a router's line says each reshard with the keys it moved; a reshard's row in the faults has no until") {
  const Report r = run_report(Json::parse(read_file(source_dir() / "scenarios" / "consistent-hashing-vs-mod-n.json")));
  INFO(r.text);
  for (const char* name : {"ring", "mod"}) {
    CAPTURE(name);
    const Json& reshard = r.results["components"][name]["reshards"][0];
    const std::string line = line_starting(r.text, std::string("  ") + name + ": ");
    std::string said = "; at 30.0 s from 4 to 5 shards, ";
    said.append(fixed(100 * reshard["moved_fraction"].get<double>(), 1)).append("% of the keys moved");
    CHECK(line.size() > said.size());
    CHECK(line.substr(line.size() - said.size()) == said);
    // At an instant: no until; nothing fails after it, so the clients
    // recovered at once, and its counts, from the instant to the recovery,
    // hold nothing; nothing detects a reshard.
    CHECK(words(line_starting(r.text, std::string("  add_shard ") + name + " ")) ==
          std::vector<std::string>{"add_shard", name, "30.0", "s", "-", "0", "0", "-", "-", "0", "s"});
  }
}

TEST_CASE("a database's servers each have a line under it, by their roles at the end: primary, replica 1, replica 2") {
  Json s = Json::parse(read_file(source_dir() / "scenarios" / "read-replicas.json"));
  const Report plain = run_report(s);
  INFO(plain.text);
  const Json& replica = plain.results["components"]["db"]["servers"][1];
  const auto lines = lines_of(plain.text);
  const auto db = std::find_if(lines.begin(), lines.end(), [](const std::string& l) { return l.rfind("  db: ", 0) == 0; });
  REQUIRE(db != lines.end());
  REQUIRE(lines.end() - db > 3);
  CHECK(db[1].rfind("    primary: ", 0) == 0);
  // Its throughput counts its applies; its lag is about 6 ms (three
  // significant digits).
  CHECK(db[2] == "    replica 1: " + grouped(fixed(replica["throughput_qps"].get<double>(), 1)) +
                     " qps, utilization " + fixed(replica["utilization"].get<double>(), 2) + ", stale reads " +
                     grouped(replica["stale_reads"].dump()) + " of " + grouped(replica["reads"].dump()) +
                     ", lag mean " + fixed(replica["lag_ms_mean"].get<double>(), 2) + " ms, max " +
                     fixed(replica["lag_ms_max"].get<double>(), 2));
  CHECK(db[3].rfind("    replica 2: ", 0) == 0);

  // The primary crashes at 10 s and a replica takes over at 11 s; the old
  // primary is back from 20 s as a replica. Server numbers stay, roles move:
  // the read replicas at the end are counted from 1 in server order.
  s["components"][1]["failover_after_s"] = 1;
  s["faults"] = Json::parse(R"({ "timeline": [ { "at_s": 10, "until_s": 20, "action": "crash", "target": "db[0]" } ] })");
  const Report failover = run_report(s);
  INFO(failover.text);
  const Json& servers = failover.results["components"]["db"]["servers"];
  const auto primary = failover.results["components"]["db"]["primary_at_end"].get<std::size_t>();
  REQUIRE(primary != 0);
  const auto after = lines_of(failover.text);
  const auto at = std::find_if(after.begin(), after.end(), [](const std::string& l) { return l.rfind("  db: ", 0) == 0; });
  REQUIRE(after.end() - at > 3);
  for (std::size_t i = 0; i < 3; ++i) {
    CAPTURE(i);
    CHECK(servers[i]["role_at_end"] == (i == primary ? "primary" : "replica"));
    std::string role = "    replica ";
    role.append(std::to_string(i < primary ? i + 1 : i)).append(": ");
    CHECK(at[1 + i].rfind(i == primary ? std::string("    primary: ") : role, 0) == 0);
  }
}

TEST_CASE("the bottleneck line names a database's hottest server by its role") {
  // Reads on the primary only (one worker, 5 ms each, 150 a second: 0.75
  // busy); the replica applies nothing.
  const Report r = run_report(Json::parse(R"({
    "name": "primary-bound",
    "duration_s": 20,
    "workloads": [ { "name": "users", "target": "db", "arrival": { "type": "poisson", "rate_qps": 150 } } ],
    "components": [ { "type": "database", "name": "db", "read_replicas": 1, "read_from": "primary",
      "read_time": { "type": "constant", "value_ms": 5 }, "write_time": { "type": "constant", "value_ms": 5 } } ]
  })"));
  INFO(r.text);
  CHECK(r.results["bottleneck"]["hottest_replica"] == 0);
  CHECK(line_starting(r.text, "Bottleneck: ").rfind("Bottleneck: db, primary at utilization ", 0) == 0);
}

TEST_CASE("a CDN says its hit rate, the origin's offload in requests and bytes, and each edge's hit rate") {
  const Report r = run_report(Json::parse(read_file(source_dir() / "scenarios" / "cdn-static-content.json")));
  INFO(r.text);
  const Json& cdn = r.results["components"]["cdn"];
  // Three significant digits: 54.4%.
  std::string rates = "  cdn: hit rate ";
  rates += fixed(100 * cdn["hit_rate"].get<double>(), 1);
  rates += "% of ";
  std::string offload = "; origin offload ";
  offload += fixed(100 * cdn["offload"].get<double>(), 1);
  offload += "% of static requests, ";
  offload += fixed(100 * cdn["byte_offload"].get<double>(), 1);
  offload += "% of their bytes; hit rate by edge ";
  for (std::size_t i = 0; i < cdn["by_edge"].size(); ++i) {
    if (i > 0) offload += " / ";
    offload += fixed(100 * cdn["by_edge"][i]["hit_rate"].get<double>(), 1);
    offload += "%";
  }
  const std::string line = line_starting(r.text, "  cdn: ");
  CHECK(line.rfind(rates, 0) == 0);
  CHECK(line.size() >= offload.size());
  CHECK(line.substr(line.size() - offload.size()) == offload);
}

TEST_CASE("a rate limiter says what its limit refused, and by client when it keys by client") {
  const Report r = run_report(Json::parse(read_file(source_dir() / "scenarios" / "rate-limiters.json")));
  INFO(r.text);
  // Three significant digits: 33.0%.
  CHECK(line_starting(r.text, "  token-bucket: ") == "  token-bucket: rate limited 3,921 of 11,869 (33.0%)");
  // heavy every 10 ms, light every 100 ms, 20 tokens a second for each,
  // over a window of 1 s: heavy gets 20 of its 100 through, light all 10.
  const Report keyed = run_report(Json::parse(R"({ "name": "keyed", "duration_s": 2, "warmup_s": 1,
    "workloads": [
      { "name": "heavy", "target": "gateway", "arrival": { "type": "constant", "rate_qps": 100 } },
      { "name": "light", "target": "gateway", "arrival": { "type": "constant", "rate_qps": 10 } }],
    "components": [
      { "type": "rate_limiter", "name": "gateway", "key": "client",
        "algorithm": "token_bucket", "rate_qps": 20, "burst": 1 }]})"));
  INFO(keyed.text);
  CHECK(line_starting(keyed.text, "  gateway: ") == "  gateway: rate limited 80 of 110 (72.7%); by client heavy 80, light 0");
}

TEST_CASE("the faults table says how long a fault took to detect, and by whom, or - when nothing detected it") {
  const Report r = run_report(Json::parse(read_file(source_dir() / "scenarios" / "crash-health-checks.json")));
  INFO(r.text);
  const std::vector<std::string> plain = words(line_starting(r.text, "  crash web-plain[1] "));
  const std::vector<std::string> checked = words(line_starting(r.text, "  crash web-checked[1] "));
  REQUIRE(plain.size() >= 3);
  REQUIRE(checked.size() >= 5);
  // ... detected after, recovered after: the last cells.
  CHECK(std::vector<std::string>(plain.end() - 3, plain.end()) == std::vector<std::string>{"-", "0", "s"});
  CHECK(std::vector<std::string>(checked.end() - 6, checked.end()) ==
        std::vector<std::string>{"2.80", "s", "by", "lb-checked", "0", "s"});
}

TEST_CASE("a breaker, a bulkhead and shedding each have a line under Resilience, from the figures in the results") {
  Json s = small_scenario();
  s["components"][0]["shed_wait_ms"] = 50;
  s["components"][0]["handlers"]["read"][1]["circuit_breaker"] = Json::parse(R"({ "consecutive_failures": 5 })");
  s["components"][0]["handlers"]["read"][1]["bulkhead"] = Json::parse(R"({ "max_concurrent_calls": 4 })");
  s["components"][0]["handlers"]["write"][1]["circuit_breaker"] = Json::parse(R"({ "consecutive_failures": 5 })");
  s["components"][0]["handlers"]["write"][1]["bulkhead"] = Json::parse(R"({ "max_concurrent_calls": 4 })");
  const Report r = run_report(s);
  INFO(r.text);
  const Json& web = r.results["components"]["web"];
  const Json& b = web["circuit_breakers"]["db-primary"];
  const Json& h = web["bulkheads"]["db-primary"];
  CHECK(contains(r.text, "Resilience\n  web -> db-primary: breaker opened " + std::to_string(b["opens"].get<int>()) +
                             " times, open " + fixed(100 * b["open_fraction"].get<double>(), 0) + "% of the time, " +
                             std::to_string(b["rejected"].get<int>()) + " calls failed fast (circuit_open)\n"));
  CHECK(contains(r.text, "  web -> db-primary: bulkhead of 4, at most " + std::to_string(h["in_flight"]["max"].get<int>()) +
                             " in flight, "));
  CHECK(contains(r.text, "  web: " + std::to_string(web["shed"].get<int>()) + " requests shed"));
  // Without them, no such section.
  CHECK(!contains(run_report(small_scenario()).text, "Resilience"));
}

TEST_CASE("a hedged call and an autoscaled service each have their line, from the results") {
  Json s = Json::parse(R"({
    "duration_s": 20,
    "workloads": [{ "name": "clients", "target": "web", "arrival": { "type": "poisson", "rate_qps": 200 } }],
    "components": [
      { "type": "service", "name": "web", "workers": 50,
        "handlers": { "request": [ { "call": "backend", "hedge": { "delay_ms": 8 } } ] } },
      { "type": "service", "name": "backend", "replicas": 1, "workers": 2,
        "service_time": { "type": "exponential", "mean_ms": 5 },
        "autoscaling": { "target": 0.3, "max_instances": 4, "interval_s": 2, "startup_s": 1, "cooldown_s": 4 } }
    ]
  })");
  const Report r = run_report(s);
  INFO(r.text);
  const Json& h = r.results["components"]["web"]["hedges"]["backend"];
  CHECK(contains(r.text, "Hedges:\n  web → backend: "));
  CHECK(contains(r.text, "% of " + archsim::analysis::group_thousands(std::to_string(h["calls"].get<std::uint64_t>())) +
                             " calls hedged, " + std::to_string(h["won_by_hedge"].get<std::uint64_t>()) +
                             " won by the hedge, " + std::to_string(h["denied_by_budget"].get<std::uint64_t>()) +
                             " denied by the budget"));
  const Json& backend = r.results["components"]["backend"];
  const Json& serving = backend["autoscaling"]["instances_serving"];
  CHECK(serving["max"].get<int>() > 1);
  CHECK(contains(r.text, "Autoscaling:\n  backend: " + std::to_string(serving["min"].get<int>()) + "–" +
                             std::to_string(serving["max"].get<int>()) + " instances serving (mean " +
                             fixed(serving["mean"].get<double>(), 2) + "), "));
  CHECK(contains(r.text, std::to_string(backend["scale_outs"].get<int>()) + " scale-outs, " +
                             std::to_string(backend["scale_ins"].get<int>()) + " scale-ins\n"));
}
