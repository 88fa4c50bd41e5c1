#include "sim/distribution.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>
#include <numbers>
#include <sstream>

#include "sim/elementary.h"

namespace archsim::sim {
namespace {

double standard_normal(Rng& rng) {
  // Box-Muller, one value per pair of uniforms (no hidden state, so a draw
  // depends only on the stream's position).
  const double u1 = rng.uniform_open0();
  const double u2 = rng.uniform();
  return std::sqrt(-2.0 * elementary::log(u1)) * elementary::cos(2.0 * std::numbers::pi * u2);
}

// The ziggurat's tables, built once from the layer boundaries x_i of the
// exponential density: k[i] decides the fast path (a point inside the
// rectangle under layer i), w[i] scales the 53-bit point to x, f[i] = e^-x_i.
struct ZigguratTables {
  static constexpr double kR = 7.697117470131487;   // x_1, start of the tail
  static constexpr double kV = 3.949659822581572e-3;  // area of every layer
  std::uint64_t k[256];
  double w[256];
  double f[256];
  ZigguratTables() {
    constexpr double m = 9007199254740992.0;  // 2^53
    double d = kR, t = kR;
    const double q = kV / elementary::exp(-d);
    k[0] = static_cast<std::uint64_t>((d / q) * m);
    k[1] = 0;
    w[0] = q / m;
    w[255] = d / m;
    f[0] = 1.0;
    f[255] = elementary::exp(-d);
    for (int i = 254; i >= 1; --i) {
      d = -elementary::log(kV / d + elementary::exp(-d));
      k[i + 1] = static_cast<std::uint64_t>((d / t) * m);
      t = d;
      f[i] = elementary::exp(-d);
      w[i] = d / m;
    }
  }
};

const ZigguratTables& ziggurat() {
  static const ZigguratTables tables;
  return tables;
}

double normal_pdf(double x) { return std::exp(-0.5 * x * x) / std::sqrt(2.0 * std::numbers::pi); }
double normal_upper_tail(double x) { return 0.5 * std::erfc(x / std::numbers::sqrt2); }

}  // namespace

double standard_exponential(Rng& rng) {
  const ZigguratTables& z = ziggurat();
  for (;;) {
    const std::uint64_t u = rng.next();
    const unsigned i = static_cast<unsigned>(u & 0xFF);
    const std::uint64_t j = u >> 11;
    if (j < z.k[i]) return static_cast<double>(j) * z.w[i];  // inside the layer's rectangle
    if (i == 0) return ZigguratTables::kR - elementary::log(rng.uniform_open0());  // the tail beyond x_1
    const double x = static_cast<double>(j) * z.w[i];  // the wedge: accept under the density
    if (z.f[i] + rng.uniform() * (z.f[i - 1] - z.f[i]) < elementary::exp(-x)) return x;
  }
}

Distribution Distribution::constant(double value) {
  Distribution d;
  d.kind_ = Kind::Constant;
  d.a_ = value;
  return d;
}

Distribution Distribution::uniform(double low, double high) {
  assert(low <= high);
  Distribution d;
  d.kind_ = Kind::Uniform;
  d.a_ = low;
  d.b_ = high;
  return d;
}

Distribution Distribution::exponential(double mean) {
  assert(mean > 0);
  Distribution d;
  d.kind_ = Kind::Exponential;
  d.a_ = mean;
  return d;
}

Distribution Distribution::normal(double mean, double stddev, double lower) {
  assert(stddev >= 0);
  // With the lower bound more than 8 standard deviations above the mean the
  // redraw loop would never end; callers validate against that.
  assert(stddev == 0 ? mean >= lower : (lower - mean) / stddev < 8);
  Distribution d;
  d.kind_ = Kind::Normal;
  d.a_ = mean;
  d.b_ = stddev;
  d.c_ = lower;
  return d;
}

Distribution Distribution::lognormal(double mu, double sigma) {
  assert(sigma >= 0);
  Distribution d;
  d.kind_ = Kind::Lognormal;
  d.a_ = mu;
  d.b_ = sigma;
  return d;
}

double Distribution::lognormal_max_p99_ratio() { return elementary::exp(kNormalZ99 * kNormalZ99 / 2); }

Distribution Distribution::lognormal_mean_p99(double mean, double p99) {
  // mean = exp(mu + sigma^2 / 2) and p99 = exp(mu + z sigma), so
  // sigma^2 / 2 - z sigma + ln(p99 / mean) = 0. Both roots fit the two
  // figures; the smaller is the lighter tail, the one a measured service
  // with that mean and p99 plausibly has (the larger puts most of its mass
  // far below the mean and the rest in an extreme tail).
  assert(mean > 0 && p99 > mean && p99 / mean <= lognormal_max_p99_ratio() * (1 + 1e-12));
  const double z = kNormalZ99;
  const double disc = std::max(0.0, z * z - 2 * elementary::log(p99 / mean));
  const double sigma = z - std::sqrt(disc);
  return lognormal(elementary::log(mean) - sigma * sigma / 2, sigma);
}

Distribution Distribution::lognormal_mean_cv(double mean, double cv) {
  assert(mean > 0 && cv >= 0);
  const double sigma2 = elementary::log1p(cv * cv);
  return lognormal(elementary::log(mean) - sigma2 / 2, std::sqrt(sigma2));
}

Distribution Distribution::pareto(double scale, double shape) {
  assert(scale > 0 && shape > 1);
  Distribution d;
  d.kind_ = Kind::Pareto;
  d.a_ = scale;
  d.b_ = shape;
  return d;
}

Distribution Distribution::weibull(double scale, double shape) {
  assert(scale > 0 && shape > 0);
  Distribution d;
  d.kind_ = Kind::Weibull;
  d.a_ = scale;
  d.b_ = shape;
  return d;
}

Distribution Distribution::empirical(std::vector<std::pair<double, double>> points) {
  assert(points.size() >= 2);
  assert(points.front().first == 0 && points.back().first == 100);
  Distribution d;
  d.kind_ = Kind::Empirical;
  for (auto& [p, v] : points) d.points_.emplace_back(p / 100.0, v);
  for (std::size_t i = 1; i < d.points_.size(); ++i) {
    assert(d.points_[i].first > d.points_[i - 1].first);
    assert(d.points_[i].second >= d.points_[i - 1].second);
  }
  return d;
}

double Distribution::sample(Rng& rng) const {
  switch (kind_) {
    case Kind::Constant:
      return a_;
    case Kind::Uniform:
      return a_ + (b_ - a_) * rng.uniform();
    case Kind::Exponential:
      return a_ * standard_exponential(rng);
    case Kind::Normal:
      for (;;) {
        const double x = a_ + b_ * standard_normal(rng);
        if (x >= c_) return x;
      }
    case Kind::Lognormal:
      return elementary::exp(a_ + b_ * standard_normal(rng));
    case Kind::Pareto:
      return a_ * elementary::pow(rng.uniform_open0(), -1.0 / b_);
    case Kind::Weibull:
      return a_ * elementary::pow(-elementary::log(rng.uniform_open0()), 1.0 / b_);
    case Kind::Empirical: {
      const double u = rng.uniform();
      // First point with fraction > u; u < 1 so it exists.
      auto it = std::upper_bound(points_.begin(), points_.end(), u,
                                 [](double x, const auto& point) { return x < point.first; });
      const auto& hi = *it;
      const auto& lo = *(it - 1);
      const double t = (u - lo.first) / (hi.first - lo.first);
      return lo.second + t * (hi.second - lo.second);
    }
  }
  return 0;
}

double Distribution::mean() const {
  switch (kind_) {
    case Kind::Constant: return a_;
    case Kind::Uniform: return (a_ + b_) / 2;
    case Kind::Exponential: return a_;
    case Kind::Normal: {
      if (b_ == 0 || !std::isfinite(c_)) return a_;
      const double alpha = (c_ - a_) / b_;
      return a_ + b_ * normal_pdf(alpha) / normal_upper_tail(alpha);
    }
    case Kind::Lognormal: return std::exp(a_ + b_ * b_ / 2);
    case Kind::Pareto: return b_ * a_ / (b_ - 1);
    case Kind::Weibull: return a_ * std::tgamma(1 + 1 / b_);
    case Kind::Empirical: {
      double sum = 0;
      for (std::size_t i = 1; i < points_.size(); ++i)
        sum += (points_[i].first - points_[i - 1].first) *
               (points_[i].second + points_[i - 1].second) / 2;
      return sum;
    }
  }
  return 0;
}

double Distribution::variance() const {
  switch (kind_) {
    case Kind::Constant: return 0;
    case Kind::Uniform: return (b_ - a_) * (b_ - a_) / 12;
    case Kind::Exponential: return a_ * a_;
    case Kind::Normal: {
      if (b_ == 0 || !std::isfinite(c_)) return b_ * b_;
      const double alpha = (c_ - a_) / b_;
      const double lambda = normal_pdf(alpha) / normal_upper_tail(alpha);
      return b_ * b_ * (1 + alpha * lambda - lambda * lambda);
    }
    case Kind::Lognormal: return std::expm1(b_ * b_) * std::exp(2 * a_ + b_ * b_);
    case Kind::Pareto:
      if (b_ <= 2) return std::numeric_limits<double>::infinity();
      return a_ * a_ * b_ / ((b_ - 1) * (b_ - 1) * (b_ - 2));
    case Kind::Weibull: {
      const double g1 = std::tgamma(1 + 1 / b_);
      return a_ * a_ * (std::tgamma(1 + 2 / b_) - g1 * g1);
    }
    case Kind::Empirical: {
      double second = 0;
      for (std::size_t i = 1; i < points_.size(); ++i) {
        const double v0 = points_[i - 1].second, v1 = points_[i].second;
        second += (points_[i].first - points_[i - 1].first) * (v0 * v0 + v0 * v1 + v1 * v1) / 3;
      }
      const double m = mean();
      return std::max(0.0, second - m * m);
    }
  }
  return 0;
}

std::string Distribution::describe() const {
  std::ostringstream out;
  switch (kind_) {
    case Kind::Constant: out << "constant(" << a_ << ")"; break;
    case Kind::Uniform: out << "uniform(" << a_ << ", " << b_ << ")"; break;
    case Kind::Exponential: out << "exponential(mean " << a_ << ")"; break;
    case Kind::Normal: out << "normal(mean " << a_ << ", stddev " << b_ << ")"; break;
    case Kind::Lognormal: out << "lognormal(mu " << a_ << ", sigma " << b_ << ")"; break;
    case Kind::Pareto: out << "pareto(scale " << a_ << ", shape " << b_ << ")"; break;
    case Kind::Weibull: out << "weibull(scale " << a_ << ", shape " << b_ << ")"; break;
    case Kind::Empirical: out << "empirical(" << points_.size() << " points)"; break;
  }
  return out.str();
}

}  // namespace archsim::sim
