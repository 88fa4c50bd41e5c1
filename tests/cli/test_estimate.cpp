// archsim estimate: its input from flags, from a file holding the estimate
// section and from a scenario; its table, JSON and steps; the starting
// scenario of --scenario, which validates and runs; a run's report with the
// estimate beside the simulation; and the messages for bad input.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "tests/cli/cli_helpers.h"

namespace {

using archsim::spec::Json;
using namespace archsim::test_cli;

// The notes' Twitter-like example as flags.
const std::vector<std::string> kTwitterFlags = {
    "--monthly-active-users", "300000000", "--daily-active-share", "0.5", "--requests-per-user-per-day", "2",
    "--media-share",          "0.1",       "--media-size-bytes",   "1e6", "--retention-years",          "5"};

std::vector<std::string> with(std::vector<std::string> args, const std::vector<std::string>& more) {
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

// A line of `text` that starts with `start`, or empty.
std::string line_starting(const std::string& text, const std::string& start) {
  std::size_t at = text.rfind("\n" + start) != std::string::npos ? text.find("\n" + start) + 1 : std::string::npos;
  if (text.rfind(start, 0) == 0) at = 0;
  if (at == std::string::npos) return "";
  return text.substr(at, text.find('\n', at) - at);
}

// A section a student would write: a read-heavy service of 1 M daily users.
const char* kReadHeavySection = R"({
  "daily_active_users": 1000000,
  "requests_per_user_per_day": 5,
  "reads_per_write": 4,
  "object_size_bytes": 500,
  "server_capacity_qps": 50
})";

}  // namespace

TEST_CASE("estimate from flags prints the table: requests per second, storage, bandwidth, cache, servers") {
  const Outcome o = run(with({"estimate"}, with(kTwitterFlags, {"--server-capacity-qps", "1000"})));
  REQUIRE(o.code == 0);
  CHECK(o.err.empty());
  CHECK(o.out.rfind("Estimate for 150,000,000 daily active users × 2 requests a day (300,000,000 monthly × 0.5)\n"
                    "Decimal units: 1 kB = 1,000 bytes, 1 MB = 10^6, 1 GB = 10^9, 1 TB = 10^12, 1 PB = 10^15;\n"
                    "a day has 86,400 s and a year 365 days.\n",
                    0) == 0);
  const std::string all = line_starting(o.out, "  all ");
  CHECK(contains(all, " 3,472.2 "));
  CHECK(all.size() > 7);
  CHECK(all.substr(all.size() - 7) == "6,944.4");
  const std::string media = line_starting(o.out, "  media ");
  CHECK(contains(media, " 30 TB "));
  CHECK(media.substr(media.size() - 8) == "54.75 PB");
  CHECK(contains(o.out, "Storage         per day   over 5 years\n"));
  CHECK(contains(line_starting(o.out, "  in (writes) "), "347.2 MB/s (2.778 Gbit/s)"));
  CHECK(contains(o.out, "\nCache memory: 0 B (20% of a day's reads of 0 B objects)\n"));
  CHECK(contains(o.out, "\nServers: 10 of 1,000 requests/s each, 69.4% busy at the peak (at most 70%)\n"));
}

