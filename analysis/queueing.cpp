// analysis/queueing.cpp: see queueing.h. Formulas follow Kleinrock,
// "Queueing Systems, Vol. 1" (1975), and Lazowska et al., "Quantitative System
// Performance" (1984) for MVA.
#include "analysis/queueing.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <iomanip>
#include <sstream>
#include <stdexcept>
#include <string>

#include <Eigen/LU>

namespace archsim::analysis {
namespace {

// Twelve significant digits tell 0.9999999 from 1 without printing noise.
std::string show(double value) {
  std::ostringstream out;
  out << std::setprecision(12) << value;
  return out.str();
}

[[noreturn]] void fail(const char* where, const std::string& what) {
  throw std::invalid_argument(std::string(where) + ": " + what);
}

// Written as !(value >= 0) so that NaN is refused too.
void require_non_negative(const char* where, const char* name, double value) {
  if (!(value >= 0.0) || !std::isfinite(value))
    fail(where, std::string(name) + " must be a finite number >= 0, got " + show(value));
}

void require_positive(const char* where, const char* name, double value) {
  if (!(value > 0.0) || !std::isfinite(value))
    fail(where, std::string(name) + " must be a finite number > 0, got " + show(value));
}

void require_servers(const char* where, int servers) {
  if (servers < 1) fail(where, "servers must be at least 1, got " + std::to_string(servers));
}

void require_quantile(const char* where, double q) {
  if (!(q >= 0.0 && q < 1.0)) fail(where, "q must be in [0, 1), got " + show(q));
}

// Compares rates rather than their ratio, so that rounding in the ratio
// cannot turn an unstable queue into a stable one.
void require_stable(const char* where, double arrival_rate, double capacity_rate) {
  if (!(arrival_rate < capacity_rate))
    fail(where, "unstable: arrival_rate " + show(arrival_rate) +
                    " >= total service rate " + show(capacity_rate) + " (utilization " +
                    show(arrival_rate / capacity_rate) +
                    "); the queue grows without bound, so there is no steady state");
}

}  // namespace

QueueMetrics mm1(double arrival_rate, double service_rate) {
  require_non_negative("mm1", "arrival_rate", arrival_rate);
  require_positive("mm1", "service_rate", service_rate);
  require_stable("mm1", arrival_rate, service_rate);
  const double rho = arrival_rate / service_rate;
  // mu - lambda is formed once, from the inputs, so that near saturation the
  // only cancellation is the unavoidable one.
  const double spare_rate = service_rate - arrival_rate;
  QueueMetrics metrics{};
  metrics.utilization = rho;
  metrics.prob_wait = rho;  // PASTA: an arrival sees the server busy w.p. rho
  metrics.mean_response = 1.0 / spare_rate;
  metrics.mean_wait = rho / spare_rate;
  metrics.mean_in_system = arrival_rate / spare_rate;
  metrics.mean_queue_length = rho * arrival_rate / spare_rate;
  return metrics;
}

double mm1_response_quantile(double arrival_rate, double service_rate, double q) {
  require_non_negative("mm1_response_quantile", "arrival_rate", arrival_rate);
  require_positive("mm1_response_quantile", "service_rate", service_rate);
  require_stable("mm1_response_quantile", arrival_rate, service_rate);
  require_quantile("mm1_response_quantile", q);
  // P(T <= t) = 1 - exp(-(mu - lambda) t); log1p keeps small q accurate.
  return -std::log1p(-q) / (service_rate - arrival_rate);
}

double mm1_wait_quantile(double arrival_rate, double service_rate, double q) {
  require_non_negative("mm1_wait_quantile", "arrival_rate", arrival_rate);
  require_positive("mm1_wait_quantile", "service_rate", service_rate);
  require_stable("mm1_wait_quantile", arrival_rate, service_rate);
  require_quantile("mm1_wait_quantile", q);
  const double rho = arrival_rate / service_rate;
  // The atom at zero covers every q up to 1 - rho. Compared as 1 - q <= rho so
  // that the boundary case gives exactly 0 rather than a rounding-sized time.
  if (1.0 - q >= rho) return 0.0;
  // Solve rho exp(-(mu - lambda) t) = 1 - q.
  return (std::log(rho) - std::log1p(-q)) / (service_rate - arrival_rate);
}

double erlang_b(int servers, double offered_load) {
  require_servers("erlang_b", servers);
  require_non_negative("erlang_b", "offered_load", offered_load);
  // B(0) = 1, B(k) = a B(k-1) / (k + a B(k-1)). Every quantity stays in
  // [0, 1] and every operation adds positive numbers, so nothing overflows
  // or cancels, unlike the textbook a^c / c! / sum(a^k / k!).
  double blocking = 1.0;
  for (int k = 1; k <= servers; ++k) {
    const double carried = offered_load * blocking;
    blocking = carried / (k + carried);
  }
  return blocking;
}

double erlang_c(int servers, double offered_load) {
  require_servers("erlang_c", servers);
  require_non_negative("erlang_c", "offered_load", offered_load);
  if (!(offered_load < servers))
    fail("erlang_c", "offered_load " + show(offered_load) + " must be below servers " +
                         std::to_string(servers) + "; otherwise the queue grows without bound");
  const double blocking = erlang_b(servers, offered_load);
  // C = c B / (c - a (1 - B)). The denominator is at least c - a > 0.
  return servers * blocking / (servers - offered_load * (1.0 - blocking));
}

QueueMetrics mmc(double arrival_rate, double service_rate, int servers) {
  require_non_negative("mmc", "arrival_rate", arrival_rate);
  require_positive("mmc", "service_rate", service_rate);
  require_servers("mmc", servers);
  require_stable("mmc", arrival_rate, servers * service_rate);
  const double offered_load = arrival_rate / service_rate;
  const double prob_wait = erlang_c(servers, offered_load);
  // Once every server is busy, the queue drains at c mu and fills at lambda,
  // so a waiting time is exponential with rate c mu - lambda.
  const double spare_rate = servers * service_rate - arrival_rate;
  QueueMetrics metrics{};
  metrics.utilization = offered_load / servers;
  metrics.prob_wait = prob_wait;
  metrics.mean_wait = prob_wait / spare_rate;
  metrics.mean_response = metrics.mean_wait + 1.0 / service_rate;
  metrics.mean_queue_length = arrival_rate * metrics.mean_wait;
  metrics.mean_in_system = arrival_rate * metrics.mean_response;
  return metrics;
}

double mmc_wait_quantile(double arrival_rate, double service_rate, int servers, double q) {
  require_non_negative("mmc_wait_quantile", "arrival_rate", arrival_rate);
  require_positive("mmc_wait_quantile", "service_rate", service_rate);
  require_servers("mmc_wait_quantile", servers);
  require_stable("mmc_wait_quantile", arrival_rate, servers * service_rate);
  require_quantile("mmc_wait_quantile", q);
  const double prob_wait = erlang_c(servers, arrival_rate / service_rate);
  if (1.0 - q >= prob_wait) return 0.0;
  return (std::log(prob_wait) - std::log1p(-q)) / (servers * service_rate - arrival_rate);
}

QueueMetrics mg1(double arrival_rate, double mean_service, double service_second_moment) {
  require_non_negative("mg1", "arrival_rate", arrival_rate);
  require_positive("mg1", "mean_service", mean_service);
  require_positive("mg1", "service_second_moment", service_second_moment);
  // Variance cannot be negative. Checked without tolerance: mean^2 + variance
  // and (1 + cv^2) mean^2 both round to at least mean * mean.
  if (service_second_moment < mean_service * mean_service)
    fail("mg1", "service_second_moment " + show(service_second_moment) +
                    " is below mean_service^2 = " + show(mean_service * mean_service) +
                    ", which would need a negative variance");
  // Checked on rho itself, the quantity that 1 - rho below divides by.
  const double rho = arrival_rate * mean_service;
  if (!(rho < 1.0))
    fail("mg1", "unstable: utilization arrival_rate x mean_service = " + show(rho) +
                    " >= 1; the queue grows without bound, so there is no steady state");
  QueueMetrics metrics{};
  metrics.utilization = rho;
  metrics.prob_wait = rho;  // PASTA, as for M/M/1
  // Pollaczek-Khinchine: W = lambda E[S^2] / (2 (1 - rho)).
  metrics.mean_wait = arrival_rate * service_second_moment / (2.0 * (1.0 - rho));
  metrics.mean_response = metrics.mean_wait + mean_service;
  metrics.mean_queue_length = arrival_rate * metrics.mean_wait;
  metrics.mean_in_system = arrival_rate * metrics.mean_response;
  return metrics;
}

QueueMetrics md1(double arrival_rate, double service_time) {
  require_positive("md1", "service_time", service_time);
  return mg1(arrival_rate, service_time, service_time * service_time);
}

FiniteQueueMetrics mmck(double arrival_rate, double service_rate, int servers, int capacity) {
  require_non_negative("mmck", "arrival_rate", arrival_rate);
  require_positive("mmck", "service_rate", service_rate);
  require_servers("mmck", servers);
  if (capacity < servers)
    fail("mmck", "capacity " + std::to_string(capacity) + " must be at least servers " +
                     std::to_string(servers) + " (capacity counts the jobs in service)");
  FiniteQueueMetrics metrics{};
  if (arrival_rate == 0.0) {
    // The system stays empty. A job arriving to it would be served at once,
    // which is the limit of the general answer as lambda -> 0.
    metrics.mean_response = 1.0 / service_rate;
    return metrics;
  }
  // Birth-death chain: p(n) is proportional to w(n) = a^n / n! for n <= c and
  // w(c) rho^(n-c) above. Both a^n / n! and rho^(K-c) overflow for realistic
  // sizes (c = 16, K = 10,000, rho = 2 gives 2^9984), so the weights are kept
  // as logarithms and scaled by the largest before exponentiating.
  const double offered_load = arrival_rate / service_rate;
  const double log_rho = std::log(offered_load / servers);
  std::vector<double> log_weight(static_cast<std::size_t>(servers) + 1);
  log_weight[0] = 0.0;
  for (int n = 1; n <= servers; ++n)
    log_weight[n] = log_weight[n - 1] + std::log(offered_load / n);
  const double log_weight_c = log_weight[servers];
  // The tail above c is computed directly from w(c), not by repeated
  // addition, so its error does not grow with K.
  auto log_weight_at = [&](int n) {
    return n <= servers ? log_weight[n] : log_weight_c + (n - servers) * log_rho;
  };
  // log w rises then falls up to c (a / n falls with n) and is linear above,
  // so the largest is among n <= c or at n = K.
  const double log_weight_max =
      std::max(*std::max_element(log_weight.begin(), log_weight.end()), log_weight_at(capacity));

  // Sums in increasing n, a fixed order.
  double total = 0.0;
  double total_in_system = 0.0;
  double total_queued = 0.0;
  for (int n = 0; n <= capacity; ++n) {
    const double weight = std::exp(log_weight_at(n) - log_weight_max);
    total += weight;
    total_in_system += n * weight;
    if (n > servers) total_queued += (n - servers) * weight;
  }
  const double prob_full = std::exp(log_weight_at(capacity) - log_weight_max) / total;
  metrics.blocking_probability = prob_full;
  metrics.throughput = arrival_rate * (1.0 - prob_full);
  metrics.utilization = metrics.throughput / (servers * service_rate);
  metrics.mean_in_system = total_in_system / total;
  metrics.mean_queue_length = total_queued / total;
  // Little's law over accepted jobs only: lost ones spend no time inside.
  metrics.mean_response = metrics.mean_in_system / metrics.throughput;
  metrics.mean_wait = metrics.mean_queue_length / metrics.throughput;
  return metrics;
}

JacksonResult jackson_open(const std::vector<JacksonStation>& stations,
                           const Eigen::VectorXd& external_arrivals,
                           const Eigen::MatrixXd& routing) {
  const char* where = "jackson_open";
  const Eigen::Index count = static_cast<Eigen::Index>(stations.size());
  if (count == 0) fail(where, "needs at least one station");
  if (external_arrivals.size() != count)
    fail(where, "external_arrivals has " + std::to_string(external_arrivals.size()) +
                    " entries for " + std::to_string(count) + " stations");
  if (routing.rows() != count || routing.cols() != count)
    fail(where, "routing is " + std::to_string(routing.rows()) + "x" +
                    std::to_string(routing.cols()) + " for " + std::to_string(count) +
                    " stations; it must be square with one row per station");
  double total_external = 0.0;
  for (Eigen::Index i = 0; i < count; ++i) {
    const std::string station = "station " + std::to_string(i);
    require_servers(where, stations[i].servers);
    if (!(stations[i].service_rate > 0.0) || !std::isfinite(stations[i].service_rate))
      fail(where, station + ": service_rate must be a finite number > 0, got " +
                      show(stations[i].service_rate));
    const double gamma = external_arrivals(i);
    if (!(gamma >= 0.0) || !std::isfinite(gamma))
      fail(where, station + ": external arrival rate must be a finite number >= 0, got " +
                      show(gamma));
    total_external += gamma;
    double row_sum = 0.0;
    for (Eigen::Index j = 0; j < count; ++j) {
      const double p = routing(i, j);
      if (!(p >= 0.0 && p <= 1.0))
        fail(where, "routing(" + std::to_string(i) + ", " + std::to_string(j) +
                        ") must be a probability in [0, 1], got " + show(p));
      row_sum += p;
    }
    // Rows are often written as decimals (0.1 + 0.2 + 0.7), whose sum can
    // round a few ulps past 1; more than that is a real mistake.
    if (row_sum > 1.0 + 1e-12)
      fail(where, "routing row " + std::to_string(i) + " sums to " + show(row_sum) +
                      "; the probabilities of leaving a station cannot exceed 1");
  }
  if (!(total_external > 0.0))
    fail(where, "external arrivals sum to 0; an open network needs traffic to enter");

  // (I - P^T) lambda = gamma. For a substochastic P this matrix is invertible
  // exactly when every job eventually leaves; otherwise some set of stations
  // keeps its jobs forever and the rates there are unbounded.
  const Eigen::MatrixXd system =
      Eigen::MatrixXd::Identity(count, count) - routing.transpose();
  const Eigen::FullPivLU<Eigen::MatrixXd> lu(system);
  if (!lu.isInvertible())
    fail(where, "routing traps jobs: some set of stations never sends a job out of the "
                "network (I - P^T is singular)");
  const Eigen::VectorXd rates = lu.solve(external_arrivals);

  JacksonResult result;
  result.arrival_rate.resize(stations.size());
  result.stations.resize(stations.size());
  double total_in_system = 0.0;
  for (Eigen::Index i = 0; i < count; ++i) {
    double rate = rates(i);
    // The exact solution is non-negative (a Neumann series of non-negative
    // terms), but elimination can leave a rounding-sized negative at a
    // station no traffic reaches. Anything larger is a bug, not input.
    assert(rate >= -1e-12 * total_external);
    rate = std::max(rate, 0.0);
    const double capacity_rate = stations[i].servers * stations[i].service_rate;
    if (!(rate < capacity_rate))
      fail(where, "station " + std::to_string(i) + " is unstable: total arrival rate " +
                      show(rate) + " >= servers x service_rate = " + show(capacity_rate) +
                      " (utilization " + show(rate / capacity_rate) + ")");
    result.arrival_rate[i] = rate;
    result.stations[i] = mmc(rate, stations[i].service_rate, stations[i].servers);
    total_in_system += result.stations[i].mean_in_system;
  }
  // In steady state as many jobs leave as enter.
  result.throughput = total_external;
  result.mean_sojourn = total_in_system / total_external;
  return result;
}

MvaResult mva(const std::vector<double>& demands, double think_time, int customers) {
  return mva(demands, std::vector<bool>(demands.size(), false), think_time, customers);
}

MvaResult mva(const std::vector<double>& demands, const std::vector<bool>& is_delay,
              double think_time, int customers) {
  const char* where = "mva";
  if (is_delay.size() != demands.size())
    fail(where, "is_delay has " + std::to_string(is_delay.size()) + " entries for " +
                    std::to_string(demands.size()) + " demands");
  if (customers < 1)
    fail(where, "customers must be at least 1, got " + std::to_string(customers));
  require_non_negative(where, "think_time", think_time);
  double total_demand = 0.0;
  for (std::size_t i = 0; i < demands.size(); ++i) {
    if (!(demands[i] >= 0.0) || !std::isfinite(demands[i]))
      fail(where, "demands[" + std::to_string(i) + "] must be a finite number >= 0, got " +
                      show(demands[i]));
    total_demand += demands[i];
  }
  if (!(think_time + total_demand > 0.0))
    fail(where, "think_time and every demand are 0, so the throughput would be infinite");

  const std::size_t stations = demands.size();
  MvaResult result;
  result.queue_length.assign(stations, 0.0);
  result.residence_time.assign(stations, 0.0);
  // Arrival theorem: a job arriving at a station of a network with n jobs
  // sees the time-averaged state of the same network with n - 1 jobs.
  for (int n = 1; n <= customers; ++n) {
    double response_time = 0.0;
    for (std::size_t i = 0; i < stations; ++i) {
      result.residence_time[i] =
          is_delay[i] ? demands[i] : demands[i] * (1.0 + result.queue_length[i]);
      response_time += result.residence_time[i];
    }
    const double throughput = n / (think_time + response_time);
    for (std::size_t i = 0; i < stations; ++i)
      result.queue_length[i] = throughput * result.residence_time[i];
    result.throughput = throughput;
    result.response_time = response_time;
  }
  result.utilization.resize(stations);
  for (std::size_t i = 0; i < stations; ++i)
    result.utilization[i] = result.throughput * demands[i];
  return result;
}

}  // namespace archsim::analysis
