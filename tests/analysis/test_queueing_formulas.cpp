// Closed-form queueing results checked against values known independently of
// the code: textbook formulas, exact fractions worked by hand, and exact
// rational arithmetic (Python fractions) where the hand sum is long. Exact
// values are compared with a relative tolerance of 1e-9.
#include <doctest/doctest.h>

#include <cmath>
#include <numbers>
#include <stdexcept>
#include <vector>

#include <Eigen/Core>

#include "analysis/queueing.h"

namespace {

using archsim::analysis::erlang_b;
using archsim::analysis::erlang_c;
using archsim::analysis::jackson_open;
using archsim::analysis::JacksonStation;
using archsim::analysis::md1;
using archsim::analysis::mg1;
using archsim::analysis::mm1;
using archsim::analysis::mm1_response_quantile;
using archsim::analysis::mm1_wait_quantile;
using archsim::analysis::mmc;
using archsim::analysis::mmc_wait_quantile;
using archsim::analysis::mmck;
using archsim::analysis::mva;
using archsim::analysis::QueueMetrics;

constexpr double exact = 1e-9;

doctest::Approx near(double value) { return doctest::Approx(value).epsilon(exact); }

void check_same(const QueueMetrics& actual, const QueueMetrics& expected) {
  CHECK(actual.utilization == near(expected.utilization));
  CHECK(actual.prob_wait == near(expected.prob_wait));
  CHECK(actual.mean_wait == near(expected.mean_wait));
  CHECK(actual.mean_response == near(expected.mean_response));
  CHECK(actual.mean_queue_length == near(expected.mean_queue_length));
  CHECK(actual.mean_in_system == near(expected.mean_in_system));
}

}  // namespace

TEST_CASE("mm1 gives the textbook means for rho = 0.8") {
  // lambda = 8, mu = 10: W = 1 / (mu - lambda) = 0.5, Wq = rho W = 0.4,
  // L = rho / (1 - rho) = 4, Lq = rho^2 / (1 - rho) = 3.2 (Kleinrock vol. 1, 3.2).
  const QueueMetrics m = mm1(8.0, 10.0);
  CHECK(m.utilization == near(0.8));
  CHECK(m.prob_wait == near(0.8));
  CHECK(m.mean_response == near(0.5));
  CHECK(m.mean_wait == near(0.4));
  CHECK(m.mean_in_system == near(4.0));
  CHECK(m.mean_queue_length == near(3.2));
}

TEST_CASE("mm1 with no arrivals has no waiting and response equal to the service time") {
  const QueueMetrics m = mm1(0.0, 4.0);
  CHECK(m.utilization == 0.0);
  CHECK(m.mean_wait == 0.0);
  CHECK(m.mean_response == near(0.25));
  CHECK(m.mean_in_system == 0.0);
}

TEST_CASE("mm1 response time is exponential with rate mu - lambda") {
  // P(T <= t) = 1 - exp(-2 t) for lambda = 8, mu = 10, so the median is
  // ln 2 / 2 and the 99th percentile ln 100 / 2.
  CHECK(mm1_response_quantile(8.0, 10.0, 0.0) == 0.0);
  CHECK(mm1_response_quantile(8.0, 10.0, 0.5) == near(std::log(2.0) / 2.0));
  CHECK(mm1_response_quantile(8.0, 10.0, 0.99) == near(std::log(100.0) / 2.0));
  // Tiny q stays accurate thanks to log1p: t ~ q / (mu - lambda).
  CHECK(mm1_response_quantile(8.0, 10.0, 1e-12) == near(0.5e-12));
}

TEST_CASE("mm1 waiting time has an atom of 1 - rho at zero and an exponential tail") {
  // lambda = 8, mu = 10: P(W = 0) = 0.2, P(W > t) = 0.8 exp(-2 t).
  CHECK(mm1_wait_quantile(8.0, 10.0, 0.1) == 0.0);
  CHECK(mm1_wait_quantile(8.0, 10.0, 0.2) == 0.0);
  // 0.8 exp(-2 t) = 0.01 gives t = ln 80 / 2.
  CHECK(mm1_wait_quantile(8.0, 10.0, 0.99) == near(std::log(80.0) / 2.0));
  // Inverting the CDF at the returned time gives q back.
  const double t = mm1_wait_quantile(8.0, 10.0, 0.6);
  CHECK(1.0 - 0.8 * std::exp(-2.0 * t) == near(0.6));
}