TEST_CASE("estimate --json writes the inputs with their defaults, every figure with its unit, and the steps") {
  const Outcome o = run({"estimate", "--daily-active-users", "1e6", "--requests-per-user-per-day", "5", "--json", "-"});
  REQUIRE(o.code == 0);
  const Json doc = Json::parse(o.out);
  CHECK(doc["inputs"] == Json::parse(R"({"daily_active_users": 1000000, "requests_per_user_per_day": 5,
      "peak_to_average": 2, "reads_per_write": 0, "object_size_bytes": 0, "media_share": 0, "media_size_bytes": 0,
      "retention_years": 5, "hot_fraction": 0.2, "server_utilization_max": 0.7})"));
  // 1,000,000 x 5 / 86,400 = 3125 / 54 = 57.87 requests/s.
  CHECK(doc["figures"]["average_qps"]["value"].get<double>() == doctest::Approx(3125.0 / 54).epsilon(1e-12));
  CHECK(doc["figures"]["average_qps"]["unit"] == "requests/s");
  CHECK(doc["figures"]["requests_per_day"] == Json::parse(R"({"value": 5000000, "unit": "requests/day"})"));
  CHECK(doc["figures"]["storage_over_retention_bytes"]["unit"] == "bytes");
  CHECK(doc["figures"]["bandwidth_in_peak_bytes_per_s"]["unit"] == "bytes/s");
  CHECK(!doc["figures"].contains("servers_needed"));
  for (const auto& [name, figure] : doc["figures"].items()) {
    CAPTURE(name);
    CHECK(figure.size() == 2);
    CHECK(figure["value"].is_number());
    CHECK(!figure["unit"].get<std::string>().empty());
  }
  REQUIRE(doc["steps"].size() == doc["figures"].size());
  CHECK(doc["steps"][4] == Json::parse(R"({"figure": "average_qps", "label": "average QPS",
      "formula": "requests per day / 86,400 s", "numbers": "5,000,000 / 86,400",
      "value": 57.870370370370374, "unit": "requests/s"})"));
  CHECK(contains(doc["units"].get<std::string>(), "1 MB = 10^6"));
}

TEST_CASE("estimate --steps writes the arithmetic of each figure") {
  const Outcome o = run(with({"estimate", "--steps"}, kTwitterFlags));
  REQUIRE(o.code == 0);
  CHECK(o.out.rfind("Step by step\nDecimal units: ", 0) == 0);
  CHECK(contains(o.out, "\n 5. average QPS = requests per day / 86,400 s\n"
                        "    = 300,000,000 / 86,400\n"
                        "    = 3,472.22 requests/s\n"));
  CHECK(contains(o.out, "\n18. storage over the retention = storage per day × retention in days\n"
                        "    = 30,000,000,000,000 × 1,825\n"
                        "    = 54,750,000,000,000,000 bytes (54.75 PB)\n"));
  CHECK(!contains(o.out, "Requests/s"));
}

TEST_CASE("estimate reads a file holding only the section, or a scenario's section; flags override the file") {
  TempDir dir("estimate-files");
  const auto section = dir.write("read-heavy.json", kReadHeavySection);
  const Outcome alone = run({"estimate", section, "--json", "-"});
  REQUIRE(alone.code == 0);
  const Json a = Json::parse(alone.out);
  // 0.2 x 4,000,000 reads a day x 500 bytes = 400 MB; 115.74 / (50 x 0.7) = 3.3, so 4 servers.
  CHECK(a["figures"]["cache_memory_bytes"]["value"] == 400000000);
  CHECK(a["figures"]["servers_needed"]["value"] == 4);

  Json scenario = small_scenario();
  scenario["estimate"] = Json::parse(kReadHeavySection);
  const auto file = dir.write("scenario.json", scenario.dump());
  const Outcome inside = run({"estimate", file, "--json", "-"});
  REQUIRE(inside.code == 0);
  CHECK(Json::parse(inside.out)["figures"] == a["figures"]);
  CHECK(run({"validate", file}).code == 0);

  // A flag sets its key over the file's: 2 x 5,000,000 requests a day.
  const Outcome over = run({"estimate", file, "--requests-per-user-per-day", "10", "--json", "-"});
  REQUIRE(over.code == 0);
  CHECK(Json::parse(over.out)["figures"]["requests_per_day"]["value"] == 10000000);
  CHECK(Json::parse(over.out)["inputs"]["requests_per_user_per_day"] == 10);
}

