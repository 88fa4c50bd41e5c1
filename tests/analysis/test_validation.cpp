// Statistical validation: the simulator against queueing theory
// (analysis/queueing.h). Each test runs a scenario from scenarios/ with a
// fixed seed, in-process, and compares a steady-state figure with its
// closed-form value. The report is docs/validation.md.
//
// Tolerance rule. Every tolerance comes from the estimate's own noise, never
// from what makes a test pass:
//   |simulated - theory| <= 4 SE  (+ the histogram's bound, for quantiles)
// where SE is the standard error of the simulated estimate by the method of
// batch means: the measured run is cut into kBatches = 40 report intervals
// (one more interval before them is the warm-up and is discarded), each
// holding tens of thousands to hundreds of thousands of requests, far longer
// than the correlation time of the queue (at most about 400 mean service
// times, for M/M/1 at rho = 0.9), so the batch means are nearly independent.
//  - A mean of requests (latency, wait, waited fraction, blocking) is a ratio
//    sum(y_i) / sum(n_i) over the batches; its SE is the ratio estimator's,
//    sqrt(sum((y_i - R n_i)^2) / (k (k - 1))) / mean(n_i).
//  - A time average with equal-length batches (utilization, throughput,
//    number in system) is the plain mean of the batch values, SE = sd / sqrt(k).
//  - A p99 is read from the histogram of the whole run; its SE is that of the
//    mean of the k batch p99s, sd / sqrt(k); the band adds the histogram's
//    bound on a quantile's relative error, sim::Histogram::kMaxRelativeError
//    (1/128) times the theoretical value.
// With 39 degrees of freedom, 4 SE is exceeded by chance with probability
// about 3e-4 per check. So that a check cannot pass merely because its noise
// is large, each also requires SE <= 1 % of the theoretical value, or 2 %
// where 1 % would take more requests than the time budget allows: the p99s,
// the M/M/c and M/G/1 mean waits and M/M/1 at rho = 0.9. The sample sizes
// (25,000 to 250,000 requests per batch) were chosen to meet that before
// any comparison was looked at, and are stated in each test's name.
// The last test shows the checks have power: a server 2 % slower than
// declared, or arrivals that are not Poisson, are rejected.
//
// Time: scenario times are in ms and rates in requests/s, so theory is
// evaluated with rates per millisecond (lambda = rate_qps / 1000).
//
// ARCHSIM_VALIDATION_TABLE=1 prints every comparison as a Markdown table row
// (the table in docs/validation.md is made this way). ARCHSIM_VALIDATION_SEED_OFFSET=n
// adds n to every seed, to see that the checks pass for other seeds too and
// that the errors, in units of SE, spread as the rule assumes.
#include <doctest/doctest.h>

#include "models/simulation/series.h"

namespace models = archsim::models;

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "analysis/queueing.h"
#include "models/simulation/scenario.h"
#include "models/simulation/simulation.h"
#include "sim/histogram.h"

#ifndef ARCHSIM_SOURCE_DIR
#define ARCHSIM_SOURCE_DIR "."
#endif

namespace {

using archsim::spec::Json;
namespace analysis = archsim::analysis;

constexpr int kBatches = 40;
constexpr double kSigmas = 4.0;
constexpr double kMaxRelativeSe = 0.01;
constexpr double kMaxRelativeSeLoose = 0.02;  // see the precision rule above

std::uint64_t seed_offset() {
  const char* v = std::getenv("ARCHSIM_VALIDATION_SEED_OFFSET");
  return v == nullptr ? 0 : std::strtoull(v, nullptr, 10);
}

// A run of a scenario: the file under scenarios/, its overrides and the seed.
struct RunSpec {
  std::string file;
  std::vector<std::string> overrides;
  std::uint64_t seed = 1;  // before seed_offset()

