#include "cli/estimate.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <vector>

#include "cli/report.h"
#include "models/format/params.h"

namespace archsim::cli {

using spec::Json;

namespace {

const char* kUnitsNote =
    "decimal units: 1 kB = 1,000 bytes, 1 MB = 10^6, 1 GB = 10^9, 1 TB = 10^12, 1 PB = 10^15; a day has 86,400 s "
    "and a year 365 days";
// The same on two lines, under a heading.
const char* kUnitsLines =
    "Decimal units: 1 kB = 1,000 bytes, 1 MB = 10^6, 1 GB = 10^9, 1 TB = 10^12, 1 PB = 10^15;\n"
    "a day has 86,400 s and a year 365 days.\n";

// A figure's value in JSON: a whole number as an integer, as it was counted.
Json number_json(double v) {
  if (v == std::floor(v) && std::fabs(v) < 9007199254740992.0) return Json(static_cast<std::int64_t>(v));
  return Json(v);
}

// `value` with every whole number written as an integer (1e6 read from a
// flag is 1000000, not 1000000.0).
Json tidy_numbers(Json value) {
  if (value.is_number_float()) return number_json(value.get<double>());
  if (value.is_structured())
    for (auto& item : value) item = tidy_numbers(item);
  return value;
}

// Commas between groups of three digits, one decimal: request rates.
std::string rate(double v) {
  char buffer[400];
  std::snprintf(buffer, sizeof buffer, "%.1f", v);
  std::string text = buffer;
  const std::size_t end = text.find('.');
  std::string out;
  for (std::size_t i = 0; i < end; ++i) {
    if (i > 0 && (end - i) % 3 == 0) out += ',';
    out += text[i];
  }
  return out + text.substr(end);
}

// A share as a percentage to three significant digits: "20%", "69.4%".
std::string percent(double fraction) {
  std::string text = analysis::format_quantity(100 * fraction);
  if (text.find('.') != std::string::npos && text.size() > 4) {
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%.1f", 100 * fraction);
    text = buffer;
  }
  return text + "%";
}

std::string bytes_per_s(double v) {
  std::string bits = analysis::format_bytes(8 * v);
  bits.pop_back();  // "B"
  return analysis::format_bytes(v) + "/s (" + bits + "bit/s)";
}

// Tables that share the width of their first column: labels on the left,
// figures right-aligned under their headers.
class Tables {
 public:
  void table(std::string title, std::vector<std::string> headers) {
    tables_.push_back({std::move(title), std::move(headers), {}});
  }
  void row(std::string label, std::vector<std::string> cells) {
    tables_.back().rows.push_back({"  " + std::move(label), std::move(cells)});
  }
  std::string write() const {
    std::size_t label_cells = 0;
    for (const auto& t : tables_) {
      label_cells = std::max(label_cells, display_width(t.title));
      for (const auto& r : t.rows) label_cells = std::max(label_cells, display_width(r.label));
    }
    std::string out;
    for (const auto& t : tables_) {
      std::vector<std::size_t> widths;
      for (std::size_t i = 0; i < t.headers.size(); ++i) {
        std::size_t w = display_width(t.headers[i]);
        for (const auto& r : t.rows) w = std::max(w, display_width(r.cells[i]));
        widths.push_back(w);
      }
      auto line = [&](const std::string& label, const std::vector<std::string>& cells) {
        std::string text = label + std::string(label_cells - display_width(label), ' ');
        for (std::size_t i = 0; i < cells.size(); ++i)
          text += "   " + std::string(widths[i] - display_width(cells[i]), ' ') + cells[i];
        out += text + "\n";
      };
      line(t.title, t.headers);
      for (const auto& r : t.rows) line(r.label, r.cells);
      out += "\n";
    }
    return out;
  }

