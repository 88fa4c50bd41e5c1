// bench/archsim_bench.cpp: how fast archsim simulates, in events per second
// and completed requests per second of wall time, with the process's peak
// memory. A benchmark, not a test: it prints figures and judges nothing.
//
//   archsim_bench [--model mmc|web_tier|cache_aside] [--requests N] [--intervals K] [--scenarios DIR] [--seed S]
//   archsim_bench --model cache_store|cache_store_memory [options]   (bench/cache_store_bench.cpp)
//
// The time series has one row per report interval (1 s by default); it is
// streamed out as the run goes (here, dropped), so memory does not grow with
// the simulated time. --intervals K sets the interval to duration / K, to
// compare runs of different lengths with the same number of rows.
// Each model is a scenario file (scenarios/mmc.json, scenarios/
// load-balanced-web-tier.json, bench/cache-aside.json) run long enough for
// about N requests to complete; wall time covers the run only, not reading
// the scenario; CPU time (the process's) is printed beside it, for a machine
// shared with other work. --scenarios DIR reads every model's file from DIR instead.
// One JSON line per model goes to standard output; a model with a cache adds
// the cache's hit rate (from a cold start: no warm-up). Peak memory is the process's
// maximum resident set, so measure one size per process to compare sizes
// (bench/compare-with-simpy does).
#include <sys/resource.h>
#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "bench/cache_store_bench.h"
#include "models/simulation/scenario.h"
#include "models/simulation/simulation.h"

namespace {

struct Model {
  std::string name;
  std::string file;
  double rate_qps;  // the scenario's arrival rate, to size the run
  std::string directory;  // where the file is
  std::string cache;      // the component whose hit rate is printed; empty: none
};

// The process's CPU time in seconds: unlike wall time, it leaves out the time
// the process waits for a core on a shared machine.
double cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

// The process's peak resident memory (VmHWM). getrusage's ru_maxrss would do,
// but it survives exec: a child of a large parent reports the parent's peak.
long peak_rss_kib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::atol(line.c_str() + 6);
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

// `, "hit_rate": H` of the named cache component, or nothing.
std::string cache_figures(const archsim::spec::Json& results, const std::string& cache) {
  if (cache.empty()) return "";
  char text[64];
  std::snprintf(text, sizeof text, ", \"hit_rate\": %.6f", results["components"][cache]["hit_rate"].get<double>());
  return text;
}

int run(const Model& model, const std::string& scenarios, double requests, double intervals, const std::string& seed) {
  const std::string directory = scenarios.empty() ? model.directory : scenarios;
  std::ifstream file(directory + "/" + model.file);
  if (!file) {
    std::cerr << "archsim_bench: cannot read " << directory << "/" << model.file << "\n";
    return 2;
  }
  std::stringstream text;
  text << file.rdbuf();
  archsim::spec::Errors errors;
  // No warm-up: every completed request counts, as in the peer model.
  const double duration = requests / model.rate_qps;
  const double interval = intervals > 0 ? duration / intervals : 1.0;
  std::vector<std::string> settings = {"warmup_s=0", "duration_s=" + std::to_string(duration),
                                       "report_interval_s=" + std::to_string(interval)};
  if (!seed.empty()) settings.push_back("seed=" + seed);
  auto scenario = archsim::models::load_scenario(text.str(), settings, errors);
  if (!scenario) {
    std::cerr << errors.format(model.file);
    return 1;
  }
  archsim::models::Simulation simulation(*scenario, {});
  // The series goes where the command line sends it (a file), not into
  // memory: here it is dropped as it comes, which costs what forming the
  // rows costs and keeps memory independent of the run's length.
  struct Drop final : archsim::models::SeriesSink {
    void begin(const std::vector<archsim::models::SeriesColumn>&) override {}
    void row(const std::vector<double>&) override {}
  } drop;
  simulation.stream_series_to(&drop);
  const double cpu_start = cpu_seconds();
  const auto start = std::chrono::steady_clock::now();
  simulation.run();
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double cpu = cpu_seconds() - cpu_start;
  const auto results = simulation.results();
  const auto completed = results["summary"]["completed"].get<std::uint64_t>();
  const auto events = simulation.events();
  std::printf(
      "{\"engine\": \"archsim\", \"model\": \"%s\", \"completed\": %llu, \"events\": %llu, \"simulated_s\": %.3f, "
      "\"wall_s\": %.6f, \"cpu_s\": %.6f, \"events_per_s\": %.0f, \"requests_per_s\": %.0f, "
      "\"requests_per_cpu_s\": %.0f, \"mean_response_ms\": %.6f, "
      "\"report_interval_s\": %.3f, \"peak_rss_mib\": %.1f%s}\n",
      model.name.c_str(), static_cast<unsigned long long>(completed), static_cast<unsigned long long>(events), duration,
      wall, cpu, static_cast<double>(events) / wall, static_cast<double>(completed) / wall, static_cast<double>(completed) / cpu,
      results["summary"]["latency_ms"]["mean"].get<double>(), interval, static_cast<double>(peak_rss_kib()) / 1024.0,
      cache_figures(results, model.cache).c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // The cache store's micro-benchmark has options of its own.
  if (argc >= 3 && std::string(argv[1]) == "--model" &&
      (std::string(argv[2]) == "cache_store" || std::string(argv[2]) == "cache_store_memory"))
    return archsim::bench::cache_store_main(argv[2], argc - 3, argv + 3);
  const std::string scenarios = ARCHSIM_SOURCE_DIR "/scenarios", bench = ARCHSIM_SOURCE_DIR "/bench";
  const std::vector<Model> models = {{"mmc", "mmc.json", 12800, scenarios, ""},
                                     {"web_tier", "load-balanced-web-tier.json", 4000, scenarios, ""},
                                     {"cache_aside", "cache-aside.json", 4000, bench, "cache"}};
  std::string which = "all";
  std::string directory;  // empty: each model's own
  std::string seed;       // empty: the scenario's
  double requests = 1e6;
  double intervals = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if ((arg == "--model" || arg == "--requests" || arg == "--scenarios" || arg == "--intervals" || arg == "--seed") &&
        i + 1 < argc) {
      const std::string value = argv[++i];
      if (arg == "--model") which = value;
      if (arg == "--scenarios") directory = value;
      if (arg == "--requests") requests = std::atof(value.c_str());
      if (arg == "--intervals") intervals = std::atof(value.c_str());
      if (arg == "--seed") seed = value;
    } else {
      std::cerr << "usage: archsim_bench [--model mmc|web_tier|cache_aside|all] [--requests N] [--intervals K] "
                   "[--scenarios DIR] [--seed S]\n"
                   "       archsim_bench --model cache_store|cache_store_memory [options]\n";
      return 2;
    }
  }
  if (!(requests >= 1 && requests <= 1e10)) {
    std::cerr << "archsim_bench: --requests must be between 1 and 1e10\n";
    return 2;
  }
  bool found = false;
  for (const auto& model : models) {
    if (which != "all" && which != model.name) continue;
    found = true;
    if (const int code = run(model, directory, requests, intervals, seed)) return code;
  }
  if (!found) {
    std::cerr << "archsim_bench: unknown model " << which << " (mmc, web_tier, cache_aside, all)\n";
    return 2;
  }
  return 0;
}