  // The command line that reproduces the run.
  std::string command() const {
    std::string out = "archsim run scenarios/" + file + " --seed " + std::to_string(seed + seed_offset());
    for (const auto& o : overrides) out += " --set '" + o + "'";
    return out + " --json -";
  }
};

// Overrides that make a run of kBatches measured intervals of about
// `per_batch` requests each at `rate_qps`, after one warm-up interval of the
// same length. The interval is a whole number of milliseconds, so that the
// warm-up and the run end fall exactly on interval boundaries.
std::vector<std::string> batches_of(double per_batch, double rate_qps) {
  const auto interval_ms = static_cast<long long>(std::ceil(per_batch / rate_qps * 1000.0));
  // Seconds written as exact decimals, so the reproducing command reads well.
  auto seconds = [](long long ms) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%lld.%03lld", ms / 1000, ms % 1000);
    return std::string(buffer);
  };
  const std::string interval = seconds(interval_ms);
  return {"report_interval_s=" + interval, "warmup_s=" + interval, "duration_s=" + seconds(interval_ms * (kBatches + 1))};
}

std::vector<std::string> concat(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

bool print_table() {
  const char* v = std::getenv("ARCHSIM_VALIDATION_TABLE");
  return v != nullptr && *v != '\0' && std::string(v) != "0";
}

// Runs a scenario in-process and returns its results document. Runs are
// cached, so tests that look at the same run from two sides pay for it once.
const Json& simulate(const RunSpec& run) {
  static std::map<std::string, Json> cache;
  const std::string key = run.command();
  auto it = cache.find(key);
  if (it != cache.end()) return it->second;
  const std::string path = std::string(ARCHSIM_SOURCE_DIR) + "/scenarios/" + run.file;
  const std::string text = read_file(path);
  REQUIRE_MESSAGE(!text.empty(), "cannot read " << path);
  archsim::spec::Errors errors;
  const auto scenario = archsim::models::load_scenario(text, run.overrides, errors);
  REQUIRE_MESSAGE(scenario.has_value(), errors.format(run.file));
  archsim::models::Simulation simulation(*scenario, archsim::models::RunOptions{run.seed + seed_offset(), std::nullopt});
  simulation.run();
  Json results = simulation.results();
  REQUIRE_MESSAGE(results["run"]["completed"].get<bool>(), results["run"]["problem"].get<std::string>());
  if (print_table()) std::fprintf(stderr, "ran: %s\n", key.c_str());
  return cache.emplace(key, std::move(results)).first->second;
}

// The per-interval columns of the measured intervals only. The measured
// intervals must tile the measured window: together they hold exactly the
// requests the summary counts.
struct Batches {
  const Json& results;
  std::vector<std::size_t> measured;  // indices of the measured intervals

  explicit Batches(const Json& r) : results(r) {
    const Json flags = models::series_column(r, "measured");
    for (std::size_t i = 0; i < flags.size(); ++i)
      if (flags[i].get<bool>()) measured.push_back(i);
    std::uint64_t completed = 0;
    const Json per_interval = models::series_column(r, "completed");
    for (std::size_t i : measured) completed += per_interval[i].get<std::uint64_t>();
    CHECK(completed == r["summary"]["completed"].get<std::uint64_t>());
  }
  std::vector<double> column(const Json& values) const {
    std::vector<double> out;
    for (std::size_t i : measured) out.push_back(values[i].get<double>());
    return out;
  }
  std::vector<double> end_to_end(const char* name) const { return column(models::series_column(results, name)); }
  std::vector<double> component(const std::string& component, const char* name) const {
    return column(models::series_column(results, "components." + std::string(component) + "." + name));
  }
};

std::vector<double> times(const std::vector<double>& a, const std::vector<double>& b) {
  std::vector<double> out(a.size());
  for (std::size_t i = 0; i < a.size(); ++i) out[i] = a[i] * b[i];
  return out;
}

struct Estimate {
  double value = 0;
  double se = 0;  // standard error
  std::size_t batches = 0;
};

// The plain mean of equal-weight batch values, SE = sd / sqrt(k).
Estimate mean_of(const std::vector<double>& x) {
  const auto k = static_cast<double>(x.size());
  double sum = 0;
  for (double v : x) sum += v;
  const double mean = sum / k;
  double squares = 0;
  for (double v : x) squares += (v - mean) * (v - mean);
  return {mean, std::sqrt(squares / (k - 1) / k), x.size()};
}

// sum(y) / sum(n) over the batches, with the ratio estimator's SE.
Estimate ratio_of(const std::vector<double>& y, const std::vector<double>& n) {
  const auto k = static_cast<double>(y.size());
  double sum_y = 0, sum_n = 0;
  for (std::size_t i = 0; i < y.size(); ++i) {
    sum_y += y[i];
    sum_n += n[i];
  }
  const double ratio = sum_y / sum_n;
  double squares = 0;
  for (std::size_t i = 0; i < y.size(); ++i) squares += (y[i] - ratio * n[i]) * (y[i] - ratio * n[i]);
  return {ratio, std::sqrt(squares / (k * (k - 1))) / (sum_n / k), y.size()};
}

// The mean of a per-interval mean column weighted by the interval's count:
// the mean over all requests of the measured window. A component's wait
// figures are per request that got a worker in the interval, a count the
// time series does not give; its completions, used instead, differ from it by
// at most the number of workers, under 0.1 % of any batch here.
Estimate weighted_mean(const std::vector<double>& means, const std::vector<double>& counts) {
  return ratio_of(times(means, counts), counts);
}

// Whether an estimate agrees with theory by the tolerance rule.
double tolerance_of(const Estimate& e, double extra) { return kSigmas * e.se + extra; }
bool agrees(double theory, const Estimate& e, double extra = 0) {
  return std::fabs(e.value - theory) <= tolerance_of(e, extra);
}

std::string number(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.5g", v);
  return buffer;
}

// Prints a comparison as a Markdown table row when ARCHSIM_VALIDATION_TABLE
// is set; error, tolerance and SE are relative to the theoretical value.
void print_row(const std::string& what, double theory, const Estimate& e, double tolerance) {
  if (!print_table()) return;
  static bool header = false;
  if (!header) {
    std::printf("| case | theory | simulated | error | tolerance | SE | error / SE |\n");
    std::printf("|---|---:|---:|---:|---:|---:|---:|\n");
    header = true;
  }
  std::printf("| %s | %s | %s | %+.2f %% | ±%.2f %% | %.2f %% | %+.2f |\n", what.c_str(), number(theory).c_str(),
              number(e.value).c_str(), 100 * (e.value - theory) / theory, 100 * tolerance / std::fabs(theory),
              100 * e.se / std::fabs(theory), (e.value - theory) / e.se);
}

// Checks one comparison by the tolerance rule and the precision rule.
// `extra` widens the band by a known bound that is not noise (the
// histogram's resolution).
void expect_agrees(const RunSpec& run, const std::string& what, double theory, const Estimate& e,
                   double max_relative_se = kMaxRelativeSe, double extra = 0) {
  const double tolerance = tolerance_of(e, extra);
  INFO(what << ": theory " << theory << ", simulated " << e.value << " (SE " << e.se << ", " << e.batches
            << " batches), |error| " << std::fabs(e.value - theory) << ", tolerance " << tolerance);
  INFO("reproduce: " << run.command());
  CHECK(e.batches == static_cast<std::size_t>(kBatches));
  CHECK(std::fabs(e.value - theory) <= tolerance);
  CHECK(e.se <= max_relative_se * std::fabs(theory));
  print_row(what, theory, e, tolerance);
}

// The opposite: the simulated model differs from the one theory describes,
// and the same rule must tell them apart.
void expect_rejected(const RunSpec& run, const std::string& what, double theory, const Estimate& e) {
  const double tolerance = tolerance_of(e, 0);
  INFO(what << ": theory " << theory << ", simulated " << e.value << " (SE " << e.se << "), tolerance "
            << tolerance << "; the difference should be far outside it");
  INFO("reproduce: " << run.command());
  CHECK(e.batches == static_cast<std::size_t>(kBatches));
  CHECK(e.se <= kMaxRelativeSe * std::fabs(theory));
  CHECK_FALSE(agrees(theory, e));
  print_row(what + " (must be rejected)", theory, e, tolerance);
}

// ---- The runs -------------------------------------------------------------

// M/M/1 with mu = 1/ms at utilization rho; `requests` measured requests.
RunSpec mm1_run(double rho, double requests, std::uint64_t seed) {
  const double rate = rho * 1000.0;
  std::ostringstream r;
  r << "workloads[0].arrival.rate_qps=" << rate;
  return {"mm1.json", concat({r.str()}, batches_of(requests / kBatches, rate)), seed};
}

// M/M/c with c workers, mu = 1/ms, utilization 0.8.
RunSpec mmc_run(int servers, double requests, std::uint64_t seed) {
  const double rate = 0.8 * servers * 1000.0;
  std::ostringstream r, c;
  r << "workloads[0].arrival.rate_qps=" << rate;
  c << "components[0].workers=" << servers;
  return {"mmc.json", concat({r.str(), c.str()}, batches_of(requests / kBatches, rate)), seed};
}

const RunSpec kMd1{"md1.json", batches_of(2'000'000.0 / kBatches, 800), 31};
const RunSpec kMg1{"mg1-lognormal.json", batches_of(4'000'000.0 / kBatches, 700), 32};
const RunSpec kTandem{"tandem-three-stations.json", batches_of(3'000'000.0 / kBatches, 600), 41};
const RunSpec kMmck{"bounded-queue-mmck.json", batches_of(2'000'000.0 / kBatches, 4400), 61};

}  // namespace

