// Little's law, L = X W, on every component of every scenario, and end to end
// for closed-loop workloads (N users = X (R + Z)).
//
// Per component, over the measured window of length T:
//   L = concurrency.mean (time-average of requests inside),
//   X = throughput_qps (requests that left in the window, per second),
//   W = latency_ms.mean / 1000 (mean residence of those requests).
// L T is the area under N(t) inside the window; X W T is the sum of the full
// residence times of the requests that left in it. They differ only at the
// window's edges: a request that arrived before the window and left inside
// it adds its time before the window to X W T (at most latency_ms.max, and
// there are at most concurrency.max of them), and a request still inside at
// the end adds its time so far to L T alone (again at most concurrency.max of
// them, each, in a run that keeps up, no longer than the longest residence).
// The two have opposite signs, so
//   |L - X W| <= N_edges * latency_ms.max / T,
// plus a relative 1e-9 for floating-point rounding of the divisions, where
// N_edges bounds the requests inside at either edge: the concurrency maxima
// of the intervals touching the two edges, summed, from the time series (no
// more than concurrency.max). In a bursty scenario (a herd after a flush)
// the maximum over the window is far above what the edges hold.
//
// End to end, the window is not bounded per request: a closed loop of N users
// holds exactly N "customers" at every instant, each either thinking (mean Z)
// or waiting for a reply (mean R), so N = X (R + Z). The simulated think times
// are draws, not their mean, and whole cycles straddle the window's ends, so
// the check is statistical: with K cycles completed in the window, the mean
// of K think times has a relative standard error cv_think / sqrt(K) (scaled by
// Z / (R + Z)), and the cycles cut by the window's ends add an error of about
// (R + Z) / (sqrt(N) T) (N independent users, each off by about one cycle).
// The tolerance is four times the sum of the two. The check runs the full
// duration (T in the hundreds of seconds) so that it has teeth. Open-loop
// workloads report no end-to-end concurrency, so there the law is checked
// on the components only.
#include <doctest/doctest.h>

#include <cmath>
#include <string>

#include "tests/scenarios/scenario_runs.h"

namespace {

using namespace archsim::test_scenarios;

constexpr double kRoundingBand = 1e-9;

// The most requests a component can hold at the window's two edges: the
// sum of its concurrency maxima over the intervals that touch each edge
// (the last interval of the warm-up and the first of the window; the last
// of the run), from the time series; its maximum over the whole window
// when the series does not have it. Requests in flight at an edge are what
// makes L and X W differ, each by at most the longest stay.
double at_edges(const Json& r, const std::string& name, double window_max) {
  const Json& columns = r["timeseries"]["columns"];
  const Json& rows = r["timeseries"]["rows"];
  std::size_t column = 0, measured = 0;
  for (std::size_t i = 0; i < columns.size(); ++i) {
    if (columns[i]["name"] == "components." + name + ".concurrency_max") column = i;
    if (columns[i]["name"] == "measured") measured = i;
  }
  if (column == 0 || measured == 0 || rows.empty()) return window_max;
  double start = 0;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (!rows[i][measured].get<bool>()) continue;
    start = rows[i][column].get<double>();
    if (i > 0) start = std::max(start, rows[i - 1][column].get<double>());
    break;
  }
  const double end = rows.back()[column].get<double>();
  return std::min(window_max, start + end);
}

// The law's tolerance for one component of a run: the edge effect and the
// rounding band.
struct Band {
  double L, XW, tolerance, edge, T;
};
Band band(const Json& r, const std::string& name, const Json& c) {
  const double T = r["measured_s"].get<double>();
  const double L = c["concurrency"]["mean"].get<double>();
  const double XW = c["throughput_qps"].get<double>() * c["latency_ms"]["mean"].get<double>() / 1000;
  const double max_latency = c["latency_ms"]["max"].get<double>() / 1000;
  const double edge = at_edges(r, name, c["concurrency"]["max"].get<double>()) * max_latency / T;
  return {L, XW, edge + kRoundingBand * std::max(L, XW), edge, T};
}

// The tolerance must leave the law something to check: at most a fifth of L.
bool has_teeth(const Band& b) { return b.L <= 0.01 || b.tolerance < 0.2 * b.L; }

}  // namespace

TEST_CASE("Little's law holds on every component of every scenario, within the window's edge effects") {
  for (const auto& file : scenario_files()) {
    CAPTURE(file.filename().string());
    const Json* r = &short_run(file);
    REQUIRE((*r)["measured_s"].get<double>() > 0);
    // A scenario whose latencies are bimodal (hits of 0.1 ms, misses of
    // 200 ms) has an edge effect too wide for its short window: it is
    // checked over its whole duration instead.
    Json full;
    bool teeth = true;
    for (const auto& [name, c] : (*r)["components"].items()) teeth = teeth && has_teeth(band(*r, name, c));
    if (!teeth) {
      const auto scenario = load(file);
      full = run(scenario, std::nullopt, scenario.config["duration_s"].get<double>());
      r = &full;
    }
    for (const auto& [name, c] : (*r)["components"].items()) {
      CAPTURE(name);
      const Band b = band(*r, name, c);
      INFO("L = " << b.L << ", X W = " << b.XW << ", tolerance " << b.tolerance << " (edge " << b.edge << ", T " << b.T
                  << " s)");
      CHECK(std::fabs(b.L - b.XW) <= b.tolerance);
      CHECK(has_teeth(b));
    }
  }
}

TEST_CASE("Little's law holds end to end for closed-loop users: N = X (R + Z)") {
  int checked = 0;
  for (const auto& file : scenario_files()) {
    const auto scenario = load(file);
    const Json& workloads = scenario.config["workloads"];
    // One closed-loop workload, so the summary is its own.
    if (workloads.size() != 1 || workloads[0]["arrival"]["type"] != "closed") continue;
    const Json& arrival = workloads[0]["arrival"];
    const Json& think = arrival["think_time"];
    double Z, cv;
    if (think["type"] == "exponential") {
      Z = think["mean_ms"].get<double>() / 1000;
      cv = 1;
    } else if (think["type"] == "constant") {
      Z = think["value_ms"].get<double>() / 1000;
      cv = 0;
    } else {
      MESSAGE(file.filename().string() << ": think time of type " << think["type"] << " has no mean here; skipped");
      continue;
    }
    CAPTURE(file.filename().string());
    const Json r = run(scenario, std::nullopt, scenario.config["duration_s"].get<double>());
    REQUIRE(r["run"]["completed"] == true);
    const Json& s = r["summary"];
    // Failed requests leave the latency histogram, so the law is only exact without them.
    REQUIRE(s["failed"]["total"] == 0);
    const double N = arrival["users"].get<double>();
    const double X = s["throughput_qps"].get<double>();
    const double R = s["latency_ms"]["mean"].get<double>() / 1000;
    const double T = r["measured_s"].get<double>();
    const double K = s["completed"].get<double>();
    REQUIRE(K > 0);
    const double relative = 4 * (cv / std::sqrt(K) * Z / (R + Z) + (R + Z) / (std::sqrt(N) * T));
    INFO("N = " << N << ", X (R + Z) = " << X * (R + Z) << ", relative tolerance " << relative);
    CHECK(std::fabs(X * (R + Z) - N) <= relative * N);
    ++checked;
  }
  // scenarios/closed-loop-interactive.json is one; keep the check from going vacuous.
  CHECK(checked >= 1);
}