 private:
  struct Row {
    std::string label;
    std::vector<std::string> cells;
  };
  struct Table {
    std::string title;
    std::vector<std::string> headers;
    std::vector<Row> rows;
  };
  std::vector<Table> tables_;
};

std::string plural(double n, const std::string& word) { return analysis::format_quantity(n) + " " + word + (n == 1 ? "" : "s"); }

// The starting scenario's fixed parts, in milliseconds: what its numbers are
// made of besides the estimate. Each hop of the network costs kHopMs one way.
constexpr double kHopMs = 0.5;
constexpr double kCacheMs = 0.1;  // a lookup, a fill or a delete: a Redis-like in-memory operation
constexpr double kDatabaseReadMs = 2;
constexpr double kDatabaseWriteMs = 5;
// The key space is scaled down to this many keys (the real one may hold
// billions of objects); the cache holds the hot fraction of them.
constexpr std::int64_t kKeys = 100'000;
constexpr double kZipfExponent = 1.0;
// A run measures about this many requests at most: the duration shrinks
// from 60 s for a high peak rate.
constexpr double kRequestsPerRun = 3.6e6;
constexpr std::int64_t kMaxWorkers = 100'000;
constexpr std::int64_t kMaxReplicas = 10'000;
constexpr std::int64_t kMinWorkersPerServer = 8;

Json constant_ms(double ms) { return Json{{"type", "constant"}, {"value_ms", ms}}; }
Json exponential_ms(double ms) { return Json{{"type", "exponential"}, {"mean_ms", ms}}; }

// Workers enough to carry `work_s` seconds of work a second with none busier
// than `utilization` on average.
std::int64_t workers_for(double work_s, double utilization) {
  return std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil(work_s / utilization)));
}

}  // namespace

std::string format_estimate(const analysis::Estimate& e, const analysis::EstimateInput& in) {
  using analysis::format_bytes;
  using analysis::format_quantity;
  std::string out = "Estimate for " + plural(e.at("daily_active_users"), "daily active user") + " × " +
                    plural(in.requests_per_user_per_day, "request") + " a day";
  if (in.monthly_active_users)
    out += " (" + format_quantity(*in.monthly_active_users) + " monthly × " + format_quantity(*in.daily_active_share) + ")";
  out += "\n" + std::string(kUnitsLines) + "\n";

  Tables tables;
  tables.table("Requests/s", {"average", "peak (× " + format_quantity(in.peak_to_average) + ")"});
  tables.row("all", {rate(e.at("average_qps")), rate(e.at("peak_qps"))});
  tables.row("reads", {rate(e.at("average_read_qps")), rate(e.at("peak_read_qps"))});
  tables.row("writes", {rate(e.at("average_write_qps")), rate(e.at("peak_write_qps"))});
  tables.table("Storage", {"per day", "over " + plural(in.retention_years, "year")});
  tables.row("objects", {format_bytes(e.at("object_storage_per_day_bytes")),
                         format_bytes(e.at("object_storage_over_retention_bytes"))});
  tables.row("media", {format_bytes(e.at("media_storage_per_day_bytes")),
                       format_bytes(e.at("media_storage_over_retention_bytes"))});
  tables.row("total", {format_bytes(e.at("storage_per_day_bytes")), format_bytes(e.at("storage_over_retention_bytes"))});
  tables.table("Bandwidth", {"average", "peak"});
  tables.row("in (writes)", {bytes_per_s(e.at("bandwidth_in_average_bytes_per_s")),
                             bytes_per_s(e.at("bandwidth_in_peak_bytes_per_s"))});
  tables.row("out (reads)", {bytes_per_s(e.at("bandwidth_out_average_bytes_per_s")),
                             bytes_per_s(e.at("bandwidth_out_peak_bytes_per_s"))});
  out += tables.write();

  out += "Cache memory: " + format_bytes(e.at("cache_memory_bytes")) + " (" + percent(in.hot_fraction) +
         " of a day's reads of " + format_bytes(in.object_size_bytes) + " objects)\n";
  if (in.server_capacity_qps) {
    out += "Servers: " + format_quantity(e.at("servers_needed")) + " of " + format_quantity(*in.server_capacity_qps) +
           " requests/s each, " + percent(e.at("server_utilization_at_peak")) + " busy at the peak (at most " +
           percent(in.server_utilization_max) + ")\n";
  } else {
    out += "Servers: not estimated (give server_capacity_qps, the requests one server handles per second)\n";
  }
  out += "\nWith --steps, the arithmetic of each figure (docs/estimate.md).\n";
  return out;
}

std::string format_estimate_steps(const analysis::Estimate& estimate) {
  return "Step by step\n" + std::string(kUnitsLines) + "\n" + analysis::format_steps(estimate);
}

Json estimate_figures(const analysis::Estimate& estimate) {
  Json figures = Json::object();
  for (const auto& f : estimate.figures) figures[f.name] = Json{{"value", number_json(f.value)}, {"unit", f.unit}};
  return figures;
}