TEST_CASE("erlang_b matches the published value for 10 servers and 5 Erlangs") {
  // 5^10 / 10! / sum_{k=0..10} 5^k / k!, evaluated exactly with rationals;
  // Erlang B tables list 0.01838.
  CHECK(erlang_b(10, 5.0) == near(0.018384570336648132));
}

TEST_CASE("erlang_b with one server is a / (1 + a)") {
  for (double a : {0.0, 0.1, 1.0, 3.5, 1000.0}) {
    CAPTURE(a);
    CHECK(erlang_b(1, a) == near(a / (1.0 + a)));
  }
}

TEST_CASE("erlang_b stays finite and in (0, 1) for thousands of servers") {
  // a^c / c! overflows a double long before c = 5000; the recursion does not.
  const double b = erlang_b(5000, 5000.0);
  CHECK(std::isfinite(b));
  CHECK(b > 0.0);
  CHECK(b < 1.0);
  // With c = a large, B ~ sqrt(2 / (pi c)) (Jagerman's asymptotic), so about
  // 0.0113; the asymptotic is only good to a few percent at this size.
  CHECK(b == doctest::Approx(std::sqrt(2.0 / (std::numbers::pi * 5000.0))).epsilon(0.05));
}

TEST_CASE("erlang_c with one server equals the utilization") {
  // M/M/1: an arrival waits exactly when the server is busy, w.p. rho.
  for (double rho : {0.0, 0.25, 0.5, 0.99}) {
    CAPTURE(rho);
    CHECK(erlang_c(1, rho) == near(rho));
  }
}

TEST_CASE("erlang_c matches the exact value for 10 servers and 5 Erlangs") {
  // C = c B / (c - a (1 - B)) with B exact as above, evaluated with
  // rationals; Erlang C tables list 0.0361.
  CHECK(erlang_c(10, 5.0) == near(0.03610535915832019));
}

TEST_CASE("mmc with one server equals mm1") {
  for (double lambda : {0.0, 1.0, 5.0, 9.99}) {
    CAPTURE(lambda);
    check_same(mmc(lambda, 10.0, 1), mm1(lambda, 10.0));
  }
}

TEST_CASE("mmc with two servers matches the M/M/2 closed form") {
  // M/M/2 with rho = lambda / (2 mu) = 0.5: P(wait) = 2 rho^2 / (1 + rho) = 1/3,
  // Lq = 2 rho^3 / (1 - rho^2) = 1/3, L = 2 rho / (1 - rho^2) = 4/3, and with
  // lambda = 1 Little gives Wq = 1/3, W = 4/3.
  const QueueMetrics m = mmc(1.0, 1.0, 2);
  CHECK(m.utilization == near(0.5));
  CHECK(m.prob_wait == near(1.0 / 3.0));
  CHECK(m.mean_queue_length == near(1.0 / 3.0));
  CHECK(m.mean_in_system == near(4.0 / 3.0));
  CHECK(m.mean_wait == near(1.0 / 3.0));
  CHECK(m.mean_response == near(4.0 / 3.0));
}

TEST_CASE("mmc waiting time is zero with probability 1 - C, then exponential at c mu - lambda") {
  // One server: the same law as mm1.
  CHECK(mmc_wait_quantile(8.0, 10.0, 1, 0.99) == near(mm1_wait_quantile(8.0, 10.0, 0.99)));
  // M/M/2 above: C = 1/3, tail rate 2 - 1 = 1, so the 0.9-quantile solves
  // (1/3) exp(-t) = 0.1: t = ln(10 / 3).
  CHECK(mmc_wait_quantile(1.0, 1.0, 2, 0.5) == 0.0);
  CHECK(mmc_wait_quantile(1.0, 1.0, 2, 0.9) == near(std::log(10.0 / 3.0)));
}

