#include "cli/analyze.h"

#include <cmath>
#include <cstdio>
#include <optional>
#include <sstream>
#include <vector>

#include "cli/station_model.h"
#include "models/simulation/series.h"

namespace archsim::cli {

using spec::Json;

namespace {

constexpr double kSigmas = 4.0;       // the band of "within the noise", as in docs/validation.md
constexpr std::size_t kMinBatches = 10;  // fewer measured intervals: the noise is not estimated
constexpr double kNearSaturation = 0.9;

struct Estimate {
  double se = 0;
  bool known = false;
};

// The measured intervals of one time series column, nulls left out.
struct Series {
  const Json& results;
  std::vector<std::size_t> measured;

  explicit Series(const Json& r) : results(r) {
    const Json flags = models::series_column(r, "measured");
    if (!flags.is_array()) return;
    for (std::size_t i = 0; i < flags.size(); ++i)
      if (flags[i].is_boolean() && flags[i].get<bool>()) measured.push_back(i);
  }
  // Nothing when the column is missing.
  std::optional<std::vector<double>> column(const std::string& name) const {
    const Json values = models::series_column(results, name);
    if (!values.is_array()) return std::nullopt;
    std::vector<double> out;
    for (std::size_t i : measured) out.push_back(values[i].is_number() ? values[i].get<double>() : std::nan(""));
    return out;
  }
};

// SE of the plain mean of equal-length batches.
Estimate mean_se(const std::optional<std::vector<double>>& x) {
  if (!x) return {};
  std::vector<double> v;
  for (double d : *x)
    if (std::isfinite(d)) v.push_back(d);
  if (v.size() < kMinBatches) return {};
  const auto k = static_cast<double>(v.size());
  double sum = 0;
  for (double d : v) sum += d;
  const double mean = sum / k;
  double squares = 0;
  for (double d : v) squares += (d - mean) * (d - mean);
  return {std::sqrt(squares / (k - 1) / k), true};
}

// SE of sum(y) / sum(n), the ratio estimator's.
Estimate ratio_se(const std::optional<std::vector<double>>& y, const std::optional<std::vector<double>>& n) {
  if (!y || !n) return {};
  std::vector<double> ys, ns;
  for (std::size_t i = 0; i < y->size(); ++i)
    if (std::isfinite((*y)[i]) && std::isfinite((*n)[i])) {
      ys.push_back((*y)[i]);
      ns.push_back((*n)[i]);
    }
  if (ys.size() < kMinBatches) return {};
  const auto k = static_cast<double>(ys.size());
  double sum_y = 0, sum_n = 0;
  for (std::size_t i = 0; i < ys.size(); ++i) {
    sum_y += ys[i];
    sum_n += ns[i];
  }
  if (sum_n <= 0) return {};
  const double ratio = sum_y / sum_n;
  double squares = 0;
  for (std::size_t i = 0; i < ys.size(); ++i) squares += (ys[i] - ratio * ns[i]) * (ys[i] - ratio * ns[i]);
  return {std::sqrt(squares / (k * (k - 1))) / (sum_n / k), true};
}

// A per-interval mean weighted by the interval's count.
Estimate weighted_se(const std::optional<std::vector<double>>& means, const std::optional<std::vector<double>>& counts) {
  if (!means || !counts) return {};
  std::vector<double> y(means->size());
  for (std::size_t i = 0; i < y.size(); ++i) y[i] = (*means)[i] * (*counts)[i];
  return ratio_se(y, counts);
}

double number_or_nan(const Json& v) { return v.is_number() ? v.get<double>() : std::nan(""); }

// One row: a figure, theory beside simulation.
Json row(const std::string& figure, double theory, double simulated, const Estimate& e, const std::string& caveat,
         double utilization) {
  Json r = {{"figure", figure}, {"theory", theory}, {"simulated", simulated}};
  const double error = simulated - theory;
  r["error"] = error;
  r["relative_error"] = theory != 0 ? Json(error / theory) : Json(nullptr);
  if (!e.known) {
    r["se"] = nullptr;
    r["within_noise"] = nullptr;
    r["note"] = "fewer than 10 measured intervals: the noise is not estimated (shorten report_interval_s)";
    return r;
  }
  r["se"] = e.se;
  const bool within = std::fabs(error) <= kSigmas * e.se;
  r["within_noise"] = within;
  if (!within) {
    if (!caveat.empty()) r["note"] = caveat;
    else if (utilization >= kNearSaturation)
      r["note"] = "near saturation: the run may be too short for the steady state (the queue's correlation time "
                  "grows as 1 / (1 - rho)^2); run longer";
    else
      r["note"] = "beyond the noise: the run may be too short, or the station departs from the model's assumptions";
  }
  return r;
}

std::string fixed(double v) {
  if (!std::isfinite(v)) return "-";
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, std::fabs(v) >= 1000 ? "%.0f" : "%.4g", v);
  return buffer;
}

std::string percent(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%+.2f %%", 100 * v);
  return buffer;
}

std::string padded(const std::string& text, std::size_t width) {
  return text.size() >= width ? text + " " : text + std::string(width - text.size(), ' ');
}

}  // namespace