Json estimate_document(const analysis::Estimate& estimate, const Json& section) {
  Json doc = Json::object();
  doc["archsim_version"] = ARCHSIM_VERSION;
  doc["units"] = kUnitsNote;
  doc["inputs"] = tidy_numbers(section);
  doc["figures"] = estimate_figures(estimate);
  Json steps = Json::array();
  for (const auto& s : estimate.steps)
    steps.push_back(Json{{"figure", s.figure},
                         {"label", s.label},
                         {"formula", s.formula},
                         {"numbers", s.numbers},
                         {"value", number_json(s.value)},
                         {"unit", s.unit}});
  doc["steps"] = steps;
  return doc;
}

std::optional<Json> starting_scenario(const analysis::Estimate& e, const models::EstimateSection& section,
                                      const Json& section_json, std::string& problem) {
  const analysis::EstimateInput& in = section.input;
  if (!in.server_capacity_qps) {
    problem = "--scenario needs server_capacity_qps: the scenario's pool of servers is sized by the servers needed";
    return std::nullopt;
  }
  const double peak = e.at("peak_qps");
  const double peak_reads = e.at("peak_read_qps");
  const double peak_writes = e.at("peak_write_qps");
  const double capacity = *in.server_capacity_qps;
  const double utilization = in.server_utilization_max;
  if (peak > models::kMaxRateQps) {
    problem = "--scenario: a peak of " + analysis::format_quantity(peak) +
              " requests/s is more than one workload sends (at most " + analysis::format_quantity(models::kMaxRateQps) +
              "); write a scenario for a part of the traffic";
    return std::nullopt;
  }
  if (e.at("servers_needed") > static_cast<double>(kMaxReplicas)) {
    problem = "--scenario: the estimate needs " + analysis::format_quantity(e.at("servers_needed")) +
              " servers, and a service holds at most " + analysis::format_quantity(kMaxReplicas) +
              " replicas: raise server_capacity_qps, or write a scenario for a part of the traffic";
    return std::nullopt;
  }
  const auto servers = static_cast<std::int64_t>(e.at("servers_needed"));
  const bool reads = peak_reads > 0;
  const double read_share = peak_reads / peak;

  // The time a request holds an app worker while it waits on its calls, at
  // their slowest: a read that misses the cache looks up, reads the database
  // and fills the cache; a write writes the database and deletes the key
  // from the cache. Each call is two hops and the callee's time, queueing
  // not counted.
  const double read_calls_ms = 3 * 2 * kHopMs + 2 * kCacheMs + kDatabaseReadMs;
  const double write_calls_ms = 2 * kHopMs + kDatabaseWriteMs + (reads ? 2 * kHopMs + kCacheMs : 0);
  const double calls_ms = read_share * read_calls_ms + (1 - read_share) * write_calls_ms;
  // A server of W workers completes `capacity` requests a second at full load
  // when each holds a worker W / capacity: its compute is that less the
  // calls' time, and W is large enough that the compute is at least the calls.
  const std::int64_t workers = std::max<std::int64_t>(
      kMinWorkersPerServer, static_cast<std::int64_t>(std::ceil(2 * capacity * calls_ms / 1000)));
  if (workers > kMaxWorkers) {
    problem = "--scenario: a server of " + analysis::format_quantity(capacity) +
              " requests/s would need more than " + analysis::format_quantity(kMaxWorkers) +
              " workers in the starting scenario; give a smaller server_capacity_qps";
    return std::nullopt;
  }
  const double compute_ms = 1000.0 * static_cast<double>(workers) / capacity - calls_ms;
  // At least 0.001 requests/s a server: 8 workers hold a request at most
  // 8,000 s, within a distribution's day.
  assert(compute_ms <= models::kMaxMilliseconds);

  // The cache and the database, sized for the worst case: every read misses.
  const std::int64_t cache_workers = workers_for((2 * peak_reads + peak_writes) * kCacheMs / 1000, utilization);
  const std::int64_t database_workers =
      workers_for((peak_reads * kDatabaseReadMs + peak_writes * kDatabaseWriteMs) / 1000, utilization);
  if (cache_workers > kMaxWorkers || database_workers > kMaxWorkers) {
    problem = "--scenario: the peak of " + analysis::format_quantity(peak) +
              " requests/s needs more workers than one cache or database holds in the starting scenario";
    return std::nullopt;
  }
  const std::int64_t cache_keys =
      std::clamp<std::int64_t>(std::llround(in.hot_fraction * static_cast<double>(kKeys)), 1, kKeys);

  const double duration = std::clamp(std::floor(kRequestsPerRun / peak), 2.0, 60.0);
  const double warmup = std::round(duration / 6 * 10) / 10;

  Json operations = Json::array();
  if (reads) operations.push_back(Json{{"name", "read"}, {"weight", number_json(in.reads_per_write)}});
  operations.push_back(Json{{"name", "write"}, {"weight", 1}, {"access", "write"}});

  Json handlers = Json::object();
  if (reads)
    handlers["read"] = Json::array(
        {Json{{"compute", exponential_ms(compute_ms)}},
         Json{{"call", "cache"},
              {"on_miss", Json::array({Json{{"call", "db"}}, Json{{"call", "cache"}, {"access", "write"}}})}}});
  Json write_steps = Json::array({Json{{"compute", exponential_ms(compute_ms)}}, Json{{"call", "db"}}});
  if (reads) write_steps.push_back(Json{{"call", "cache"}, {"access", "delete"}});
  handlers["write"] = write_steps;

  Json components = Json::array();
  components.push_back(Json{{"type", "load_balancer"}, {"name", "lb"}, {"backend", "app"}, {"policy", "round_robin"}});
  components.push_back(Json{{"type", "service"},
                            {"name", "app"},
                            {"replicas", servers},
                            {"workers", workers},
                            {"queue_capacity", 1000},
                            {"handlers", handlers}});
  if (reads)
    components.push_back(Json{{"type", "cache"},
                              {"name", "cache"},
                              {"workers", cache_workers},
                              {"capacity_keys", cache_keys},
                              {"eviction", "lru"},
                              {"hit_time", constant_ms(kCacheMs)}});
  components.push_back(Json{{"type", "database"},
                            {"name", "db"},
                            {"workers", database_workers},
                            {"queue_capacity", 1000},
                            {"read_time", exponential_ms(kDatabaseReadMs)},
                            {"write_time", exponential_ms(kDatabaseWriteMs)}});

  Json estimate = section_json;
  estimate["server_pool"] = "app";

  using analysis::format_bytes;
  using analysis::format_quantity;
  std::string description =
      "A starting scenario written by archsim estimate. The estimate's peak of " + rate(peak) + " requests/s (" +
      percent(read_share) + " reads) comes from users through a load balancer to " + plural(static_cast<double>(servers), "app server") +
      " of " + plural(static_cast<double>(workers), "worker") + ", each server completing " + format_quantity(capacity) +
      " requests/s at full load: a request holds a worker " + format_quantity(1000.0 * static_cast<double>(workers) / capacity) +
      " ms on average when its calls are at their slowest (a compute step, the rest waiting on the calls). ";
  if (reads)
    description += "A read looks its key up in a cache holding " + format_quantity(static_cast<double>(cache_keys)) +
                   " of the " + format_quantity(kKeys) + " keys (the hot fraction " + format_quantity(in.hot_fraction) +
                   "; the estimate's cache memory for the real key space is " + format_bytes(e.at("cache_memory_bytes")) +
                   "), and on a miss reads the database and fills the cache; a write goes to the database and deletes "
                   "the key from the cache. Keys are drawn from a Zipf popularity (exponent 1) over a key space scaled "
                   "down to " + format_quantity(kKeys) + " keys. ";
  else
    description += "Every request writes the database. ";
  description += "The cache and the database are sized to run at most " + percent(utilization) +
                 " busy if every read missed the cache; each hop costs 0.5 ms one way. Change it to your design: "
                 "docs/estimate.md says how each number came.";

  Json scenario = Json::object();
  scenario["name"] = "sized-by-estimate";
  scenario["description"] = description;
  scenario["seed"] = 1;
  scenario["duration_s"] = number_json(duration);
  scenario["warmup_s"] = number_json(warmup);
  scenario["network"] = Json{{"hop_latency", constant_ms(kHopMs)}};
  scenario["workloads"] = Json::array({Json{{"name", "users"},
                                            {"target", "lb"},
                                            {"arrival", Json{{"type", "poisson"}, {"rate_qps", peak}}},
                                            {"operations", operations},
                                            {"keys", Json{{"count", kKeys},
                                                          {"popularity", Json{{"type", "zipf"}, {"exponent", kZipfExponent}}}}}}});
  scenario["components"] = components;
  scenario["estimate"] = estimate;
  return tidy_numbers(scenario);
}

Json run_estimate(const Json& config) {
  if (!config.contains("estimate")) return nullptr;
  const models::EstimateSection section = models::read_estimate_section(config["estimate"]);
  const analysis::Estimate estimate = analysis::estimate(section.input);
  Json out = Json::object();
  out["figures"] = estimate_figures(estimate);
  out["server_pool"] = section.server_pool ? Json(*section.server_pool) : Json(nullptr);
  return out;
}

}  // namespace archsim::cli