TEST_CASE("estimate --scenario writes a starting scenario that validates and runs, its report beside the estimate") {
  TempDir dir("estimate-scenario");
  const auto section = dir.write("read-heavy.json", kReadHeavySection);
  const auto out = dir.file("start.json");
  const Outcome o = run({"estimate", section, "--scenario", out});
  REQUIRE(o.code == 0);
  CHECK(o.err == "archsim: wrote " + out + ", a starting scenario sized by the estimate; run it with archsim run " +
                     out + "\n");
  CHECK(contains(o.out, "Servers: 4 of 50 requests/s each"));
  CHECK(run({"validate", out}).code == 0);

  const Json s = Json::parse(read_file(out));
  // The workload at the peak, 2 x 5,000,000 / 86,400 = 115.74 requests/s, 4 reads a write.
  CHECK(s["workloads"][0]["arrival"]["rate_qps"].get<double>() == doctest::Approx(3125.0 / 27).epsilon(1e-12));
  CHECK(s["workloads"][0]["operations"] ==
        Json::parse(R"([{"name": "read", "weight": 4}, {"name": "write", "weight": 1, "access": "write"}])"));
  std::vector<std::string> types;
  for (const auto& c : s["components"]) types.push_back(c["type"].get<std::string>());
  CHECK(types == std::vector<std::string>{"load_balancer", "service", "cache", "database"});
  // The pool has the servers needed; the cache holds the hot fraction of the keys.
  CHECK(s["components"][1]["replicas"] == 4);
  CHECK(s["components"][2]["capacity_keys"] == 20000);
  CHECK(s["workloads"][0]["keys"]["count"] == 100000);
  CHECK(s["estimate"]["server_pool"] == "app");
  // A server of 8 workers completes 50 requests/s when each request holds a
  // worker 160 ms: its compute, and its calls at their slowest (a read that
  // misses: 3 calls of 2 hops of 0.5 ms, 2 cache operations of 0.1 ms and a
  // database read of 2 ms = 5.2 ms; a write: 2 calls of 2 hops, a database
  // write of 5 ms and a cache delete of 0.1 ms = 7.1 ms; 4 reads a write:
  // 0.8 x 5.2 + 0.2 x 7.1 = 5.58 ms), so compute 160 - 5.58 = 154.42 ms.
  CHECK(s["components"][1]["workers"] == 8);
  CHECK(s["components"][1]["handlers"]["read"][0]["compute"]["mean_ms"].get<double>() ==
        doctest::Approx(154.42).epsilon(1e-12));

  const Outcome r = run({"run", out, "--duration", "20s"});
  REQUIRE(r.code == 0);
  CHECK(contains(r.out, "\nEstimate vs simulation (the scenario's estimate section)\n"
                        "  peak rate: estimated 115.7 qps; offered "));
  CHECK(contains(r.out, "\n  servers: estimated 4, 0.58 busy at the peak; app has 4 replicas, utilization 0."));
  CHECK(contains(r.out, "\n  why they differ:\n  - offered is within ±"));
  CHECK(contains(r.out, "\n  - queueing and tails: the estimate is of means"));
  // The results carry the estimate ahead of the time series, which stays last.
  const Json results = Json::parse(run({"run", out, "--duration", "20s", "--json", "-"}).out);
  REQUIRE(results.contains("estimate"));
  CHECK(results["estimate"]["server_pool"] == "app");
  CHECK(results["estimate"]["figures"]["servers_needed"]["value"] == 4);
  std::string last;
  for (const auto& [key, _] : results.items()) last = key;
  CHECK(last == "timeseries");
}

TEST_CASE("estimate --scenario of writes only has no cache; without a server capacity it is refused") {
  TempDir dir("estimate-writes");
  const auto out = dir.file("twitter.json");
  const Outcome o = run(with({"estimate", "--scenario", out, "--server-capacity-qps", "1000"}, kTwitterFlags));
  REQUIRE(o.code == 0);
  const Json s = Json::parse(read_file(out));
  CHECK(s["components"].size() == 3);
  CHECK(s["workloads"][0]["operations"] == Json::parse(R"([{"name": "write", "weight": 1, "access": "write"}])"));
  CHECK(s["components"][1]["replicas"] == 10);
  CHECK(run({"validate", out}).code == 0);

  const Outcome refused = run(with({"estimate", "--scenario", dir.file("none.json")}, kTwitterFlags));
  CHECK(refused.code == 1);
  CHECK(refused.err == "archsim estimate: --scenario needs server_capacity_qps: the scenario's pool of servers is "
                       "sized by the servers needed\n");
  CHECK(!std::filesystem::exists(dir.file("none.json")));
}