Json analysis_document(const Json& config, const Json& results) {
  const ScenarioModel model = model_scenario(config);
  const Series series(results);
  const std::size_t batches = series.measured.size();
  Json doc = {{"scenario", results["scenario"]},
              {"seed", results["seed"]},
              {"measured_s", results["measured_s"]},
              {"noise",
               {{"method", "batch means over the measured report intervals"},
                {"batches", batches},
                {"band_se", kSigmas}}},
              {"scenario_reasons", model.scenario_reasons}};

  Json stations = Json::array();
  for (const auto& m : model.stations) {
    const Json& c = results["components"][m.name];
    const std::string prefix = "components." + m.name + ".";
    Json s = {{"name", m.name}, {"replicas", m.replicas}, {"workers", m.workers}, {"model", m.model}};
    s["arrival_rate_qps"] = m.arrival_rate_per_ms ? Json(*m.arrival_rate_per_ms * 1000.0) : Json(nullptr);
    s["mean_service_ms"] = m.mean_service_ms ? Json(*m.mean_service_ms) : Json(nullptr);
    const auto offered = m.offered_utilization();
    s["offered_utilization"] = offered ? Json(*offered) : Json(nullptr);
    s["simulated_utilization"] = c["utilization"];
    // Without a known arrival rate (a closed loop theory does not solve),
    // the utilization law U = X E[S] / c with the simulated throughput X.
    s["utilization_law"] = nullptr;
    if (!offered && m.mean_service_ms && c["throughput_qps"].is_number())
      s["utilization_law"] = c["throughput_qps"].get<double>() / 1000.0 * *m.mean_service_ms / (m.replicas * m.workers);
    s["reason"] = m.reason;
    s["caveat"] = m.caveat;
    Json rows = Json::array();
    if (m.theory && m.reason.empty()) {
      const StationTheory& t = *m.theory;
      const auto completed = series.column(prefix + "completed");
      const double reps = m.replicas;
      rows.push_back(row("utilization", t.utilization, number_or_nan(c["utilization"]),
                         mean_se(series.column(prefix + "utilization")), m.caveat, t.utilization));
      rows.push_back(row("mean wait (ms)", t.mean_wait_ms, number_or_nan(c["wait_ms"]["mean"]),
                         weighted_se(series.column(prefix + "wait_mean_ms"), completed), m.caveat, t.utilization));
      rows.push_back(row("mean response (ms)", t.mean_response_ms, number_or_nan(c["latency_ms"]["mean"]),
                         weighted_se(series.column(prefix + "latency_mean_ms"), completed), m.caveat, t.utilization));
      rows.push_back(row("mean queue length", t.mean_queue_length * reps, number_or_nan(c["queue_length"]["mean"]),
                         mean_se(series.column(prefix + "queue_length_mean")), m.caveat, t.utilization));
      rows.push_back(row("mean number inside", t.mean_in_system * reps, number_or_nan(c["concurrency"]["mean"]),
                         mean_se(series.column(prefix + "concurrency_mean")), m.caveat, t.utilization));
      if (t.blocking) {
        const double arrivals = number_or_nan(c["arrivals"]);
        const double rejected = number_or_nan(c["rejected"]);
        rows.push_back(row("blocking probability", *t.blocking, arrivals > 0 ? rejected / arrivals : 0.0,
                           ratio_se(series.column(prefix + "rejected"), series.column(prefix + "arrivals")), m.caveat,
                           t.utilization));
      }
    }
    s["rows"] = rows;
    // Little's law from the simulated figures alone: L = lambda W.
    const double l = number_or_nan(c["concurrency"]["mean"]);
    const double lambda = number_or_nan(c["throughput_qps"]) / 1000.0;
    const double w = number_or_nan(c["latency_ms"]["mean"]);
    Json little = {{"number_inside", l}, {"throughput_times_response", lambda * w}};
    little["relative_difference"] = l > 0 ? Json((lambda * w - l) / l) : Json(nullptr);
    s["little"] = little;
    stations.push_back(s);
  }
  doc["stations"] = stations;

  Json system = Json::object();
  system["model"] = model.system.model;
  Json rows = Json::array();
  const bool no_hops = config["network"]["hop_latency"]["type"] == "constant" &&
                       config["network"]["hop_latency"]["value_ms"].get<double>() == 0 && config["links"].empty();
  if (model.system.mean_response_ms) {
    if (no_hops)
      rows.push_back(row("end-to-end mean response (ms)", *model.system.mean_response_ms,
                         results["summary"]["latency_ms"]["mean"].get<double>(),
                         weighted_se(series.column("latency_mean_ms"), series.column("completed")), "", 0));
    else
      system["note"] = "the network adds hop latency, which the end-to-end theory leaves out";
  }
  if (model.system.throughput_qps)
    rows.push_back(row("throughput (requests/s)", *model.system.throughput_qps,
                       results["summary"]["throughput_qps"].get<double>(), mean_se(series.column("throughput_qps")), "",
                       0));
  system["rows"] = rows;
  doc["system"] = system;
  return doc;
}

