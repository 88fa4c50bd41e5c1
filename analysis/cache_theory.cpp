#include "analysis/cache_theory.h"

#include <cmath>
#include <stdexcept>
#include <string>

namespace archsim::analysis {
namespace {

void check_popularities(const std::vector<double>& p, std::uint64_t capacity, const char* function) {
  if (p.empty()) throw std::invalid_argument(std::string(function) + ": no keys");
  if (capacity < 1 || capacity >= p.size())
    throw std::invalid_argument(std::string(function) + ": capacity " + std::to_string(capacity) +
                                " is not between 1 and the number of keys minus one (" +
                                std::to_string(p.size() - 1) + ")");
  for (std::size_t k = 0; k < p.size(); ++k)
    if (!(p[k] > 0) || (k > 0 && p[k] > p[k - 1]))
      throw std::invalid_argument(std::string(function) + ": popularities must be positive and not increasing, p[" +
                                  std::to_string(k) + "] = " + std::to_string(p[k]));
}

// The root T of sum_k occupancy(p_k T) = capacity, for an occupancy that
// rises from 0 to 1 and is at most p_k T (so T >= capacity). Bisection to
// the last bit: a few hundred passes over p.
template <class Occupancy>
double characteristic_time(const std::vector<double>& p, std::uint64_t capacity, Occupancy occupancy) {
  const double c = static_cast<double>(capacity);
  auto held = [&](double t) {
    double sum = 0;
    for (std::size_t k = p.size(); k-- > 0;) sum += occupancy(p[k] * t);
    return sum;
  };
  double lo = c, hi = 2 * c;
  while (held(hi) < c) {
    lo = hi;
    hi *= 2;
  }
  for (int i = 0; i < 200 && hi - lo > 1e-15 * hi; ++i) {
    const double mid = lo + (hi - lo) / 2;
    (held(mid) < c ? lo : hi) = mid;
  }
  return lo + (hi - lo) / 2;
}

}  // namespace

std::vector<double> zipf_popularities(std::uint64_t n, double exponent) {
  if (n < 1 || !(exponent > 0)) throw std::invalid_argument("zipf_popularities: needs n >= 1 and exponent > 0");
  std::vector<double> p(n);
  double sum = 0;
  for (std::uint64_t k = n; k >= 1; --k) {
    p[k - 1] = std::pow(static_cast<double>(k), -exponent);
    sum += p[k - 1];
  }
  for (double& x : p) x /= sum;
  return p;
}

double top_popularity(const std::vector<double>& p, std::uint64_t count) {
  if (count > p.size()) throw std::invalid_argument("top_popularity: count beyond the number of keys");
  double sum = 0;
  for (std::uint64_t k = count; k-- > 0;) sum += p[k];
  return sum;
}

CharacteristicTime lru_che(const std::vector<double>& p, std::uint64_t capacity) {
  check_popularities(p, capacity, "lru_che");
  const double t = characteristic_time(p, capacity, [](double x) { return -std::expm1(-x); });
  double hit = 0;
  for (std::size_t k = p.size(); k-- > 0;) hit += p[k] * -std::expm1(-p[k] * t);
  return {t, hit};
}

CharacteristicTime fifo_random_approximation(const std::vector<double>& p, std::uint64_t capacity) {
  check_popularities(p, capacity, "fifo_random_approximation");
  const double t = characteristic_time(p, capacity, [](double x) { return x / (1 + x); });
  double hit = 0;
  for (std::size_t k = p.size(); k-- > 0;) hit += p[k] * (p[k] * t / (1 + p[k] * t));
  return {t, hit};
}

double fifo_random_exact(const std::vector<double>& p, std::uint64_t capacity) {
  check_popularities(p, capacity, "fifo_random_exact");
  // e_m of x_k = p_k T, with T the approximation's characteristic time, so
  // that the terms near m = C are of similar size; the vector is rescaled
  // by its largest entry after each key (only the ratio e_{C+1} / e_C is
  // used). Every term is positive: no cancellation.
  const double t = fifo_random_approximation(p, capacity).time;
  const std::size_t top = capacity + 1;
  std::vector<double> e(top + 1, 0.0);
  e[0] = 1;
  for (std::size_t k = 0; k < p.size(); ++k) {
    const double x = p[k] * t;
    const std::size_t highest = k + 1 < top ? k + 1 : top;
    double largest = 0;
    for (std::size_t m = highest; m >= 1; --m) {
      e[m] += x * e[m - 1];
      if (e[m] > largest) largest = e[m];
    }
    if (e[0] > largest) largest = e[0];
    for (double& v : e) v /= largest;
  }
  // Miss ratio (C + 1) e_{C+1}(p) / e_C(p): summed over the C-sets S, the
  // weight of S times the popularity of the keys outside it counts each
  // (C+1)-set C + 1 times.
  const double ratio = e[top] / e[capacity] / t;
  return 1 - static_cast<double>(top) * ratio;
}

double lru_exact(const std::vector<double>& p, std::uint64_t capacity, int points_per_e) {
  check_popularities(p, capacity, "lru_exact");
  if (points_per_e < 4) throw std::invalid_argument("lru_exact: points_per_e must be at least 4");
  const std::size_t n = p.size();
  const std::size_t c = capacity;
  // Miss ratio M = sum_k p_k int_0^inf p_k e^{-p_k t} G_k(t) dt, where
  // G_k(t) = P(at least C keys other than k requested in a time t) and
  // requests arrive at rate 1. In x = ln t, by the trapezoid rule.
  //
  // Below t_low the integrand is under sum p_k^2 P(Poisson(t) >= C), and
  // its integral there under t_low times the Chernoff bound e^-t (e t / C)^C:
  // t_low is taken where that is below 1e-15. Once every G_k(t) is 1 to
  // within 1e-18, the integrand is sum_k p_k^2 e^{-p_k t} (no more sums of
  // probabilities), followed on the same grid until e^{-p_n t} < e^-40, so
  // the rule keeps its rapid convergence for a smooth integrand that
  // vanishes at both ends.
  const double cd = static_cast<double>(c);
  auto chernoff = [&](double t) { return t >= cd ? 1.0 : std::exp(-t + cd * std::log(std::exp(1.0) * t / cd)); };
  double t_low = cd;
  while (t_low > 1e-12 && t_low * chernoff(t_low) > 1e-15) t_low /= 2;
  const double h = 1.0 / points_per_e;

  // suffix[k * c + b] = P(at most b of keys k.. requested), b < C.
  std::vector<double> suffix((n + 1) * c);
  std::vector<double> pmf(c), prefix(c), q(n);
  double miss = 0;
  bool saturated = false;
  for (int i = 0;; ++i) {
    const double t = t_low * std::exp(i * h);
    double integrand = 0;
    if (saturated) {
      if (p[n - 1] * t > 40) break;
      for (std::size_t k = n; k-- > 0;) integrand += p[k] * p[k] * std::exp(-p[k] * t);
    } else {
      for (std::size_t k = 0; k < n; ++k) q[k] = -std::expm1(-p[k] * t);
      std::fill(pmf.begin(), pmf.end(), 0.0);
      pmf[0] = 1;
      for (std::size_t b = 0; b < c; ++b) suffix[n * c + b] = 1;
      for (std::size_t k = n; k-- > 0;) {
        for (std::size_t b = c - 1; b >= 1; --b) pmf[b] = pmf[b] * (1 - q[k]) + pmf[b - 1] * q[k];
        pmf[0] *= 1 - q[k];
        double cumulative = 0;
        for (std::size_t b = 0; b < c; ++b) suffix[k * c + b] = cumulative += pmf[b];
      }
      std::fill(prefix.begin(), prefix.end(), 0.0);
      prefix[0] = 1;
      double largest_f = 0;
      for (std::size_t k = 0; k < n; ++k) {
        // F_k = P(at most C - 1 of the others) = sum_a prefix(a) suffix_{k+1}(C - 1 - a).
        double f = 0;
        const double* s = &suffix[(k + 1) * c];
        for (std::size_t a = 0; a < c; ++a) f += prefix[a] * s[c - 1 - a];
        if (f > largest_f) largest_f = f;
        integrand += p[k] * p[k] * std::exp(-p[k] * t) * (1 - f);
        for (std::size_t a = c - 1; a >= 1; --a) prefix[a] = prefix[a] * (1 - q[k]) + prefix[a - 1] * q[k];
        prefix[0] *= 1 - q[k];
      }
      saturated = largest_f < 1e-18;
    }
    miss += (i == 0 ? h / 2 : h) * integrand * t;
  }
  return 1 - miss;
}

double perfect_lfu_always_admit(const std::vector<double>& p, std::uint64_t capacity) {
  check_popularities(p, capacity, "perfect_lfu_always_admit");
  // The head holds ranks 1..C-1. The last slot holds the tail key requested
  // last: a tail request hits iff it is for the same key as the previous
  // tail request.
  double tail = 0, tail_squares = 0;
  for (std::size_t k = p.size(); k-- > capacity - 1;) {
    tail += p[k];
    tail_squares += p[k] * p[k];
  }
  return top_popularity(p, capacity - 1) + tail_squares / tail;
}

double ttl_fixed_hit_ratio(const std::vector<double>& p, double rate, double ttl) {
  if (!(rate > 0) || !(ttl >= 0)) throw std::invalid_argument("ttl_fixed_hit_ratio: needs rate > 0 and ttl >= 0");
  // Per key, a renewal cycle: a miss, then r T hits on average before the
  // entry expires; the next request is a miss again.
  double hit = 0;
  for (std::size_t k = p.size(); k-- > 0;) {
    const double x = rate * p[k] * ttl;
    hit += p[k] * x / (1 + x);
  }
  return hit;
}

double ttl_sliding_hit_ratio(const std::vector<double>& p, double rate, double ttl) {
  if (!(rate > 0) || !(ttl >= 0)) throw std::invalid_argument("ttl_sliding_hit_ratio: needs rate > 0 and ttl >= 0");
  // A request hits iff the key's previous request is less than T before it.
  double hit = 0;
  for (std::size_t k = p.size(); k-- > 0;) hit += p[k] * -std::expm1(-rate * p[k] * ttl);
  return hit;
}

}  // namespace archsim::analysis
