// bench/archsim_bench.cpp: how fast archsim simulates, in events per second
// and completed requests per second of wall time, with the process's peak
// memory. A benchmark, not a test: it prints figures and judges nothing.
//
//   archsim_bench [--model mmc|web_tier|cache_aside|resilience|hedging|bandwidth|broker|cdn|all] [--requests N] [--intervals K]
//                 [--scenarios DIR] [--seed S]
//   archsim_bench --model cache_store|cache_store_memory [options]   (bench/cache_store_bench.cpp)
//
// The time series has one row per report interval (1 s by default); it is
// streamed out as the run goes (here, dropped), so memory does not grow with
// the simulated time. --intervals K sets the interval to duration / K, to
// compare runs of different lengths with the same number of rows.
// Each model is a scenario file (scenarios/mmc.json, scenarios/
// load-balanced-web-tier.json, bench/cache-aside.json, bench/resilience.json,
// scenarios/hedged-requests.json, bench/broker.json,
// scenarios/cdn-edge-failover.json) run long enough for about N requests to complete; wall
// time covers the run only, not reading the scenario; CPU time (the
// process's) is printed beside it, for a machine shared with other work.
// --scenarios DIR reads every model's file from DIR instead. A file's fault
// timeline is stated for its own duration_s and scaled with the run (an
// action from 20 % to 40 % of the file's run stays at 20 % to 40 % of this
// one), so every size sees the same faults.
// One JSON line per model goes to standard output; a model with a cache (or
// a CDN) adds its hit rate (from a cold start: no warm-up), one with a broker the
// messages its consumer group acknowledged and those per second (each
// request publishes one message, so N requests are N messages). Peak memory is the process's
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
  std::string broker;     // the broker whose group's acknowledgements are printed; empty: none
  std::string acknowledged;  // that group's figure, TOPIC.SERVICE.acknowledged
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

// `, "messages": M, "messages_per_s": R` of the model's consumer group, or nothing.
std::string broker_figures(const archsim::spec::Json& results, const Model& model, double wall, double cpu) {
  if (model.broker.empty()) return "";
  const auto acknowledged = results["components"][model.broker][model.acknowledged].get<std::uint64_t>();
  char text[128];
  std::snprintf(text, sizeof text, ", \"messages\": %llu, \"messages_per_s\": %.0f, \"messages_per_cpu_s\": %.0f",
                static_cast<unsigned long long>(acknowledged), static_cast<double>(acknowledged) / wall,
                static_cast<double>(acknowledged) / cpu);
  return text;
}

// `--set` overrides that move the file's fault timeline onto a run of
// `duration` seconds: every at_s and until_s times duration / the file's duration_s.
std::vector<std::string> scaled_faults(const std::string& text, double duration) {
  std::vector<std::string> settings;
  const auto config = archsim::spec::Json::parse(text, nullptr, false);
  if (config.is_discarded() || !config.is_object() || !config.contains("faults") ||
      !config["faults"].contains("timeline") || !config.contains("duration_s") || !config["duration_s"].is_number())
    return settings;  // the scenario's own checks say what is wrong, if anything
  const double scale = duration / config["duration_s"].get<double>();
  const auto& timeline = config["faults"]["timeline"];
  for (std::size_t i = 0; i < timeline.size(); ++i)
    for (const char* field : {"at_s", "until_s"})
      if (timeline[i].contains(field) && timeline[i][field].is_number()) {
        std::string setting = "faults.timeline[";
        setting += std::to_string(i);
        setting += "].";
        setting += field;
        setting += "=";
        setting += std::to_string(timeline[i][field].get<double>() * scale);
        settings.push_back(setting);
      }
  return settings;
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
  for (auto& setting : scaled_faults(text.str(), duration)) settings.push_back(std::move(setting));
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
      "\"report_interval_s\": %.3f, \"peak_rss_mib\": %.1f%s%s}\n",
      model.name.c_str(), static_cast<unsigned long long>(completed), static_cast<unsigned long long>(events), duration,
      wall, cpu, static_cast<double>(events) / wall, static_cast<double>(completed) / wall, static_cast<double>(completed) / cpu,
      results["summary"]["latency_ms"]["mean"].get<double>(), interval, static_cast<double>(peak_rss_kib()) / 1024.0,
      cache_figures(results, model.cache).c_str(), broker_figures(results, model, wall, cpu).c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // The cache store's micro-benchmark has options of its own.
  if (argc >= 3 && std::string(argv[1]) == "--model" &&
      (std::string(argv[2]) == "cache_store" || std::string(argv[2]) == "cache_store_memory"))
    return archsim::bench::cache_store_main(argv[2], argc - 3, argv + 3);
  const std::string scenarios = ARCHSIM_SOURCE_DIR "/scenarios", bench = ARCHSIM_SOURCE_DIR "/bench";
  const std::vector<Model> models = {{"mmc", "mmc.json", 12800, scenarios, "", "", ""},
                                     {"web_tier", "load-balanced-web-tier.json", 4000, scenarios, "", "", ""},
                                     {"cache_aside", "cache-aside.json", 4000, bench, "cache", "", ""},
                                     {"resilience", "resilience.json", 2000, bench, "", "", ""},
                                     {"hedging", "hedged-requests.json", 4000, scenarios, "", "", ""},
                                     {"bandwidth", "network-bound-media.json", 3600, scenarios, "", "", ""},
                                     {"broker", "broker.json", 10000, bench, "", "broker", "events.consumers.acknowledged"},
                                     {"cdn", "cdn-edge-failover.json", 2000, scenarios, "cdn", "", ""}};
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
      const bool help = arg == "--help" || arg == "-h";
      (help ? std::cout : std::cerr)
          << "usage: archsim_bench [--model mmc|web_tier|cache_aside|resilience|hedging|bandwidth|broker|cdn|all] [--requests N] "
             "[--intervals K] [--scenarios DIR] [--seed S]\n"
             "       archsim_bench --model cache_store|cache_store_memory [options]\n";
      return help ? 0 : 2;
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
    std::cerr << "archsim_bench: unknown model " << which << " (mmc, web_tier, cache_aside, resilience, hedging, bandwidth, broker, cdn, all)\n";
    return 2;
  }
  return 0;
}
