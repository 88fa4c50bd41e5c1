// analysis/queueing.h: closed-form queueing results that the simulator is
// validated against: M/M/1, M/M/c (Erlang B and C), M/G/1 and M/D/1
// (Pollaczek-Khinchine), M/M/c/K, open Jackson networks and exact mean value
// analysis (MVA) of closed single-class networks.
//
// Units: any consistent time unit. Rates are per unit time, times and
// demands are in that same unit, and offered load is in Erlangs
// (arrival_rate / service_rate). Every result is a steady-state mean.
//
// Not modelled: priorities, multiple classes, load-dependent servers other
// than the multi-server station, non-exponential service in networks.
//
// Every function throws std::invalid_argument, naming itself and the
// offending value, for nonsense input: negative or non-finite rates, fewer
// than one server, capacity below the number of servers, and utilization at
// or above one wherever the queue is unbounded (no steady state exists).
#pragma once

#include <vector>

#include <Eigen/Core>

namespace archsim::analysis {

// Steady-state means of a queue with unbounded waiting room. "Wait" is the
// time in queue before service starts; "response" is wait plus service.
// Queue length counts jobs waiting; "in system" adds those in service.
struct QueueMetrics {
  double utilization;        // per-server busy fraction, arrival_rate / (c mu)
  double prob_wait;          // probability that an arrival has to queue
  double mean_wait;
  double mean_response;
  double mean_queue_length;
  double mean_in_system;
};

// M/M/1. Requires arrival_rate >= 0, service_rate > 0, arrival_rate < service_rate.
QueueMetrics mm1(double arrival_rate, double service_rate);
// The q-quantile (0 <= q < 1) of the M/M/1 FCFS response time, which is
// exponential with rate service_rate - arrival_rate.
double mm1_response_quantile(double arrival_rate, double service_rate, double q);
// The q-quantile (0 <= q < 1) of the M/M/1 FCFS waiting time: an atom of
// probability 1 - rho at zero, then P(W > t) = rho exp(-(mu - lambda) t).
double mm1_wait_quantile(double arrival_rate, double service_rate, double q);

// Erlang B: probability that an arrival finds all `servers` busy in an
// M/M/c/c loss system with offered load `offered_load` Erlangs. Any load >= 0.
double erlang_b(int servers, double offered_load);
// Erlang C: probability that an arrival has to wait in M/M/c.
// Requires offered_load < servers.
double erlang_c(int servers, double offered_load);
// M/M/c. Requires arrival_rate < servers * service_rate.
QueueMetrics mmc(double arrival_rate, double service_rate, int servers);
// The q-quantile (0 <= q < 1) of the M/M/c FCFS waiting time: an atom of
// probability 1 - C at zero, then P(W > t) = C exp(-(c mu - lambda) t).
double mmc_wait_quantile(double arrival_rate, double service_rate, int servers, double q);

// M/G/1 by Pollaczek-Khinchine, from the first two moments of the service
// time. Requires service_second_moment >= mean_service^2 and rho < 1.
QueueMetrics mg1(double arrival_rate, double mean_service, double service_second_moment);
// M/D/1: M/G/1 with a constant service time.
QueueMetrics md1(double arrival_rate, double service_time);

// M/M/c/K: c servers and room for `capacity` jobs in total, counting those in
// service (capacity >= servers). An arrival that finds the system full is
// lost. Any arrival rate >= 0 is allowed, since the state space is finite.
struct FiniteQueueMetrics {
  double blocking_probability;  // fraction of arrivals lost
  double throughput;            // accepted arrivals per unit time
  double utilization;           // per-server busy fraction, throughput / (c mu)
  double mean_in_system;
  double mean_response;         // of accepted jobs
  double mean_queue_length;
  double mean_wait;             // of accepted jobs
};
FiniteQueueMetrics mmck(double arrival_rate, double service_rate, int servers, int capacity);

// Open Jackson network of M/M/c stations.
struct JacksonStation {
  int servers;
  double service_rate;
};
struct JacksonResult {
  std::vector<double> arrival_rate;    // total rate into each station
  std::vector<QueueMetrics> stations;  // each station as an M/M/c; times are per visit
  double mean_sojourn;                 // entry to exit, over all visits (Little)
  double throughput;                   // jobs leaving = sum of external arrivals
};
// routing(i, j) is the probability that a job finishing at station i goes to
// station j next; 1 - (row sum) is the probability that it leaves. Solves the
// traffic equations lambda = gamma + P^T lambda. Requires every job to leave
// eventually (I - P^T invertible), a positive total external rate, and every
// station stable.
JacksonResult jackson_open(const std::vector<JacksonStation>& stations,
                           const Eigen::VectorXd& external_arrivals,
                           const Eigen::MatrixXd& routing);

// Exact MVA for a closed single-class network: `customers` jobs cycle between
// a think time (a delay) and the stations. demands[i] is visits x mean service
// time at station i. Queueing stations are single-server FCFS with exponential
// service (or processor sharing); delay stations have infinite servers.
struct MvaResult {
  double throughput;                  // cycles per unit time
  double response_time;               // sum of residence times, think time excluded
  std::vector<double> queue_length;   // mean jobs at each station, in service included
  std::vector<double> utilization;    // throughput x demand; at a delay station the
                                      // mean number busy, which may exceed 1
  std::vector<double> residence_time; // per cycle, over all visits
};
// Every station queueing. Requires customers >= 1, demands and think time
// >= 0, and think_time + sum of demands > 0.
MvaResult mva(const std::vector<double>& demands, double think_time, int customers);
MvaResult mva(const std::vector<double>& demands, const std::vector<bool>& is_delay,
              double think_time, int customers);

}  // namespace archsim::analysis