std::string format_analysis(const Json& doc) {
  std::ostringstream out;
  out << "theory beside the simulation · scenario \"" << doc["scenario"].get<std::string>() << "\" · seed "
      << doc["seed"] << " · " << fixed(doc["measured_s"].get<double>()) << " s measured\n";
  const std::size_t batches = doc["noise"]["batches"].get<std::size_t>();
  out << "noise: standard error (SE) by batch means over " << batches
      << " measured intervals; within the noise = |error| <= 4 SE\n";
  for (const auto& r : doc["scenario_reasons"]) out << "whole scenario: " << r.get<std::string>() << "\n";

  // A row's note is printed unless the station's caveat above said it already.
  auto print_rows = [&](const Json& rows, const std::string& caveat) {
    out << "  " << padded("figure", 30) << padded("theory", 11) << padded("simulated", 11) << padded("error", 11)
        << padded("4 SE", 12) << "verdict\n";
    for (const auto& r : rows) {
      const double theory = number_or_nan(r["theory"]);
      const double error = number_or_nan(r["error"]);
      std::string band = "-", verdict = "noise unknown";
      if (!r["se"].is_null()) {
        band = "±" + fixed(kSigmas * r["se"].get<double>());
        verdict = r["within_noise"].get<bool>() ? "ok" : "BEYOND NOISE";
      }
      const std::string err = theory != 0 && std::isfinite(error) ? percent(error / theory) : fixed(error);
      out << "  " << padded(r["figure"].get<std::string>(), 30) << padded(fixed(theory), 11)
          << padded(fixed(number_or_nan(r["simulated"])), 11) << padded(err, 11) << padded(band, 12) << verdict << "\n";
      if (r.contains("note") && r["note"].get<std::string>() != caveat &&
          !(r["within_noise"].is_boolean() && r["within_noise"].get<bool>()))
        out << "    " << r["note"].get<std::string>() << "\n";
    }
  };

  for (const auto& s : doc["stations"]) {
    out << "\n" << s["name"].get<std::string>();
    if (!s["model"].get<std::string>().empty()) out << " · " << s["model"].get<std::string>();
    out << " · " << s["replicas"] << " x " << s["workers"] << " workers";
    if (!s["arrival_rate_qps"].is_null()) out << " · lambda " << fixed(s["arrival_rate_qps"].get<double>()) << "/s";
    if (!s["mean_service_ms"].is_null()) out << " · E[S] " << fixed(s["mean_service_ms"].get<double>()) << " ms";
    out << "\n";
    if (!s["offered_utilization"].is_null()) {
      out << "  utilization lambda E[S] / c = " << fixed(s["offered_utilization"].get<double>());
      if (s["simulated_utilization"].is_number())
        out << " (simulated " << fixed(s["simulated_utilization"].get<double>()) << ")";
      out << "\n";
    }
    if (s["utilization_law"].is_number()) {
      out << "  utilization law X E[S] / c, with the simulated throughput X = "
          << fixed(s["utilization_law"].get<double>());
      if (s["simulated_utilization"].is_number())
        out << " (simulated " << fixed(s["simulated_utilization"].get<double>()) << ")";
      out << "\n";
    }
    if (!s["reason"].get<std::string>().empty())
      out << "  theory does not apply: " << s["reason"].get<std::string>() << "\n";
    else if (!s["caveat"].get<std::string>().empty())
      out << "  caveat: " << s["caveat"].get<std::string>() << "\n";
    if (!s["rows"].empty()) print_rows(s["rows"], s["caveat"].get<std::string>());
    const Json& little = s["little"];
    out << "  Little's law: L = " << fixed(number_or_nan(little["number_inside"])) << ", lambda W = "
        << fixed(number_or_nan(little["throughput_times_response"]));
    if (little["relative_difference"].is_number())
      out << " (" << percent(little["relative_difference"].get<double>()) << ")";
    out << "\n";
  }
  const Json& system = doc["system"];
  if (!system["model"].get<std::string>().empty()) {
    out << "\nwhole system · " << system["model"].get<std::string>() << "\n";
    if (system.contains("note")) out << "  " << system["note"].get<std::string>() << "\n";
    if (!system["rows"].empty()) print_rows(system["rows"], "");
  }
  return out.str();
}

}  // namespace archsim::cli