TEST_CASE("mg1 with the exponential second moment 2 / mu^2 equals mm1") {
  for (double lambda : {0.5, 3.0, 9.0}) {
    CAPTURE(lambda);
    check_same(mg1(lambda, 0.1, 2.0 * 0.1 * 0.1), mm1(lambda, 10.0));
  }
}

TEST_CASE("md1 mean wait is rho / (2 mu (1 - rho)), half of mm1") {
  // Pollaczek-Khinchine with E[S^2] = 1 / mu^2.
  const double mu = 10.0;
  for (double lambda : {1.0, 5.0, 9.5}) {
    CAPTURE(lambda);
    const double rho = lambda / mu;
    const QueueMetrics m = md1(lambda, 1.0 / mu);
    CHECK(m.utilization == near(rho));
    CHECK(m.mean_wait == near(rho / (2.0 * mu * (1.0 - rho))));
    CHECK(m.mean_wait == near(mm1(lambda, mu).mean_wait / 2.0));
    CHECK(m.mean_response == near(m.mean_wait + 1.0 / mu));
    CHECK(m.mean_in_system == near(lambda * m.mean_response));
  }
}

TEST_CASE("mmck with capacity equal to servers blocks with Erlang B") {
  // Loss system M/M/c/c: the blocking probability is Erlang B by definition.
  CHECK(mmck(5.0, 1.0, 10, 10).blocking_probability == near(0.018384570336648132));
  // Against the recursion, which shares no code with mmck's log weights.
  for (int c : {1, 2, 16, 200}) {
    for (double a : {0.5, 8.0, 150.0}) {
      CAPTURE(c);
      CAPTURE(a);
      CHECK(mmck(a * 3.0, 3.0, c, c).blocking_probability == near(erlang_b(c, a)));
    }
  }
}

TEST_CASE("mmck matches hand-computed M/M/1/5 and M/M/2/4") {
  // M/M/1/K with rho = 1/2, K = 5: p_K = (1 - rho) rho^K / (1 - rho^(K+1)) = 1/63,
  // L = rho / (1 - rho) - (K + 1) rho^(K+1) / (1 - rho^(K+1)) = 1 - 6/63 = 19/21.
  const auto single = mmck(1.0, 2.0, 1, 5);
  CHECK(single.blocking_probability == near(1.0 / 63.0));
  CHECK(single.mean_in_system == near(19.0 / 21.0));
  CHECK(single.throughput == near(62.0 / 63.0));
  // M/M/2/4 with lambda = 3, mu = 1: weights a^n/n! for n <= 2, then times
  // rho = 3/2: 1, 3, 9/2, 27/4, 81/8, which sum to 203/8. So p_4 = 81/203,
  // L = (3 + 2 * 9/2 + 3 * 27/4 + 4 * 81/8) * 8/203 = 582/203,
  // Lq = (1 * 27/4 + 2 * 81/8) * 8/203 = 216/203.
  const auto pair = mmck(3.0, 1.0, 2, 4);
  CHECK(pair.blocking_probability == near(81.0 / 203.0));
  CHECK(pair.throughput == near(3.0 * 122.0 / 203.0));
  CHECK(pair.utilization == near(3.0 * 122.0 / 203.0 / 2.0));
  CHECK(pair.mean_in_system == near(582.0 / 203.0));
  CHECK(pair.mean_queue_length == near(216.0 / 203.0));
  // Little over accepted jobs, and response = wait + one service.
  CHECK(pair.mean_response == near(pair.mean_in_system / pair.throughput));
  CHECK(pair.mean_response == near(pair.mean_wait + 1.0));
}

TEST_CASE("mmck with a large capacity and rho < 1 equals mmc") {
  // c = 16, K = 10,000, rho = 0.9: the states above K carry rho^9984 ~ 1e-457
  // of the mass, far below rounding.
  const auto finite = mmck(14.4, 1.0, 16, 10000);
  const QueueMetrics infinite = mmc(14.4, 1.0, 16);
  CHECK(finite.blocking_probability < 1e-300);
  CHECK(finite.throughput == near(14.4));
  CHECK(finite.utilization == near(infinite.utilization));
  CHECK(finite.mean_in_system == near(infinite.mean_in_system));
  CHECK(finite.mean_queue_length == near(infinite.mean_queue_length));
  CHECK(finite.mean_response == near(infinite.mean_response));
  CHECK(finite.mean_wait == near(infinite.mean_wait));
}