// ---- The checks -----------------------------------------------------------

TEST_CASE("M/M/1 sojourn time is Exp(mu - lambda): mean and p99 at rho = 0.5, 0.8, 0.9 (1, 3 and 10 million requests)") {
  struct Point {
    double rho;
    double requests;
    std::uint64_t seed;
  };
  for (const Point& p : {Point{0.5, 1e6, 11}, Point{0.8, 3e6, 12}, Point{0.9, 1e7, 13}}) {
    const RunSpec run = mm1_run(p.rho, p.requests, p.seed);
    const Json& r = simulate(run);
    const Batches b(r);
    const double lambda = p.rho, mu = 1.0;  // per ms
    const std::string name = "M/M/1 rho = " + number(p.rho);

    const Estimate mean = weighted_mean(b.end_to_end("latency_mean_ms"), b.end_to_end("completed"));
    expect_agrees(run, name + ": mean sojourn (ms)", analysis::mm1(lambda, mu).mean_response, mean,
                  p.rho >= 0.9 ? kMaxRelativeSeLoose : kMaxRelativeSe);

    const double p99_theory = analysis::mm1_response_quantile(lambda, mu, 0.99);
    Estimate p99 = mean_of(b.end_to_end("latency_p99_ms"));
    p99.value = r["summary"]["latency_ms"]["p99"].get<double>();  // the whole run's histogram
    expect_agrees(run, name + ": p99 sojourn (ms)", p99_theory, p99, kMaxRelativeSeLoose,
                  archsim::sim::Histogram::kMaxRelativeError * p99_theory);
  }
}

