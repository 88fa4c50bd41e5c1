#include "cli/replications.h"

#include <algorithm>
#include <atomic>
#include <cassert>
#include <cstdio>
#include <mutex>
#include <thread>
#include <tuple>

#include "analysis/statistics.h"
#include "cli/goals.h"
#include "sim/rng.h"

namespace archsim::cli {

using spec::Json;

std::uint64_t replication_seed(std::uint64_t seed, std::size_t index) {
  std::uint64_t state = seed;
  std::uint64_t value = 0;
  for (std::size_t i = 0; i <= index; ++i) value = sim::splitmix64(state);
  return value >> 11;
}

std::vector<std::uint64_t> replication_seeds(std::uint64_t seed, std::size_t count) {
  std::vector<std::uint64_t> seeds;
  std::uint64_t state = seed;
  for (std::size_t i = 0; i < count; ++i) seeds.push_back(sim::splitmix64(state) >> 11);
  return seeds;
}

unsigned default_jobs() { return std::max(1u, std::thread::hardware_concurrency()); }

namespace {

// Drops the time series of a run that does not need it.
class NoSeries final : public models::SeriesSink {
 public:
  void begin(const std::vector<models::SeriesColumn>&) override {}
  void row(const std::vector<double>&) override {}
};

Json run_task(const RunTask& task, const std::function<bool()>& keep_going) {
  if (keep_going && !keep_going()) return nullptr;
  models::Simulation simulation(*task.scenario, task.options);
  NoSeries discard;
  if (!task.keep_series) simulation.stream_series_to(&discard);
  if (keep_going) simulation.run([&keep_going](sim::Time, sim::Time) { return keep_going(); });
  else simulation.run();
  return simulation.results();
}

}  // namespace

std::vector<Json> run_tasks(const std::vector<RunTask>& tasks, unsigned jobs,
                            const std::function<void(std::size_t done)>& done,
                            const std::function<bool()>& keep_going) {
  std::vector<Json> results(tasks.size());
  std::mutex progress;
  std::size_t finished = 0;
  const auto finish = [&] {
    if (!done) return;
    const std::lock_guard<std::mutex> lock(progress);
    done(++finished);
  };
  const unsigned threads = std::max(1u, std::min<unsigned>(jobs, static_cast<unsigned>(tasks.size())));
  if (threads == 1) {
    for (std::size_t i = 0; i < tasks.size(); ++i) {
      results[i] = run_task(tasks[i], keep_going);
      finish();
    }
    return results;
  }
  std::atomic<std::size_t> next{0};
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t)
    pool.emplace_back([&] {
      for (std::size_t i = next++; i < tasks.size(); i = next++) {
        results[i] = run_task(tasks[i], keep_going);
        finish();
      }
    });
  for (auto& thread : pool) thread.join();
  return results;
}

namespace {

void join(const std::vector<const Json*>& values, Json& mean, Json& half) {
  const Json& first = *values.front();
  const auto kind = [](const Json& v) { return v.is_number() ? Json::value_t::number_float : v.type(); };
  for (const Json* v : values)
    if (kind(*v) != kind(first)) {
      mean = nullptr;
      half = nullptr;
      return;
    }
  if (first.is_number()) {
    std::vector<double> numbers;
    for (const Json* v : values) numbers.push_back(v->get<double>());
    const auto interval = analysis::mean_interval(numbers);
    mean = interval.mean;
    half = interval.half_width;
    return;
  }
  if (first.is_object()) {
    mean = Json::object();
    half = Json::object();
    for (const auto& [key, _] : first.items()) {
      std::vector<const Json*> children;
      for (const Json* v : values)
        if (v->contains(key)) children.push_back(&(*v)[key]);
      if (children.size() < values.size()) {
        mean[key] = nullptr;
        half[key] = nullptr;
      } else {
        join(children, mean[key], half[key]);
      }
    }
    return;
  }
  if (first.is_array()) {
    for (const Json* v : values)
      if (v->size() != first.size()) {
        mean = nullptr;
        half = nullptr;
        return;
      }
    mean = Json::array();
    half = Json::array();
    for (std::size_t i = 0; i < first.size(); ++i) {
      std::vector<const Json*> children;
      for (const Json* v : values) children.push_back(&(*v)[i]);
      Json m, h;
      join(children, m, h);
      mean.push_back(std::move(m));
      half.push_back(std::move(h));
    }
    return;
  }
  const bool same = std::all_of(values.begin(), values.end(), [&](const Json* v) { return *v == first; });
  mean = same ? first : Json(nullptr);
  half = nullptr;
}

}  // namespace

