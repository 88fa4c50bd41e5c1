// run --replications: R runs with derived seeds, joined into means and 95 %
// intervals in the report, the JSON and the CSV; the same bytes with one
// thread or two; the warm-up chosen by MSER-5; goals judged on the means;
// and the refusals of bad counts.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "cli/replications.h"
#include "tests/cli/cli_helpers.h"

namespace {

using archsim::spec::Json;
using namespace archsim::test_cli;

std::string small_file(const TempDir& dir) {
  Json scenario = small_scenario();
  scenario["duration_s"] = 3;
  return dir.write("small.json", scenario.dump());
}

TEST_CASE("replication seeds are SplitMix64 of the scenario's seed, cut to 53 bits") {
  const auto seeds = archsim::cli::replication_seeds(7, 5);
  CHECK(seeds.size() == 5);
  std::set<std::uint64_t> distinct(seeds.begin(), seeds.end());
  CHECK(distinct.size() == 5);
  for (std::size_t i = 0; i < seeds.size(); ++i) {
    CHECK(seeds[i] < (std::uint64_t{1} << 53));
    CHECK(archsim::cli::replication_seed(7, i) == seeds[i]);
  }
  // SplitMix64's first output for the state 0 (its published test value,
  // 0xE220A8397B1DCDAF), without its low 11 bits.
  CHECK(archsim::cli::replication_seed(0, 0) == (0xE220A8397B1DCDAFULL >> 11));
  // Another seed, other replications.
  CHECK(archsim::cli::replication_seed(8, 0) != seeds[0]);
}

TEST_CASE("replicated results are the same bytes with one thread or two") {
  TempDir dir("replications-jobs");
  const std::string file = small_file(dir);
  const auto one = run({"run", file, "--replications", "4", "--jobs", "1", "--json", dir.file("one.json"), "--csv",
                        dir.file("one")});
  const auto two = run({"run", file, "--replications", "4", "--jobs", "2", "--json", dir.file("two.json"), "--csv",
                        dir.file("two")});
  REQUIRE(one.code == 0);
  REQUIRE(two.code == 0);
  CHECK(read_file(dir.file("one.json")) == read_file(dir.file("two.json")));
  CHECK(read_file(dir.file("one/replications.csv")) == read_file(dir.file("two/replications.csv")));
  CHECK(one.out == two.out);
}

TEST_CASE("replicated results hold every figure's mean and interval") {
  TempDir dir("replications-json");
  const std::string file = small_file(dir);
  const auto o = run({"run", file, "--replications", "5", "--json", "-"});
  REQUIRE(o.code == 0);
  const Json r = Json::parse(o.out);
  CHECK(r["replications"]["count"] == 5);
  CHECK(r["replications"]["seeds"] == Json(archsim::cli::replication_seeds(7, 5)));
  CHECK(r["replications"]["t_quantile"].get<double>() == doctest::Approx(2.7764451052).epsilon(1e-9));
  CHECK(r["replications"]["warmup"]["method"] == "scenario");
  CHECK(r["run"]["arguments"] == Json::parse(R"([")" + file + R"(", "--replications", "5"])"));
  CHECK(r["mean"]["summary"]["throughput_qps"].get<double>() == doctest::Approx(200).epsilon(0.1));
  CHECK(r["ci95"]["summary"]["throughput_qps"].get<double>() > 0);
  CHECK(r["mean"]["components"]["web"]["type"] == "service");
  CHECK(r["ci95"]["components"]["web"]["type"].is_null());
  CHECK(r["mean"]["components"]["db-primary"]["utilization"].is_number());
  CHECK_FALSE(r.contains("timeseries"));
  // Each replication alone: the mean is the mean of their figures.
  double sum = 0;
  for (const auto seed : archsim::cli::replication_seeds(7, 5)) {
    const auto single = run({"run", file, "--seed", std::to_string(seed), "--json", "-"});
    sum += Json::parse(single.out)["summary"]["throughput_qps"].get<double>();
  }
  CHECK(r["mean"]["summary"]["throughput_qps"].get<double>() == doctest::Approx(sum / 5).epsilon(1e-12));
}

TEST_CASE("the replicated report and CSV give means with their intervals") {
  TempDir dir("replications-report");
  const std::string file = small_file(dir);
  const auto o = run({"run", file, "--replications", "3", "--csv", dir.file("out")});
  REQUIRE(o.code == 0);
  CHECK(contains(o.out, "3 replications from seed 7"));
  CHECK(contains(o.out, "(Student t, 2 degrees of freedom)"));
  CHECK(contains(o.out, "  latency_ms.p99 "));
  CHECK(contains(o.out, " ± "));
  const std::string csv = read_file(dir.file("out/replications.csv"));
  CHECK(csv.rfind("figure,mean,ci95_half_width\n", 0) == 0);
  CHECK(contains(csv, "\nsummary.throughput_qps,"));
  CHECK(contains(csv, "\ncomponents.web.latency_ms.p99,"));
}

TEST_CASE("goals on replicated results are judged on the means, shown with their intervals") {
  TempDir dir("replications-goals");
  const std::string file = small_file(dir);
  const auto o = run({"run", file, "--replications", "3", "--quiet", "--check", "p99_ms<1ms"});
  CHECK(o.code == 4);
  CHECK(contains(o.out, "  FAIL  p99_ms<1ms: summary.latency_ms.p99 mean "));
  CHECK(contains(o.out, " ± "));
}

TEST_CASE("a goal on replicated results also says how many replications met it, and which seeds did not") {
  TempDir dir("replications-share");
  const std::string file = small_file(dir);
  // Each replication's median latency, from runs of its seed alone.
  const auto all = run({"run", file, "--replications", "5", "--json", "-"});
  REQUIRE(all.code == 0);
  const Json seeds = Json::parse(all.out)["replications"]["seeds"];
  std::vector<std::pair<double, std::uint64_t>> p50;
  for (const auto& seed : seeds) {
    const auto one = run({"run", file, "--seed", std::to_string(seed.get<std::uint64_t>()), "--json", "-"});
    REQUIRE(one.code == 0);
    p50.emplace_back(Json::parse(one.out)["summary"]["latency_ms"]["p50"].get<double>(), seed.get<std::uint64_t>());
  }
  std::sort(p50.begin(), p50.end());
  REQUIRE(p50[1].first < p50[2].first);
  // Between the second and the third smallest: the two smallest meet it,
  // the other three not.
  char threshold[64];
  std::snprintf(threshold, sizeof threshold, "%.17g", (p50[1].first + p50[2].first) / 2);
  const std::string goal = std::string("p50_ms<") + threshold;
  const auto o = run({"run", file, "--replications", "5", "--quiet", "--check", goal});
  CAPTURE(o.out);
  CHECK(contains(o.out, "; met by 2 of 5 replications (missed with seeds "));
  for (std::size_t i = 0; i < p50.size(); ++i)
    CHECK(contains(o.out, std::to_string(p50[i].second)) == (i >= 2));
}

TEST_CASE("warm-up auto picks a length by MSER-5 and reports it") {
  TempDir dir("replications-warmup");
  Json scenario = small_scenario();
  scenario["duration_s"] = 20;
  scenario["report_interval_s"] = 0.1;
  const std::string file = dir.write("warm.json", scenario.dump());
  const auto o = run({"run", file, "--replications", "3", "--warmup", "auto", "--json", "-"});
  REQUIRE(o.code == 0);
  const Json r = Json::parse(o.out);
  const Json& w = r["replications"]["warmup"];
  CHECK(w["method"] == "mser5");
  CHECK(w["figure"] == "latency_mean_ms");
  CHECK(w["series_intervals"] == 200);
  CHECK(w["intervals"].get<int>() % 5 == 0);
  CHECK(w["intervals"].get<int>() <= 100);
  CHECK(r["warmup_s"].get<double>() == doctest::Approx(w["intervals"].get<int>() * 0.1));
  CHECK(contains(o.err, "chosen by MSER-5 on latency_mean_ms"));
  // A single run may choose its warm-up too.
  const auto single = run({"run", file, "--warmup", "auto", "--json", "-"});
  REQUIRE(single.code == 0);
  CHECK(contains(single.err, "chosen by MSER-5"));
}

TEST_CASE("bad replication counts, jobs and warm-ups are refused") {
  TempDir dir("replications-bad");
  const std::string file = small_file(dir);
  auto o = run({"run", file, "--replications", "1"});
  CHECK(o.code == 2);
  CHECK(contains(o.err, "--replications: expected a whole number from 2 to 1000 (a confidence interval needs two "
                        "runs at least; for one run leave --replications out), got \"1\""));
  o = run({"run", file, "--replications", "many"});
  CHECK(o.code == 2);
  o = run({"run", file, "--replications", "3", "--jobs", "0"});
  CHECK(o.code == 2);
  CHECK(contains(o.err, "--jobs: expected a whole number of threads from 1 to 1024, got \"0\""));
  o = run({"run", file, "--jobs", "2"});
  CHECK(o.code == 2);
  CHECK(contains(o.err, "--jobs: runs replications on threads; give --replications R with it"));
  o = run({"run", file, "--warmup", "3s"});
  CHECK(o.code == 2);
  CHECK(contains(o.err, "--warmup: expected auto, or a time such as 10s that is shorter than the run, got \"3s\""));
  o = run({"run", file, "--warmup", "soon"});
  CHECK(o.code == 2);
}

}  // namespace