TEST_CASE("bad estimate input is refused with every problem, by its JSON path or its flag") {
  TempDir dir("estimate-bad");
  const auto section = dir.write("bad.json", R"({
    "monthly_active_users": 300000000,
    "daily_active_share": 1.5,
    "requests_per_user_per_day": 2,
    "retention_years": 0,
    "hot_fractoin": 0.2
  })");
  Outcome o = run({"estimate", section});
  CHECK(o.code == 1);
  CHECK(o.out.empty());
  CHECK(o.err == section + ": daily_active_share: must be a number of at most 1, got 1.5\n" + section +
                     ": retention_years: must be a number greater than 0, got 0\n" + section +
                     ": unknown key \"hot_fractoin\"; did you mean \"hot_fraction\"?\n"
                     "3 problems; nothing was estimated\n");

  Json scenario = small_scenario();
  scenario["estimate"] = Json::parse(R"({"daily_active_users": 1000, "daily_active_share": 0.5,
                                         "requests_per_user_per_day": 3, "server_pool": "db-primary"})");
  const auto file = dir.write("scenario.json", scenario.dump());
  o = run({"estimate", file});
  CHECK(o.code == 1);
  CHECK(o.err == file + ": estimate.daily_active_share: goes with monthly_active_users; daily_active_users "
                        "already counts the users of a day\n"
                        "1 problem; nothing was estimated\n");
  // The same problems in `validate` and `run`, which check the section too.
  CHECK(run({"validate", file}).err == o.err.substr(0, o.err.find('\n') + 1) + "1 problem; nothing was run\n");

  o = run({"estimate", "--daily-active-users", "1e6", "--requests-per-user-per-day", "0", "--daily-active-share",
           "2", "--peak-to-average", "many"});
  CHECK(o.code == 1);
  CHECK(o.err == "archsim estimate: --daily-active-share: must be a number of at most 1, got 2\n"
                 "archsim estimate: --requests-per-user-per-day: must be a number greater than 0, got 0\n"
                 "archsim estimate: --peak-to-average: must be a number, got a string \"many\"\n"
                 "3 problems; nothing was estimated\n");

  o = run({"estimate", "--daily-active-users", "10", "--monthly-active-users", "30", "--requests-per-user-per-day", "1"});
  CHECK(o.err == "archsim estimate: has both --daily-active-users and --monthly-active-users; give one: the "
                 "estimate starts from the users active on a day\n"
                 "1 problem; nothing was estimated\n");
  o = run({"estimate", "--monthly-active-users", "30"});
  CHECK(o.err == "archsim estimate: missing --requests-per-user-per-day (Requests each daily active user makes a "
                 "day, reads and writes together)\n"
                 "1 problem; nothing was estimated\n");
  o = run({"estimate", "--monthly-active-users", "30", "--requests-per-user-per-day", "1"});
  CHECK(o.err == "archsim estimate: needs --daily-active-share beside --monthly-active-users: the share of them "
                 "active on a day\n"
                 "1 problem; nothing was estimated\n");

  // A section alone names no component; a scenario without a section has nothing to estimate.
  const auto pool = dir.write("pool.json", R"({"daily_active_users": 10, "requests_per_user_per_day": 1,
                                              "server_pool": "app"})");
  o = run({"estimate", pool});
  CHECK(o.err == pool + ": server_pool: names a component of a scenario; a file holding only the estimate section "
                        "has none\n1 problem; nothing was estimated\n");
  const auto plain = dir.write("plain.json", small_scenario().dump());
  o = run({"estimate", plain});
  CHECK(o.code == 1);
  CHECK(o.err == plain + ": has no estimate section; add one (docs/estimate.md), or give its figures as flags\n"
                         "1 problem; nothing was estimated\n");
}