TEST_CASE("mmck overloaded with a large capacity neither overflows nor loses accuracy") {
  // c = 16, K = 10,000, rho = 2: the weights reach 2^9984. Near K the free
  // slots K - n are geometric with ratio 1/rho, so L -> K - 1/(rho - 1) = 9999,
  // and the servers are always busy: throughput -> c mu = 16, blocking -> 1/2.
  const auto m = mmck(32.0, 1.0, 16, 10000);
  CHECK(m.blocking_probability == near(0.5));
  CHECK(m.throughput == near(16.0));
  CHECK(m.utilization == near(1.0));
  CHECK(m.mean_in_system == near(9999.0));
  CHECK(m.mean_queue_length == near(9999.0 - 16.0));
}

TEST_CASE("mmck at rho = 1 with one server spreads the states uniformly") {
  // lambda = mu: p_n = 1 / (K + 1) for n = 0..K, so L = K / 2.
  const auto m = mmck(5.0, 5.0, 1, 10000);
  CHECK(m.blocking_probability == near(1.0 / 10001.0));
  CHECK(m.mean_in_system == near(5000.0));
}

TEST_CASE("mmck with no arrivals is empty") {
  const auto m = mmck(0.0, 2.0, 3, 10);
  CHECK(m.blocking_probability == 0.0);
  CHECK(m.throughput == 0.0);
  CHECK(m.mean_in_system == 0.0);
  CHECK(m.mean_response == near(0.5));
}

TEST_CASE("jackson tandem of three mm1 stations has the sum of their response times") {
  // Burke: each station of a tandem sees Poisson arrivals at rate 1, so the
  // sojourn is 1/(2-1) + 1/(3-1) + 1/(4-1) = 11/6.
  const std::vector<JacksonStation> stations{{1, 2.0}, {1, 3.0}, {1, 4.0}};
  Eigen::VectorXd external(3);
  external << 1.0, 0.0, 0.0;
  Eigen::MatrixXd routing = Eigen::MatrixXd::Zero(3, 3);
  routing(0, 1) = 1.0;
  routing(1, 2) = 1.0;
  const auto result = jackson_open(stations, external, routing);
  for (int i = 0; i < 3; ++i) {
    CAPTURE(i);
    CHECK(result.arrival_rate[i] == near(1.0));
    check_same(result.stations[i], mm1(1.0, stations[i].service_rate));
  }
  CHECK(result.throughput == near(1.0));
  CHECK(result.mean_sojourn == near(11.0 / 6.0));
}

TEST_CASE("jackson station feeding back to itself sees gamma / (1 - p)") {
  // gamma = 2, p = 1/2: lambda = 4, rho = 0.4 at mu = 10. A job makes
  // 1 / (1 - p) = 2 visits of 1 / (mu - lambda) = 1/6 each: sojourn 1/3,
  // the same as L / gamma = (0.4 / 0.6) / 2.
  const std::vector<JacksonStation> stations{{1, 10.0}};
  Eigen::VectorXd external(1);
  external << 2.0;
  Eigen::MatrixXd routing(1, 1);
  routing << 0.5;
  const auto result = jackson_open(stations, external, routing);
  CHECK(result.arrival_rate[0] == near(4.0));
  CHECK(result.stations[0].utilization == near(0.4));
  CHECK(result.stations[0].mean_response == near(1.0 / 6.0));
  CHECK(result.mean_sojourn == near(1.0 / 3.0));
  CHECK(result.throughput == near(2.0));
}

