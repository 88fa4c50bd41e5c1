#include "models/runtime/metric_set.h"

#include <cassert>
#include <cmath>
#include <limits>

namespace archsim::models {

using spec::Json;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double seconds_between(const MetricSnapshot& a, const MetricSnapshot& b) { return (b.at - a.at).to_s(); }
__int128 delta(const MetricSnapshot& a, const MetricSnapshot& b, std::size_t i) { return b.values[i] - a.values[i]; }

Json nullable(double v) { return std::isnan(v) ? Json(nullptr) : Json(v); }

double ms(double ns) { return ns / 1e6; }

}  // namespace

MetricSet::Figure MetricSet::figure(Kind kind, std::string name, std::string unit, std::string meaning) {
  Figure f;
  f.kind = kind;
  f.name = std::move(name);
  f.unit = std::move(unit);
  f.meaning = std::move(meaning);
  return f;
}

double MetricSet::time_share_of(const Figure& f, const MetricSnapshot& a, const MetricSnapshot& b) {
  const double capacity = capacity_of(f, a, b);
  const auto span = (b.at - a.at).ns;
  if (!(capacity > 0) || span <= 0) return capacity > 0 ? 0.0 : kNaN;
  return static_cast<double>(delta(a, b, f.a)) / static_cast<double>(span) / capacity;
}

std::size_t MetricSet::add_counter(CounterSource source) {
  sources_.push_back(Source{source, nullptr});
  return sources_.size() - 1;
}

std::size_t MetricSet::add_level(sim::TimeWeighted* level) {
  for (std::size_t i = 0; i < sources_.size(); ++i)
    if (sources_[i].level == level) return i;
  sources_.push_back(Source{CounterSource(static_cast<const std::uint64_t*>(nullptr)), level});
  levels_.push_back(level);
  return sources_.size() - 1;
}

void MetricSet::count(std::string name, std::string unit, std::string meaning, CounterSource counter, bool series) {
  Figure f = figure(Kind::Count, std::move(name), std::move(unit), std::move(meaning));
  f.a = add_counter(counter);
  f.series = series;
  figures_.push_back(std::move(f));
}

void MetricSet::rate(std::string name, std::string unit, std::string meaning, CounterSource counter, bool series) {
  Figure f = figure(Kind::Rate, std::move(name), std::move(unit), std::move(meaning));
  f.a = add_counter(counter);
  f.series = series;
  figures_.push_back(std::move(f));
}

void MetricSet::level(std::string name, std::string unit, std::string meaning, sim::TimeWeighted* level,
                      LevelSeries series) {
  Figure f = figure(Kind::Level, std::move(name), std::move(unit), std::move(meaning));
  f.a = add_level(level);
  f.level = level;
  f.level_series = series;
  figures_.push_back(std::move(f));
}

void MetricSet::share(std::string name, std::string meaning, sim::TimeWeighted* level, std::function<double()> capacity,
                      bool series) {
  Figure f = figure(Kind::Share, std::move(name), "fraction", std::move(meaning));
  f.a = add_level(level);
  f.level = level;
  f.capacity = std::move(capacity);
  f.series = series;
  figures_.push_back(std::move(f));
}

void MetricSet::time_share(std::string name, std::string meaning, CounterSource sum_ns, std::function<double()> capacity,
                           bool series) {
  Figure f = figure(Kind::TimeShare, std::move(name), "fraction", std::move(meaning));
  f.a = add_counter(sum_ns);
  f.capacity = std::move(capacity);
  f.series = series;
  figures_.push_back(std::move(f));
}

void MetricSet::ratio(std::string name, std::string unit, std::string meaning, CounterSource numerator,
                      CounterSource denominator, double scale, bool series) {
  Figure f = figure(Kind::Ratio, std::move(name), std::move(unit), std::move(meaning));
  f.a = add_counter(numerator);
  f.b = add_counter(denominator);
  f.scale = scale;
  f.series = series;
  figures_.push_back(std::move(f));
}

void MetricSet::distribution(std::string name, std::string meaning, const sim::Histogram* histogram,
                             CounterSource sum_ns, CounterSource count, std::string series_name) {
  Figure f = figure(Kind::Distribution, std::move(name), "ms", std::move(meaning));
  f.a = add_counter(sum_ns);
  f.b = add_counter(count);
  f.histogram = histogram;
  f.series = !series_name.empty();
  f.series_name = std::move(series_name);
  figures_.push_back(std::move(f));
}

void MetricSet::capacity_level(sim::TimeWeighted* capacity) {
  const std::size_t source = add_level(capacity);
  for (auto& f : figures_) {
    if (!f.of_capacity) continue;
    f.capacity_is_level = true;
    f.c = source;
  }
}

void MetricSet::extra(std::string name, std::function<Json(sim::Time, sim::Time)> value) {
  Figure f = figure(Kind::Extra, std::move(name), "", "");
  f.value = std::move(value);
  figures_.push_back(std::move(f));
}

void MetricSet::snapshot(sim::Time now, MetricSnapshot& out) const {
  out.at = now;
  out.values.resize(sources_.size());
  for (std::size_t i = 0; i < sources_.size(); ++i)
    out.values[i] = sources_[i].level ? sources_[i].level->integral(now) : sources_[i].counter.value(now);
}