TEST_CASE("estimate's usage mistakes exit 2 and say what to do") {
  Outcome o = run({"estimate"});
  CHECK(o.code == 2);
  CHECK(contains(o.err, "archsim estimate: nothing to estimate: give a FILE with an estimate section, or its "
                        "figures as flags, e.g. --daily-active-users 1000000 --requests-per-user-per-day 5\n"));
  o = run({"estimate", "--daily_active_users", "10"});
  CHECK(o.code == 2);
  CHECK(contains(o.err, "unknown option --daily_active_users; did you mean --daily-active-users?"));
  o = run(with({"estimate", "--json", "-", "--steps"}, kTwitterFlags));
  CHECK(o.code == 2);
  CHECK(contains(o.err, "--steps prints to standard output, where --json - writes; give that one a file"));
  o = run({"estimate", "a.json", "b.json"});
  CHECK(o.code == 2);
  CHECK(contains(o.err, "expected at most one FILE, got 2: a.json, b.json"));
  const Outcome help = run({"estimate", "--help"});
  CHECK(help.code == 0);
  CHECK(contains(help.out, "--daily-active-users N"));
  CHECK(contains(help.out, "--server-utilization-max N"));
}

TEST_CASE("a run's report says when the scenario's traffic is not the estimate's and when no pool is named") {
  TempDir dir("estimate-report");
  Json scenario = small_scenario();  // 200 requests/s
  scenario["estimate"] = Json::parse(kReadHeavySection);  // a peak of 115.7 requests/s
  const auto file = dir.write("scenario.json", scenario.dump());
  const Outcome r = run({"run", file});
  REQUIRE(r.code == 0);
  CHECK(contains(r.out, "\n  peak rate: estimated 115.7 qps; offered "));
  CHECK(contains(r.out, "\n  servers: estimated 4, 0.58 busy at the peak; not compared: name the pool they stand "
                        "for in estimate.server_pool\n"));
  CHECK(contains(r.out, "\n  - offered is beyond the chance variation of Poisson arrivals (±"));
  // Without an estimate section the report has no such block.
  const auto plain = dir.write("plain.json", small_scenario().dump());
  CHECK(!contains(run({"run", plain}).out, "Estimate vs simulation"));
}

TEST_CASE("estimate --scenario refuses what a scenario cannot hold instead of writing an invalid one") {
  TempDir dir("estimate-limits");
  const auto out = dir.file("start.json");
  auto refused = [&](const std::vector<std::string>& flags) {
    const Outcome o = run(with({"estimate", "--scenario", out}, flags));
    CHECK(o.code == 1);
    CHECK(!std::filesystem::exists(out));
    return o.err;
  };
  // 1e12 users x 1e6 requests: a peak of 2.3e13 requests/s.
  CHECK(contains(refused({"--daily-active-users", "1e12", "--requests-per-user-per-day", "1e6",
                          "--server-capacity-qps", "8e6"}),
                 " requests/s is more than one workload sends (at most 1,000,000,000)"));
  CHECK(contains(refused({"--daily-active-users", "1e9", "--requests-per-user-per-day", "100",
                          "--server-capacity-qps", "10"}),
                 "servers, and a service holds at most 10,000 replicas"));
  CHECK(contains(refused({"--daily-active-users", "1e6", "--requests-per-user-per-day", "100",
                          "--server-capacity-qps", "1e8"}),
                 "workers in the starting scenario; give a smaller server_capacity_qps"));
  // The section's bounds keep every figure finite and every server's time within a day.
  CHECK(refused({"--daily-active-users", "10", "--requests-per-user-per-day", "1", "--server-capacity-qps", "1e-6"}) ==
        "archsim estimate: --server-capacity-qps: must be a number of at least 0.001, got 1e-6\n"
        "1 problem; nothing was estimated\n");
  // A section that is not an object takes no flags; the check says what it must be.
  Json scenario = small_scenario();
  scenario["estimate"] = 5;
  const auto file = dir.write("scenario.json", scenario.dump());
  const Outcome o = run({"estimate", file, "--daily-active-users", "10"});
  CHECK(o.code == 1);
  CHECK(o.err == file + ": estimate: must be an object, got a number\n1 problem; nothing was estimated\n");
}