TEST_CASE("jackson central-server network matches the hand-solved traffic equations") {
  // A two-server CPU (mu = 5) sends a job to disk 1 (mu = 2) w.p. 0.3, to
  // disk 2 (mu = 1) w.p. 0.2, and out w.p. 0.5; disks return to the CPU.
  // With gamma = 1 at the CPU: lambda_cpu = 1 / 0.5 = 2, lambda_1 = 0.6,
  // lambda_2 = 0.4. L_cpu (M/M/2, rho = 0.2) = 2 rho / (1 - rho^2) = 5/12,
  // L_1 = 0.3 / 0.7 = 3/7, L_2 = 0.4 / 0.6 = 2/3; sojourn = 127/84.
  const std::vector<JacksonStation> stations{{2, 5.0}, {1, 2.0}, {1, 1.0}};
  Eigen::VectorXd external(3);
  external << 1.0, 0.0, 0.0;
  Eigen::MatrixXd routing(3, 3);
  routing << 0.0, 0.3, 0.2,
             1.0, 0.0, 0.0,
             1.0, 0.0, 0.0;
  const auto result = jackson_open(stations, external, routing);
  CHECK(result.arrival_rate[0] == near(2.0));
  CHECK(result.arrival_rate[1] == near(0.6));
  CHECK(result.arrival_rate[2] == near(0.4));
  CHECK(result.stations[0].mean_in_system == near(5.0 / 12.0));
  CHECK(result.stations[1].mean_in_system == near(3.0 / 7.0));
  CHECK(result.stations[2].mean_in_system == near(2.0 / 3.0));
  CHECK(result.mean_sojourn == near(127.0 / 84.0));
}

TEST_CASE("mva with one customer has response time equal to the sum of demands") {
  // Alone in the network, the customer never queues.
  const auto result = mva({0.2, 0.5, 0.3}, 4.0, 1);
  CHECK(result.response_time == near(1.0));
  CHECK(result.throughput == near(1.0 / 5.0));
  CHECK(result.residence_time[1] == near(0.5));
  CHECK(result.utilization[1] == near(0.1));
}

TEST_CASE("mva single station with zero think time runs at 1 / D for every population") {
  // Never idle once a customer exists: X = 1 / D, R = N D, Q = N.
  for (int n : {1, 2, 3, 50}) {
    CAPTURE(n);
    const auto result = mva({0.25}, 0.0, n);
    CHECK(result.throughput == near(4.0));
    CHECK(result.response_time == near(0.25 * n));
    CHECK(result.queue_length[0] == near(n));
    CHECK(result.utilization[0] == near(1.0));
  }
}

TEST_CASE("mva two stations matches the recursion worked by hand for N = 1, 2, 3") {
  // D = {1, 2}, Z = 0.
  // N = 1: R = {1, 2}, R = 3, X = 1/3, Q = {1/3, 2/3}.
  // N = 2: R = {1 + 1/3, 2 (1 + 2/3)} = {4/3, 10/3}, X = 2 / (14/3) = 3/7,
  //        Q = {4/7, 10/7}.
  // N = 3: R = {1 + 4/7, 2 (1 + 10/7)} = {11/7, 34/7}, X = 3 / (45/7) = 7/15,
  //        Q = {11/15, 34/15}.
  // Product form agrees for N = 3: P(n1, n2) ~ 1^n1 2^n2 over (3,0), (2,1),
  // (1,2), (0,3) = 1, 2, 4, 8 (sum 15), so U1 = 7/15 and Q2 = 34/15.
  const auto one = mva({1.0, 2.0}, 0.0, 1);
  CHECK(one.throughput == near(1.0 / 3.0));
  CHECK(one.response_time == near(3.0));
  CHECK(one.queue_length[0] == near(1.0 / 3.0));
  CHECK(one.queue_length[1] == near(2.0 / 3.0));

  const auto two = mva({1.0, 2.0}, 0.0, 2);
  CHECK(two.throughput == near(3.0 / 7.0));
  CHECK(two.response_time == near(14.0 / 3.0));
  CHECK(two.residence_time[0] == near(4.0 / 3.0));
  CHECK(two.residence_time[1] == near(10.0 / 3.0));
  CHECK(two.queue_length[0] == near(4.0 / 7.0));
  CHECK(two.queue_length[1] == near(10.0 / 7.0));

  const auto three = mva({1.0, 2.0}, 0.0, 3);
  CHECK(three.throughput == near(7.0 / 15.0));
  CHECK(three.response_time == near(45.0 / 7.0));
  CHECK(three.residence_time[0] == near(11.0 / 7.0));
  CHECK(three.residence_time[1] == near(34.0 / 7.0));
  CHECK(three.queue_length[0] == near(11.0 / 15.0));
  CHECK(three.queue_length[1] == near(34.0 / 15.0));
  CHECK(three.utilization[0] == near(7.0 / 15.0));
  CHECK(three.utilization[1] == near(14.0 / 15.0));
}

