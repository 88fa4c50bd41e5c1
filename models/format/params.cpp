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

Spec time_ms(std::string doc) { return Spec::number(std::move(doc)).unit("ms").min(0).max(kMaxMilliseconds); }
Spec positive_ms(std::string doc) {
  return Spec::number(std::move(doc)).unit("ms").greater_than(0).max(kMaxMilliseconds);
}

std::string text(double v) { return spec::format_number(v); }

}  // namespace

spec::NodeRef time_distribution_spec() {
  static const spec::NodeRef node = [] {
    Spec constant = Spec::object("Always the same value");
    constant.required("value_ms", time_ms("The value"));

    Spec uniform = Spec::object("Uniform between min_ms and max_ms");
    uniform.required("min_ms", time_ms("Smallest value")).required("max_ms", time_ms("Largest value"));
    uniform.check([](const Json& v, const spec::Path& path, spec::Errors& errors) {
      if (v["max_ms"].get<double>() < v["min_ms"].get<double>())
        errors.add(path / "max_ms", "must be at least min_ms (" + text(v["min_ms"].get<double>()) + "), got " +
                                        text(v["max_ms"].get<double>()));
    });

    Spec exponential = Spec::object("Exponential (memoryless) with the given mean");
    exponential.required("mean_ms", positive_ms("Mean"));

    Spec normal = Spec::object("Normal, with draws below zero drawn again (so the mean rises when stddev_ms is large)");
    normal.required("mean_ms", time_ms("Mean before truncation")).required("stddev_ms", time_ms("Standard deviation before truncation"));
    normal.check([](const Json& v, const spec::Path& path, spec::Errors& errors) {
      const double mean = v["mean_ms"].get<double>(), sd = v["stddev_ms"].get<double>();
      if (sd > 0 && mean / sd < -4)
        errors.add(path, "mean_ms is more than 4 standard deviations below zero; almost every draw would be redrawn");
    });

    Spec lognormal = Spec::object("Lognormal given its mean and either its 99th percentile or its coefficient of variation");
    lognormal.required("mean_ms", positive_ms("Mean"))
        .optional("p99_ms", positive_ms("99th percentile; must exceed the mean"))
        .optional("cv", Spec::number("Coefficient of variation (standard deviation / mean)").min(0).max(100));
    lognormal.check([](const Json& v, const spec::Path& path, spec::Errors& errors) {
      const bool has_p99 = v.contains("p99_ms"), has_cv = v.contains("cv");
      if (has_p99 == has_cv) {
        errors.add(path, "give exactly one of p99_ms and cv");
        return;
      }
      if (has_p99) {
        const double mean = v["mean_ms"].get<double>(), p99 = v["p99_ms"].get<double>();
        const double limit = sim::Distribution::lognormal_max_p99_ratio();
        if (p99 <= mean)
          errors.add(path / "p99_ms", "must be greater than mean_ms (" + text(mean) + "), got " + text(p99));
        else if (p99 / mean > limit)
          errors.add(path / "p99_ms", "no lognormal has p99 / mean above " + text(std::floor(limit * 100) / 100) +
                                          "; got " + text(p99 / mean) + " (use pareto for heavier tails)");
      }
    });

    Spec pareto = Spec::object("Pareto (heavy tail): minimum scale_ms, tail index shape; mean = shape * scale / (shape - 1)");
    pareto.required("scale_ms", positive_ms("Smallest value"))
        .required("shape", Spec::number("Tail index; above 1 so the mean is finite, above 2 for a finite variance")
                               .greater_than(1)
                               .max(100));

    Spec weibull = Spec::object("Weibull with scale and shape (shape 1 is exponential)");
    weibull.required("scale_ms", positive_ms("Scale"))
        .required("shape", Spec::number("Shape").greater_than(0.05).max(100));

    Spec empirical = Spec::object("Measured percentiles, linearly interpolated between the points given");
    empirical.required("percentiles_ms",
                       Spec::map("Value at each percentile: keys \"0\" (minimum) to \"100\" (maximum), for example "
                                 "{\"0\": 1, \"50\": 4, \"99\": 30, \"100\": 80}",
                                 time_ms("Value at that percentile"))
                           .items(2, 1000));
    empirical.check([](const Json& v, const spec::Path& path, spec::Errors& errors) {
      const spec::Path p = path / "percentiles_ms";
      std::vector<std::pair<double, double>> points;
      for (const auto& [key, value] : v["percentiles_ms"].items()) {
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

    Spec distribution = Spec::variant("A distribution of durations in milliseconds", "type");
    distribution.named("distribution")
        .alternative("constant", constant)
        .alternative("uniform", uniform)
        .alternative("exponential", exponential)
        .alternative("normal", normal)
        .alternative("lognormal", lognormal)
        .alternative("pareto", pareto)
        .alternative("weibull", weibull)
        .alternative("empirical", empirical);
    return distribution.build();
  }();
  return node;
}

sim::Distribution make_time_distribution(const Json& v) {
  const std::string type = v.at("type").get<std::string>();
  if (type == "constant") return sim::Distribution::constant(v["value_ms"].get<double>());
  if (type == "uniform") return sim::Distribution::uniform(v["min_ms"].get<double>(), v["max_ms"].get<double>());
  if (type == "exponential") return sim::Distribution::exponential(v["mean_ms"].get<double>());
  if (type == "normal") return sim::Distribution::normal(v["mean_ms"].get<double>(), v["stddev_ms"].get<double>(), 0.0);
  if (type == "lognormal") {
    if (v.contains("p99_ms")) return sim::Distribution::lognormal_mean_p99(v["mean_ms"].get<double>(), v["p99_ms"].get<double>());
    return sim::Distribution::lognormal_mean_cv(v["mean_ms"].get<double>(), v["cv"].get<double>());
  }
  if (type == "pareto") return sim::Distribution::pareto(v["scale_ms"].get<double>(), v["shape"].get<double>());
  if (type == "weibull") return sim::Distribution::weibull(v["scale_ms"].get<double>(), v["shape"].get<double>());
  std::vector<std::pair<double, double>> points;
  for (const auto& [key, value] : v["percentiles_ms"].items()) points.emplace_back(std::stod(key), value.get<double>());
  std::sort(points.begin(), points.end());
  return sim::Distribution::empirical(std::move(points));
}

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