TEST_CASE("M/M/c matches Erlang C: probability of waiting and mean wait for c = 4 and c = 16 at rho = 0.8 (2 and 4 million requests)") {
  struct Point {
    int servers;
    double requests;
    std::uint64_t seed;
  };
  for (const Point& p : {Point{4, 2e6, 21}, Point{16, 4e6, 22}}) {
    const RunSpec run = mmc_run(p.servers, p.requests, p.seed);
    const Batches b(simulate(run));
    const analysis::QueueMetrics theory = analysis::mmc(0.8 * p.servers, 1.0, p.servers);
    const std::string name = "M/M/" + std::to_string(p.servers) + " rho = 0.8";
    const auto completed = b.component("pool", "completed");
    expect_agrees(run, name + ": P(wait) (Erlang C)", theory.prob_wait,
                  weighted_mean(b.component("pool", "waited_fraction"), completed));
    expect_agrees(run, name + ": mean wait (ms)", theory.mean_wait,
                  weighted_mean(b.component("pool", "wait_mean_ms"), completed), kMaxRelativeSeLoose);
  }
}

TEST_CASE("M/D/1 and lognormal M/G/1 mean waits follow Pollaczek-Khinchine (2 and 4 million requests)") {
  {
    const Batches b(simulate(kMd1));
    const double theory = analysis::md1(0.8, 1.0).mean_wait;
    expect_agrees(kMd1, "M/D/1 rho = 0.8: mean wait (ms)", theory,
                  weighted_mean(b.component("server", "wait_mean_ms"), b.component("server", "completed")));
  }
  {
    const Batches b(simulate(kMg1));
    const double cv = 1.5;
    const double theory = analysis::mg1(0.7, 1.0, 1.0 + cv * cv).mean_wait;
    expect_agrees(kMg1, "M/G/1 lognormal cv = 1.5, rho = 0.7: mean wait (ms)", theory,
                  weighted_mean(b.component("server", "wait_mean_ms"), b.component("server", "completed")),
                  kMaxRelativeSeLoose);
  }
}