void MetricSet::summary(const MetricSnapshot& a, const MetricSnapshot& b, Json& out) const {
  const double seconds = seconds_between(a, b);
  for (const auto& f : figures_) {
    if (!f.summary) continue;
    switch (f.kind) {
      case Kind::Count:
        out[f.name] = static_cast<std::uint64_t>(delta(a, b, f.a));
        break;
      case Kind::Rate:
        out[f.name] = seconds > 0 ? static_cast<double>(delta(a, b, f.a)) / seconds : 0.0;
        break;
      case Kind::Level:
        out[f.name] = {{"mean", sim::window_mean(a.values[f.a], b.values[f.a], a.at, b.at)}, {"max", f.level->max_window()}};
        break;
      case Kind::Share: {
        const double capacity = capacity_of(f, a, b);
        out[f.name] = nullable(capacity > 0 ? sim::window_mean(a.values[f.a], b.values[f.a], a.at, b.at) / capacity : kNaN);
        break;
      }
      case Kind::TimeShare:
        out[f.name] = nullable(time_share_of(f, a, b));
        break;
      case Kind::Ratio: {
        const auto d = delta(a, b, f.b);
        out[f.name] = d > 0 ? static_cast<double>(delta(a, b, f.a)) / static_cast<double>(d) * f.scale : 0.0;
        break;
      }
      case Kind::Distribution: {
        const sim::Histogram& h = *f.histogram;
        const auto n = delta(a, b, f.b);
        Json d = Json::object();
        d["count"] = h.count();
        d["mean"] = n > 0 ? static_cast<double>(delta(a, b, f.a)) / static_cast<double>(n) / 1e6 : 0.0;
        d["p50"] = ms(h.quantile(0.50));
        d["p90"] = ms(h.quantile(0.90));
        d["p99"] = ms(h.quantile(0.99));
        d["p999"] = ms(h.quantile(0.999));
        d["max"] = ms(static_cast<double>(h.max()));
        out[f.name] = d;
        break;
      }
      case Kind::Extra:
        out[f.name] = f.value(a.at, b.at);
        break;
    }
  }
}

std::vector<SeriesColumn> MetricSet::series_columns() const {
  std::vector<SeriesColumn> columns;
  for (const auto& f : figures_) {
    switch (f.kind) {
      case Kind::Count:
        if (f.series) columns.push_back({f.name, f.unit, SeriesColumn::Kind::Integer});
        break;
      case Kind::Rate:
      case Kind::Share:
      case Kind::TimeShare:
      case Kind::Ratio:
        if (f.series) columns.push_back({f.name, f.unit, SeriesColumn::Kind::Number});
        break;
      case Kind::Level:
        if (f.level_series == LevelSeries::Mean || f.level_series == LevelSeries::MeanAndMax)
          columns.push_back({f.name + "_mean", f.unit, SeriesColumn::Kind::Number});
        if (f.level_series == LevelSeries::Max || f.level_series == LevelSeries::MeanAndMax)
          columns.push_back({f.name + "_max", f.unit, SeriesColumn::Kind::Integer});
        break;
      case Kind::Distribution:
        if (f.series) columns.push_back({f.series_name, "ms", SeriesColumn::Kind::Number});
        break;
      case Kind::Extra:
        break;
    }
  }
  return columns;
}

void MetricSet::series_row(const MetricSnapshot& a, const MetricSnapshot& b, std::vector<double>& row) const {
  const double seconds = seconds_between(a, b);
  for (const auto& f : figures_) {
    switch (f.kind) {
      case Kind::Count:
        if (f.series) row.push_back(static_cast<double>(delta(a, b, f.a)));
        break;
      case Kind::Rate:
        if (f.series) row.push_back(seconds > 0 ? static_cast<double>(delta(a, b, f.a)) / seconds : 0.0);
        break;
      case Kind::Share:
        if (f.series) {
          const double capacity = capacity_of(f, a, b);
          row.push_back(capacity > 0 ? sim::window_mean(a.values[f.a], b.values[f.a], a.at, b.at) / capacity : kNaN);
        }
        break;
      case Kind::TimeShare:
        if (f.series) row.push_back(time_share_of(f, a, b));
        break;
      case Kind::Ratio:
        if (f.series) {
          const auto d = delta(a, b, f.b);
          row.push_back(d > 0 ? static_cast<double>(delta(a, b, f.a)) / static_cast<double>(d) * f.scale : 0.0);
        }
        break;
      case Kind::Level:
        if (f.level_series == LevelSeries::Mean || f.level_series == LevelSeries::MeanAndMax)
          row.push_back(sim::window_mean(a.values[f.a], b.values[f.a], a.at, b.at));
        if (f.level_series == LevelSeries::Max || f.level_series == LevelSeries::MeanAndMax)
          row.push_back(static_cast<double>(f.level->max_interval()));
        break;
      case Kind::Distribution:
        if (f.series) {
          const auto n = delta(a, b, f.b);
          row.push_back(n > 0 ? static_cast<double>(delta(a, b, f.a)) / static_cast<double>(n) / 1e6 : 0.0);
        }
        break;
      case Kind::Extra:
        break;
    }
  }
}

void MetricSet::reset_interval_maxima() {
  for (auto* l : levels_) l->reset_interval_max();
}

void MetricSet::reset_window_maxima() {
  for (auto* l : levels_) l->reset_window_max();
}

std::vector<MetricSet::Description> MetricSet::describe() const {
  std::vector<Description> out;
  for (const auto& f : figures_)
    if (f.kind != Kind::Extra) out.push_back({f.name, f.unit, f.meaning});
  return out;
}

}  // namespace archsim::models