TEST_CASE("mva throughput approaches 1 / D_max as the population grows") {
  // Bottleneck law: X(N) <= 1 / max D, reached as N -> infinity; with D =
  // {1, 2} the gap shrinks like (1/2)^N.
  const auto result = mva({1.0, 2.0}, 0.0, 200);
  CHECK(result.throughput == near(0.5));
  CHECK(result.utilization[1] == near(1.0));
}

TEST_CASE("mva keeps every customer somewhere: sum of queues plus X Z equals N") {
  // Little's law over the whole cycle.
  const auto result = mva({0.05, 0.12, 0.03}, 1.5, 40);
  double total = result.throughput * 1.5;
  for (double q : result.queue_length) total += q;
  CHECK(total == near(40.0));
}

TEST_CASE("mva delay station behaves like the same amount of think time") {
  // An infinite-server station of demand Z adds Z to every cycle without
  // queueing, exactly as think time does.
  const auto with_delay = mva({0.05, 0.12, 2.0}, {false, false, true}, 0.0, 30);
  const auto with_think = mva({0.05, 0.12}, 2.0, 30);
  CHECK(with_delay.throughput == near(with_think.throughput));
  CHECK(with_delay.residence_time[0] == near(with_think.residence_time[0]));
  CHECK(with_delay.residence_time[1] == near(with_think.residence_time[1]));
  CHECK(with_delay.residence_time[2] == near(2.0));
  CHECK(with_delay.queue_length[2] == near(with_think.throughput * 2.0));
}

TEST_CASE("mva with a large think time approaches the open network at the same throughput") {
  // Many customers each thinking a long time form a nearly Poisson source;
  // each station then behaves as an open M/M/1 with residence D / (1 - X D).
  // The gap closes like 1/N: about 9/N relative here (measured 8.8e-4 at
  // N = 10^4, 8.8e-6 at N = 10^6), so N = 10^6 with a 1e-4 tolerance leaves a
  // tenfold margin.
  const std::vector<double> demands{0.4, 0.6, 0.2};
  const int customers = 1000000;
  const auto result = mva(demands, customers / 1.25, customers);  // X ~ 1.25
  double open_response = 0.0;
  for (std::size_t i = 0; i < demands.size(); ++i) {
    const double open_residence = demands[i] / (1.0 - result.throughput * demands[i]);
    CHECK(result.residence_time[i] == doctest::Approx(open_residence).epsilon(1e-4));
    open_response += open_residence;
  }
  CHECK(result.response_time == doctest::Approx(open_response).epsilon(1e-4));
  CHECK(result.throughput == doctest::Approx(1.25).epsilon(1e-4));
}

