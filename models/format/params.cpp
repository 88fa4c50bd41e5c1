#include "models/format/params.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

namespace archsim::models {
namespace {

using spec::Json;
using spec::Spec;

// What a distribution's values measure: durations in milliseconds, or sizes
// in bytes. Its fields are named for it (mean_ms, mean_bytes).
struct Quantity {
  const char* suffix;  // of the field names, and their unit
  double max;          // the largest value a field takes
  const char* noun;    // "durations in milliseconds"
  const char* name;    // of the declaration, in the reference
};
constexpr Quantity kDuration{"ms", kMaxMilliseconds, "durations in milliseconds", "distribution"};
constexpr Quantity kSize{"bytes", kMaxBytes, "sizes in bytes", "size_distribution"};

std::string text(double v) { return spec::format_number(v); }

}  // namespace

namespace {

// The declaration of a distribution of the quantity `q`: its fields are
// named NAME_ms for durations, NAME_bytes for sizes.
spec::NodeRef distribution_spec(const Quantity& q) {
  const std::string u = q.suffix;
  // Kept by the checks below, which run long after this returns: by value.
  const auto f = [u](const char* name) { return std::string(name) + "_" + u; };
  const auto value = [&](std::string doc) { return Spec::number(std::move(doc)).unit(u).min(0).max(q.max); };
  const auto positive = [&](std::string doc) {
    return Spec::number(std::move(doc)).unit(u).greater_than(0).max(q.max);
  };

  Spec constant = Spec::object("Always the same value");
  constant.required(f("value"), value("The value"));

  Spec uniform = Spec::object("Uniform between " + f("min") + " and " + f("max"));
  uniform.required(f("min"), value("Smallest value")).required(f("max"), value("Largest value"));
  uniform.check([f](const Json& v, const spec::Path& path, spec::Errors& errors) {
    const double low = v[f("min")].get<double>(), high = v[f("max")].get<double>();
    if (high < low) errors.add(path / f("max"), "must be at least " + f("min") + " (" + text(low) + "), got " + text(high));
  });

  Spec exponential = Spec::object("Exponential (memoryless) with the given mean");
  exponential.required(f("mean"), positive("Mean"));

  Spec normal = Spec::object("Normal, with draws below zero drawn again (so the mean rises when " + f("stddev") +
                             " is large)");
  normal.required(f("mean"), value("Mean before truncation"))
      .required(f("stddev"), value("Standard deviation before truncation"));
  normal.check([f](const Json& v, const spec::Path& path, spec::Errors& errors) {
    const double mean = v[f("mean")].get<double>(), sd = v[f("stddev")].get<double>();
    if (sd > 0 && mean / sd < -4)
      errors.add(path, f("mean") + " is more than 4 standard deviations below zero; almost every draw would be redrawn");
  });

  Spec lognormal = Spec::object("Lognormal given its mean and either its 99th percentile or its coefficient of variation");
  lognormal.required(f("mean"), positive("Mean"))
      .optional(f("p99"), positive("99th percentile; must exceed the mean"))
      .optional("cv", Spec::number("Coefficient of variation (standard deviation / mean)").min(0).max(100));
  lognormal.check([f](const Json& v, const spec::Path& path, spec::Errors& errors) {
    const bool has_p99 = v.contains(f("p99")), has_cv = v.contains("cv");
    if (has_p99 == has_cv) {
      errors.add(path, "give exactly one of " + f("p99") + " and cv");
      return;
    }
    if (has_p99) {
      const double mean = v[f("mean")].get<double>(), p99 = v[f("p99")].get<double>();
      const double limit = sim::Distribution::lognormal_max_p99_ratio();
      if (p99 <= mean)
        errors.add(path / f("p99"), "must be greater than " + f("mean") + " (" + text(mean) + "), got " + text(p99));
      else if (p99 / mean > limit)
        errors.add(path / f("p99"), "no lognormal has p99 / mean above " + text(std::floor(limit * 100) / 100) +
                                        "; got " + text(p99 / mean) + " (use pareto for heavier tails)");
    }
  });

  Spec pareto = Spec::object("Pareto (heavy tail): minimum " + f("scale") +
                             ", tail index shape; mean = shape * scale / (shape - 1)");
  pareto.required(f("scale"), positive("Smallest value"))
      .required("shape", Spec::number("Tail index; above 1 so the mean is finite, above 2 for a finite variance")
                             .greater_than(1)
                             .max(100));

  Spec weibull = Spec::object("Weibull with scale and shape (shape 1 is exponential)");
  weibull.required(f("scale"), positive("Scale")).required("shape", Spec::number("Shape").greater_than(0.05).max(100));

  Spec empirical = Spec::object("Measured percentiles, linearly interpolated between the points given");
  empirical.required(f("percentiles"),
                     Spec::map("Value at each percentile: keys \"0\" (minimum) to \"100\" (maximum), for example "
                               "{\"0\": 1, \"50\": 4, \"99\": 30, \"100\": 80}",
                               value("Value at that percentile"))
                         .items(2, 1000));
  empirical.check([f](const Json& v, const spec::Path& path, spec::Errors& errors) {
    const spec::Path p = path / f("percentiles");
    std::vector<std::pair<double, double>> points;
    for (const auto& [key, value] : v[f("percentiles")].items()) {
      char* end = nullptr;
      const double pct = std::strtod(key.c_str(), &end);
      if (end == key.c_str() || *end != '\0' || !(pct >= 0 && pct <= 100)) {
        errors.add(p, "key \"" + key + "\" must be a percentile from 0 to 100");
        return;
      }
      points.emplace_back(pct, value.get<double>());
    }
    std::sort(points.begin(), points.end());
    if (points.front().first != 0 || points.back().first != 100) {
      errors.add(p, "must give the percentiles \"0\" (minimum) and \"100\" (maximum)");
      return;
    }
    for (std::size_t i = 1; i < points.size(); ++i) {
      if (points[i].first == points[i - 1].first) errors.add(p, "percentile " + text(points[i].first) + " is given twice");
      else if (points[i].second < points[i - 1].second)
        errors.add(p, "values must not decrease with the percentile: the value at \"" + text(points[i].first) + "\" (" +
                          text(points[i].second) + ") is below the value at \"" + text(points[i - 1].first) + "\" (" +
                          text(points[i - 1].second) + ")");
    }
  });

  Spec distribution = Spec::variant(std::string("A distribution of ") + q.noun, "type");
  distribution.named(q.name)
      .alternative("constant", constant)
      .alternative("uniform", uniform)
      .alternative("exponential", exponential)
      .alternative("normal", normal)
      .alternative("lognormal", lognormal)
      .alternative("pareto", pareto)
      .alternative("weibull", weibull)
      .alternative("empirical", empirical);
  return distribution.build();
}

sim::Distribution make_distribution(const Json& v, const Quantity& q) {
  const std::string u = q.suffix;
  const auto at = [&](const char* name) { return v.at(std::string(name) + "_" + u).get<double>(); };
  const std::string type = v.at("type").get<std::string>();
  if (type == "constant") return sim::Distribution::constant(at("value"));
  if (type == "uniform") return sim::Distribution::uniform(at("min"), at("max"));
  if (type == "exponential") return sim::Distribution::exponential(at("mean"));
  if (type == "normal") return sim::Distribution::normal(at("mean"), at("stddev"), 0.0);
  if (type == "lognormal") {
    if (v.contains("p99_" + u)) return sim::Distribution::lognormal_mean_p99(at("mean"), at("p99"));
    return sim::Distribution::lognormal_mean_cv(at("mean"), v["cv"].get<double>());
  }
  if (type == "pareto") return sim::Distribution::pareto(at("scale"), v["shape"].get<double>());
  if (type == "weibull") return sim::Distribution::weibull(at("scale"), v["shape"].get<double>());
  std::vector<std::pair<double, double>> points;
  for (const auto& [key, value] : v["percentiles_" + u].items()) points.emplace_back(std::stod(key), value.get<double>());
  std::sort(points.begin(), points.end());
  return sim::Distribution::empirical(std::move(points));
}

}  // namespace

spec::NodeRef time_distribution_spec() {
  static const spec::NodeRef node = distribution_spec(kDuration);
  return node;
}
sim::Distribution make_time_distribution(const Json& v) { return make_distribution(v, kDuration); }

spec::NodeRef size_distribution_spec() {
  static const spec::NodeRef node = distribution_spec(kSize);
  return node;
}

SizeDistribution::SizeDistribution(const Json& value)
    : distribution_(std::make_shared<const sim::Distribution>(make_distribution(value, kSize))) {
  constant_ = distribution_->is_constant();
  if (constant_) fixed_ = clamp(distribution_->mean());
}

std::uint32_t SizeDistribution::size_of(std::uint64_t key, std::uint64_t salt) const {
  if (constant_) return fixed_;
  // The key's own stream: the same key always draws the same size.
  sim::Rng rng(sim::mix64(key ^ salt));
  return clamp(distribution_->sample(rng));
}

std::uint64_t value_size_salt(std::uint64_t seed) { return sim::mix64(seed ^ 0x76616c75652d7369); }


Delay::Delay(sim::Distribution distribution)
    : distribution_(std::make_shared<const sim::Distribution>(std::move(distribution))) {
  constant_ = distribution_->is_constant();
  if (constant_) fixed_ = sim::Time::from_ms(distribution_->mean());
}

spec::NodeRef population_spec(const char* what, std::int64_t default_count) {
  Spec uniform = Spec::object("Every member equally likely");
  Spec zipf = Spec::object("Zipf's law: the k-th most popular member is drawn with probability proportional to 1 / k^exponent");
  zipf.required("exponent", Spec::number("Skew; 0.8 to 1.2 is typical of web traffic").greater_than(0).max(10));
  Spec popularity = Spec::variant("How often each member is drawn", "type");
  popularity.named("popularity").alternative("uniform", uniform).alternative("zipf", zipf);

  Spec population = Spec::object(std::string("The ") + what + " that requests are spread over; when left out, " +
                                 std::to_string(default_count) + " equally likely");
  population.optional("count", Spec::integer(std::string("Number of distinct ") + what)
                                   .min(1)
                                   .max(kMaxPopulation)
                                   .default_value(default_count))
      .optional("popularity", popularity, Json{{"type", "uniform"}});
  return population.build();
}

Json default_population(std::int64_t count) { return Json{{"count", count}, {"popularity", {{"type", "uniform"}}}}; }

Population::Population(const Json& value) : count_(value.at("count").get<std::uint64_t>()) {
  const auto& popularity = value.at("popularity");
  if (popularity.at("type") == "zipf")
    zipf_ = std::make_shared<const sim::Zipf>(count_, popularity.at("exponent").get<double>());
}

}  // namespace archsim::models