Joined join_figures(const std::vector<const Json*>& documents) {
  assert(documents.size() >= 2);
  Joined joined;
  join(documents, joined.means, joined.half_widths);
  return joined;
}

const std::vector<std::string>& figure_sections() {
  static const std::vector<std::string> sections = {"summary", "operations", "workloads", "components",
                                                    "network", "bottleneck", "faults"};
  return sections;
}

WarmupChoice choose_warmup(const std::vector<Json>& pilot_results, double interval_s) {
  WarmupChoice choice;
  std::vector<double> average;
  for (const auto& results : pilot_results) {
    const Json column = models::series_column(results, "latency_mean_ms");
    if (column.is_null()) continue;
    if (average.empty()) average.assign(column.size(), 0);
    for (std::size_t i = 0; i < std::min(average.size(), column.size()); ++i)
      average[i] += column[i].is_number() ? column[i].get<double>() : 0;
  }
  for (double& v : average) v /= static_cast<double>(pilot_results.size());
  const auto cut = analysis::mser5(average);
  choice.intervals = cut.observations;
  choice.at_limit = cut.batches > 0 && cut.batches == cut.batches_total / 2;
  choice.series_intervals = average.size();
  choice.warmup_s = static_cast<double>(cut.observations) * interval_s;
  return choice;
}

Json replicated_results(const std::vector<Json>& runs, const std::vector<std::uint64_t>& seeds,
                        std::uint64_t base_seed, const Json& warmup) {
  assert(runs.size() >= 2 && runs.size() == seeds.size());
  const Json& first = runs.front();
  Json out = Json::object();
  for (const char* key : {"schema_version", "archsim_version", "scenario"}) out[key] = first[key];
  out["seed"] = base_seed;
  for (const char* key : {"duration_s", "warmup_s", "measured_s"}) out[key] = first[key];
  bool completed = true;
  for (const auto& run : runs) completed = completed && run["run"]["completed"].get<bool>();
  Json replications = Json::object();
  replications["count"] = runs.size();
  replications["confidence"] = 0.95;
  replications["t_quantile"] = analysis::student_t_quantile(0.975, static_cast<std::int64_t>(runs.size()) - 1);
  replications["seeds"] = seeds;
  replications["completed"] = completed;
  replications["warmup"] = warmup;
  out["replications"] = replications;
  out["run"] = Json::object();
  Json means = Json::object(), half_widths = Json::object();
  for (const auto& section : figure_sections()) {
    std::vector<const Json*> documents;
    for (const auto& run : runs)
      if (run.contains(section)) documents.push_back(&run[section]);
    if (documents.size() < runs.size()) continue;
    const Joined joined = join_figures(documents);
    means[section] = joined.means;
    half_widths[section] = joined.half_widths;
  }
  out["mean"] = std::move(means);
  out["ci95"] = std::move(half_widths);
  return out;
}

namespace {

// Every number under `mean`, by its path, with its half-width.
void walk_figures(const Json& mean, const Json& half, const std::string& path,
                  std::vector<std::tuple<std::string, double, std::optional<double>>>& rows) {
  if (mean.is_number()) {
    rows.emplace_back(path, mean.get<double>(),
                      half.is_number() ? std::optional<double>(half.get<double>()) : std::nullopt);
  } else if (mean.is_object()) {
    for (const auto& [key, value] : mean.items())
      walk_figures(value, half.is_object() && half.contains(key) ? half[key] : Json(nullptr),
                   path.empty() ? key : path + "." + key, rows);
  } else if (mean.is_array()) {
    for (std::size_t i = 0; i < mean.size(); ++i)
      walk_figures(mean[i], half.is_array() && i < half.size() ? half[i] : Json(nullptr), path + "." + std::to_string(i),
                   rows);
  }
}

std::string number_text(double value) { return Json(value).dump(); }

}  // namespace