TEST_CASE("queueing functions refuse nonsense input") {
  using std::invalid_argument;
  // Rates and utilizations.
  CHECK_THROWS_AS(mm1(-1.0, 10.0), invalid_argument);
  CHECK_THROWS_AS(mm1(1.0, 0.0), invalid_argument);
  CHECK_THROWS_AS(mm1(10.0, 10.0), invalid_argument);
  CHECK_THROWS_AS(mm1(std::nan(""), 10.0), invalid_argument);
  CHECK_THROWS_WITH_AS(mm1(12.0, 10.0),
                       doctest::Contains("mm1: unstable: arrival_rate 12 >= total service rate 10"),
                       invalid_argument);
  CHECK_THROWS_AS(mm1_response_quantile(1.0, 10.0, 1.0), invalid_argument);
  CHECK_THROWS_AS(mm1_wait_quantile(1.0, 10.0, -0.1), invalid_argument);
  CHECK_THROWS_AS(erlang_b(0, 1.0), invalid_argument);
  CHECK_THROWS_AS(erlang_b(3, -1.0), invalid_argument);
  CHECK_THROWS_AS(erlang_c(3, 3.0), invalid_argument);
  CHECK_THROWS_AS(mmc(1.0, 1.0, 0), invalid_argument);
  CHECK_THROWS_AS(mmc(4.0, 1.0, 4), invalid_argument);
  CHECK_THROWS_AS(mg1(1.0, 0.5, 0.2), invalid_argument);  // E[S^2] < E[S]^2
  CHECK_THROWS_AS(mg1(2.0, 0.5, 0.5), invalid_argument);  // rho = 1
  CHECK_THROWS_AS(md1(1.0, -0.5), invalid_argument);
  CHECK_THROWS_AS(mmck(1.0, 1.0, 0, 5), invalid_argument);
  CHECK_THROWS_WITH_AS(mmck(1.0, 1.0, 4, 3), "mmck: capacity 3 must be at least servers 4 "
                                             "(capacity counts the jobs in service)",
                       invalid_argument);
  CHECK_THROWS_AS(mmck(-1.0, 1.0, 1, 5), invalid_argument);

  // Jackson: shapes, probabilities, traps and unstable stations.
  const std::vector<JacksonStation> two{{1, 10.0}, {1, 10.0}};
  Eigen::VectorXd external(2);
  external << 1.0, 0.0;
  Eigen::MatrixXd routing = Eigen::MatrixXd::Zero(2, 2);
  CHECK_NOTHROW(jackson_open(two, external, routing));
  CHECK_THROWS_AS(jackson_open(two, external, Eigen::MatrixXd::Zero(3, 3)), invalid_argument);
  CHECK_THROWS_AS(jackson_open(two, Eigen::VectorXd::Ones(3), routing), invalid_argument);
  CHECK_THROWS_AS(jackson_open({}, Eigen::VectorXd(0), Eigen::MatrixXd(0, 0)),
                  invalid_argument);
  CHECK_THROWS_AS(jackson_open(two, Eigen::VectorXd::Zero(2), routing), invalid_argument);
  CHECK_THROWS_AS(jackson_open({{0, 10.0}, {1, 10.0}}, external, routing), invalid_argument);
  CHECK_THROWS_AS(jackson_open({{1, -10.0}, {1, 10.0}}, external, routing), invalid_argument);
  Eigen::VectorXd negative(2);
  negative << 1.0, -0.5;
  CHECK_THROWS_AS(jackson_open(two, negative, routing), invalid_argument);
  Eigen::MatrixXd over(2, 2);
  over << 0.6, 0.6, 0.0, 0.0;
  CHECK_THROWS_AS(jackson_open(two, external, over), invalid_argument);
  Eigen::MatrixXd trap(2, 2);
  trap << 0.0, 1.0, 1.0, 0.0;  // jobs bounce between the two forever
  CHECK_THROWS_WITH_AS(jackson_open(two, external, trap),
                       doctest::Contains("routing traps jobs"), invalid_argument);
  Eigen::MatrixXd heavy_feedback(2, 2);
  heavy_feedback << 0.95, 0.0, 0.0, 0.0;  // lambda_0 = 1 / 0.05 = 20 > mu = 10
  CHECK_THROWS_WITH_AS(jackson_open(two, external, heavy_feedback),
                       doctest::Contains("station 0 is unstable"), invalid_argument);

  // MVA.
  CHECK_THROWS_AS(mva({1.0}, 1.0, 0), invalid_argument);
  CHECK_THROWS_AS(mva({-1.0}, 1.0, 3), invalid_argument);
  CHECK_THROWS_AS(mva({1.0}, -1.0, 3), invalid_argument);
  CHECK_THROWS_AS(mva({0.0, 0.0}, 0.0, 3), invalid_argument);
  CHECK_THROWS_AS(mva({1.0, 2.0}, {true}, 0.0, 3), invalid_argument);
}