TEST_CASE("a tandem of three stations matches the open Jackson network: sojourn and utilizations (3 million requests)") {
  const Json& r = simulate(kTandem);
  const Batches b(r);
  const std::vector<analysis::JacksonStation> stations{{1, 1.0}, {1, 1.0 / 1.25}, {1, 1.0 / 0.8}};
  Eigen::VectorXd external = Eigen::VectorXd::Zero(3);
  external(0) = 0.6;
  Eigen::MatrixXd routing = Eigen::MatrixXd::Zero(3, 3);
  routing(0, 1) = 1;
  routing(1, 2) = 1;
  const analysis::JacksonResult theory = analysis::jackson_open(stations, external, routing);

  expect_agrees(kTandem, "tandem: mean end-to-end sojourn (ms)", theory.mean_sojourn,
                weighted_mean(b.end_to_end("latency_mean_ms"), b.end_to_end("completed")));
  for (int i = 0; i < 3; ++i) {
    const std::string station = "station-" + std::to_string(i + 1);
    expect_agrees(kTandem, "tandem " + station + ": utilization", theory.stations[i].utilization,
                  mean_of(b.component(station, "utilization")));
    expect_agrees(kTandem, "tandem " + station + ": mean time at the station (ms)",
                  theory.stations[i].mean_response,
                  weighted_mean(b.component(station, "latency_mean_ms"), b.component(station, "completed")));
  }
}

TEST_CASE("a closed network of 12 users matches exact MVA: throughput and mean response time (3 million requests)") {
  const std::vector<double> demands{1.0, 0.6, 0.4};  // ms
  const double think_ms = 10.0;
  const int users = 12;
  const analysis::MvaResult theory = analysis::mva(demands, think_ms, users);
  const RunSpec run{"closed-network-mva.json", batches_of(3e6 / kBatches, theory.throughput * 1000.0), 51};
  const Batches b(simulate(run));
  expect_agrees(run, "closed network N = 12: throughput (requests/s)", theory.throughput * 1000.0,
                mean_of(b.end_to_end("throughput_qps")));
  expect_agrees(run, "closed network N = 12: mean response time (ms)", theory.response_time,
                weighted_mean(b.end_to_end("latency_mean_ms"), b.end_to_end("completed")));
  expect_agrees(run, "closed network N = 12: station-1 utilization", theory.utilization[0],
                mean_of(b.component("station-1", "utilization")));
}