std::string replicated_csv(const Json& replicated) {
  std::vector<std::tuple<std::string, double, std::optional<double>>> rows;
  walk_figures(replicated["mean"], replicated["ci95"], "", rows);
  std::string out = "figure,mean,ci95_half_width\n";
  for (const auto& [path, mean, half] : rows)
    out += path + "," + number_text(mean) + "," + (half ? number_text(*half) : "") + "\n";
  return out;
}

std::string format_replicated_report(const Json& replicated) {
  const Json& r = replicated["replications"];
  const Json& mean = replicated["mean"];
  const Json& ci = replicated["ci95"];
  std::string out = "archsim " + replicated["archsim_version"].get<std::string>() + " · scenario \"" +
                    replicated["scenario"].get<std::string>() + "\" · " + std::to_string(r["count"].get<int>()) +
                    " replications from seed " + std::to_string(replicated["seed"].get<std::uint64_t>());
  if (r.value("interrupted", false))
    out += " (interrupted: " + std::to_string(r["count"].get<int>()) + " of " +
           std::to_string(r["requested"].get<int>()) + " ran to their end)";
  out += "\n";
  const Json& w = r["warmup"];
  out += "measured " + short_number(replicated["measured_s"].get<double>()) + " s of each run after a warm-up of " +
         short_number(replicated["warmup_s"].get<double>()) + " s";
  if (w["method"] == "mser5")
    out += ", chosen by MSER-5 on latency_mean_ms (" + std::to_string(w["intervals"].get<std::size_t>()) + " of " +
           std::to_string(w["series_intervals"].get<std::size_t>()) + " intervals)";
  else out += " (the scenario's warmup_s)";
  out += "\nmean ± half-width of the 95 % confidence interval (Student t, " + std::to_string(r["count"].get<int>() - 1) +
         " degrees of freedom)\n\n";
  std::vector<std::tuple<std::string, std::string>> lines;
  const auto add = [&](const std::string& label, std::initializer_list<const char*> keys) {
    const Json* m = &mean;
    const Json* h = &ci;
    for (const char* key : keys) {
      if (!m->is_object() || !m->contains(key)) return;
      m = &(*m)[key];
      h = h->is_object() && h->contains(key) ? &(*h)[key] : nullptr;
    }
    if (!m->is_number()) return;
    std::string text = short_number(m->get<double>());
    if (h && h->is_number()) text += " ± " + short_number(h->get<double>());
    lines.emplace_back(label, text);
  };
  add("throughput_qps", {"summary", "throughput_qps"});
  add("success_ratio", {"summary", "success_ratio"});
  if (mean["summary"].contains("failed"))
    for (const auto& [cause, _] : mean["summary"]["failed"].items())
      add("failed." + cause, {"summary", "failed", cause.c_str()});
  for (const char* statistic : {"mean", "p50", "p90", "p99", "p999", "max"})
    add(std::string("latency_ms.") + statistic, {"summary", "latency_ms", statistic});
  if (mean.contains("operations") && mean["operations"].is_object())
    for (const auto& [name, _] : mean["operations"].items()) {
      add("operations." + name + ".throughput_qps", {"operations", name.c_str(), "throughput_qps"});
      add("operations." + name + ".p99_ms", {"operations", name.c_str(), "latency_ms", "p99"});
    }
  if (mean.contains("components") && mean["components"].is_object())
    for (const auto& [name, _] : mean["components"].items()) {
      add("components." + name + ".throughput_qps", {"components", name.c_str(), "throughput_qps"});
      add("components." + name + ".utilization", {"components", name.c_str(), "utilization"});
      add("components." + name + ".queue_length.mean", {"components", name.c_str(), "queue_length", "mean"});
      add("components." + name + ".p99_ms", {"components", name.c_str(), "latency_ms", "p99"});
    }
  std::size_t width = 0;
  for (const auto& [label, _] : lines) width = std::max(width, label.size());
  for (const auto& [label, text] : lines) out += "  " + label + std::string(width + 2 - label.size(), ' ') + text + "\n";
  out += "\nEvery figure, with its interval: --json FILE (mean, ci95) or --csv DIR (replications.csv).\n";
  return out;
}

}  // namespace archsim::cli