TEST_CASE("an M/M/c/K pool rejects the share of arrivals the birth-death chain predicts (c = 4, K = 10 and K = 4, 2 million requests each)") {
  // Rejections are counted by the pool; arrivals by the client (the pool's
  // per-interval arrivals are not in the time series), which sends each
  // request at the instant the pool receives it, over a zero-latency link.
  {
    const Batches b(simulate(kMmck));
    const analysis::FiniteQueueMetrics theory = analysis::mmck(4.4, 1.0, 4, 10);
    expect_agrees(kMmck, "M/M/4/10 offered 1.1: blocking probability", theory.blocking_probability,
                  ratio_of(b.component("pool", "rejected"), b.end_to_end("offered")));
    expect_agrees(kMmck, "M/M/4/10 offered 1.1: mean number inside", theory.mean_in_system,
                  mean_of(b.component("pool", "concurrency_mean")));
  }
  {
    // No waiting room: the Erlang loss system M/M/4/4, blocking = Erlang B.
    const RunSpec run{"bounded-queue-mmck.json",
                      concat({"components[0].queue_capacity=0"}, batches_of(2e6 / kBatches, 4400)), 62};
    const Batches b(simulate(run));
    expect_agrees(run, "M/M/4/4 offered 1.1: blocking probability (Erlang B)", analysis::erlang_b(4, 4.4),
                  ratio_of(b.component("pool", "rejected"), b.end_to_end("offered")));
  }
}

TEST_CASE("utilization is lambda E[S] / c: M/M/1, M/M/16, M/D/1, M/G/1 and carried load in M/M/c/K") {
  struct Point {
    std::string name;
    RunSpec run;
    std::string component;
    double theory;
  };
  const std::vector<Point> points{
      {"M/M/1 rho = 0.8", mm1_run(0.8, 3e6, 12), "server", 0.8},
      {"M/M/16 rho = 0.8", mmc_run(16, 4e6, 22), "pool", 0.8},
      {"M/D/1 rho = 0.8", kMd1, "server", 0.8},
      {"M/G/1 lognormal rho = 0.7", kMg1, "server", 0.7},
      // Only accepted requests are served: lambda (1 - P_block) E[S] / c.
      {"M/M/4/10 offered 1.1", kMmck, "pool", analysis::mmck(4.4, 1.0, 4, 10).utilization},
  };
  for (const Point& p : points) {
    const Batches b(simulate(p.run));
    expect_agrees(p.run, p.name + ": utilization", p.theory, mean_of(b.component(p.component, "utilization")));
  }
}

TEST_CASE("the checks reject a wrong model: a server 2 % slower than declared, and arrivals that are not Poisson (1 million requests each)") {
  // Both runs are compared with M/M/1 at rho = 0.5 and a 1 ms mean service.
  const double theory = analysis::mm1(0.5, 1.0).mean_response;
  {
    // The scenario's service is exponential with mean 1.02 ms (M/M/1 at
    // rho = 0.51: 2.08 ms in the system, 4 % more).
    RunSpec run = mm1_run(0.5, 1e6, 71);
    run.overrides.push_back("components[0].service_time.mean_ms=1.02");
    const Batches b(simulate(run));
    expect_rejected(run, "M/M/1 rho = 0.5 with service mean 1.02 ms: mean sojourn (ms)", theory,
                    weighted_mean(b.end_to_end("latency_mean_ms"), b.end_to_end("completed")));
  }
  {
    // Evenly spaced arrivals at the same rate: D/M/1, 1.26 ms in the system.
    RunSpec run = mm1_run(0.5, 1e6, 72);
    run.overrides.push_back("workloads[0].arrival.type=constant");
    const Batches b(simulate(run));
    expect_rejected(run, "D/M/1 rho = 0.5 (constant arrivals): mean sojourn (ms)", theory,
                    weighted_mean(b.end_to_end("latency_mean_ms"), b.end_to_end("completed")));
  }
}
