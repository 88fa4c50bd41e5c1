#include "cli/goals.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>

namespace archsim::cli {

using spec::Json;

namespace {

std::string trim(const std::string& text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string::npos) return "";
  const auto last = text.find_last_not_of(" \t");
  return text.substr(first, last - first + 1);
}

bool ends_with(const std::string& text, const std::string& tail) {
  return text.size() >= tail.size() && text.compare(text.size() - tail.size(), tail.size(), tail) == 0;
}

// The statistics of a latency object that a `_ms` shorthand may name:
// `p99_ms` for latency_ms.p99 in every object with a latency_ms.
const std::vector<std::string> kLatencyStatistics = {"mean", "p50", "p90", "p99", "p999", "max"};

// The names a figure may have in `object`: its keys, and the shorthands its
// keys allow (p99_ms, error_ratio).
std::vector<std::string> names_in(const Json& object) {
  std::vector<std::string> names;
  for (const auto& [key, _] : object.items()) names.push_back(key);
  if (object.contains("latency_ms"))
    for (const auto& statistic : kLatencyStatistics) names.push_back(statistic + "_ms");
  if (object.contains("success_ratio")) names.push_back("error_ratio");
  return names;
}

// The unit of a figure from the keys that lead to it: the unit is in the key
// (`_ms`, `_s`, `_qps`), or in the object's key for a latency object's
// statistics; a ratio, fraction, utilization, share or offload is a fraction.
std::string unit_of(const std::vector<std::string>& keys) {
  const std::string& last = keys.back();
  if (keys.size() >= 2 && ends_with(keys[keys.size() - 2], "_ms") && last != "count") return "ms";
  if (ends_with(last, "_ms")) return "ms";
  if (ends_with(last, "_s")) return "s";
  if (ends_with(last, "_qps")) return "qps";
  for (const char* word : {"ratio", "fraction", "utilization", "share", "offload", "hit_rate"})
    if (last.find(word) != std::string::npos) return "fraction";
  return "";
}

std::string in_quotes(const std::string& text) { return "\"" + text + "\""; }

std::string joined_path(const std::vector<std::string>& keys, std::size_t count) {
  std::string out;
  for (std::size_t i = 0; i < count; ++i) out += (i ? "." : "") + keys[i];
  return out;
}

// Up to eight figures (numbers) directly in `object`, as examples.
std::string some_figures(const Json& object, const std::string& where) {
  std::string out;
  int shown = 0;
  for (const auto& [key, value] : object.items()) {
    if (!value.is_number() && !value.is_object()) continue;
    if (shown == 8) {
      out += ", …";
      break;
    }
    out += (shown++ ? ", " : "") + (where.empty() ? key : where + "." + key);
  }
  return out;
}

}  // namespace

std::string Metric::path() const {
  if (!complement) return joined_path(keys, keys.size());
  const std::string parent = joined_path(keys, keys.size() - 1);
  return parent + (parent.empty() ? "" : ".") + "error_ratio";
}

std::string parse_goal(const std::string& text, Goal& goal) {
  const std::string expected =
      "expected METRIC<NUMBER (or <=, >, >=) with an optional unit, such as p99_ms<200 or "
      "components.db.utilization<=80%";
  goal = Goal{};
  goal.written = text;
  const std::size_t at = text.find_first_of("<>=!");
  if (at == std::string::npos) return expected + ", got " + in_quotes(text);
  goal.metric = trim(text.substr(0, at));
  std::size_t rest = at + 1;
  const char c = text[at];
  const bool or_equal = rest < text.size() && text[rest] == '=';
  if (c == '=' || c == '!')
    return in_quotes(text.substr(at, or_equal || (rest < text.size() && text[rest] == '=') ? 2 : 1)) +
           " is not a comparison: a goal is a bound, one of <, <=, >, >= (got " + in_quotes(text) + ")";
  if (or_equal) ++rest;
  goal.comparison = c == '<' ? (or_equal ? Comparison::LessOrEqual : Comparison::Less)
                             : (or_equal ? Comparison::GreaterOrEqual : Comparison::Greater);
  goal.comparison_text = std::string(1, c) + (or_equal ? "=" : "");
  if (goal.metric.empty()) return "no METRIC before " + goal.comparison_text + ": " + expected;
  for (char m : goal.metric)
    if (!(std::isalnum(static_cast<unsigned char>(m)) || m == '_' || m == '.' || m == '-' || m == '[' || m == ']'))
      return "the metric " + in_quotes(goal.metric) + " has a " + in_quotes(std::string(1, m)) +
             "; a metric is a path of names and indexes joined by dots, such as components.db.utilization";
  const std::string number = trim(text.substr(rest));
  if (number.empty()) return "no NUMBER after " + goal.comparison_text + ": " + expected;
  const char* begin = number.data();
  const char* end = begin + number.size();
  const auto [stop, ec] = std::from_chars(begin, end, goal.number);
  if (ec != std::errc{} || stop == begin || !std::isfinite(goal.number))
    return "the bound " + in_quotes(number) + " is not a number: " + expected;
  goal.unit = trim(std::string(stop, end));
  return "";
}

std::string resolve_metric(const Json& document, const std::string& written, Metric& metric) {
  metric = Metric{};
  metric.written = written;
  // Indexes may be written [N] as in error messages, or .N.
  std::string text;
  for (char c : written) {
    if (c == '[') text += '.';
    else if (c != ']') text += c;
  }
  std::vector<std::string> keys;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = text.find('.', start);
    keys.push_back(text.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  for (const auto& key : keys)
    if (key.empty()) return "the metric " + in_quotes(written) + " has an empty name between its dots";
  // A path that does not start at the top of the document starts in summary:
  // p99_ms, throughput_qps, failed.timeout.
  const Json* at = &document;
  if (!document.contains(keys.front()) && document.contains("summary")) {
    const auto names = names_in(document["summary"]);
    if (std::find(names.begin(), names.end(), keys.front()) != names.end()) {
      metric.keys.push_back("summary");
      at = &document["summary"];
    } else {
      auto candidates = names_in(document);
      for (const auto& name : names) candidates.push_back(name);
      return "no figure " + in_quotes(keys.front()) + " in the results" + spec::did_you_mean_suffix(keys.front(), candidates) +
             " (docs/goals.md lists the metrics)";
    }
  }
  for (std::size_t i = 0; i < keys.size(); ++i) {
    const std::string& key = keys[i];
    const std::string where = metric.keys.empty() ? "the results" : metric.path();
    if (at->is_object()) {
      if (at->contains(key)) {
        metric.keys.push_back(key);
        at = &(*at)[key];
        continue;
      }
      if (ends_with(key, "_ms") && at->contains("latency_ms")) {
        const std::string statistic = key.substr(0, key.size() - 3);
        if (std::find(kLatencyStatistics.begin(), kLatencyStatistics.end(), statistic) != kLatencyStatistics.end()) {
          metric.keys.push_back("latency_ms");
          metric.keys.push_back(statistic);
          at = &(*at)["latency_ms"][statistic];
          continue;
        }
      }
      if (key == "error_ratio" && at->contains("success_ratio")) {
        metric.keys.push_back("success_ratio");
        metric.complement = true;
        at = &(*at)["success_ratio"];
        continue;
      }
      return "no figure " + in_quotes(key) + " in " + where + spec::did_you_mean_suffix(key, names_in(*at));
    }
    if (at->is_array()) {
      std::size_t index = 0;
      const auto [stop, ec] = std::from_chars(key.data(), key.data() + key.size(), index);
      if (ec != std::errc{} || stop != key.data() + key.size())
        return where + " is a list; expected an index from 0 to " + std::to_string(at->size() - 1) + ", got " +
               in_quotes(key);
      if (index >= at->size())
        return where + " has " + std::to_string(at->size()) + " entries; index " + key + " is beyond them";
      metric.keys.push_back(key);
      at = &(*at)[index];
      continue;
    }
    return where + " is a single figure; it has no " + in_quotes(key);
  }
  if (at->is_object())
    return in_quotes(written) + " names a group of figures, not one: name one of them, such as " +
           some_figures(*at, metric.path());
  if (at->is_array()) return in_quotes(written) + " names a list; add the index of an entry, such as " + written + ".0";
  if (at->is_string() || at->is_boolean())
    return in_quotes(written) + " is " + (at->is_string() ? "text" : "a yes or no") + ", not a number that can be bounded";
  metric.unit = metric.complement ? "fraction" : unit_of(metric.keys);
  return "";
}

std::optional<double> metric_value(const Json& document, const Metric& metric) {
  const Json* at = &document;
  const Json* parent = nullptr;
  for (const auto& key : metric.keys) {
    parent = at;
    if (at->is_object()) {
      if (!at->contains(key)) return std::nullopt;
      at = &(*at)[key];
    } else if (at->is_array()) {
      const std::size_t index = std::stoul(key);
      if (index >= at->size()) return std::nullopt;
      at = &(*at)[index];
    } else {
      return std::nullopt;
    }
  }
  if (!at->is_number()) return std::nullopt;
  // A statistic of a latency object over no sample is written 0 in the
  // results; as a goal's value it would pass every upper bound (a p99 of 0
  // when nothing completed), so it has no value here.
  if (parent && parent->is_object() && metric.keys.back() != "count" && parent->contains("count") &&
      (*parent)["count"].is_number() && (*parent)["count"].get<double>() == 0 && metric.unit == "ms")
    return std::nullopt;
  const double value = at->get<double>();
  return metric.complement ? 1 - value : value;
}

std::string threshold_in_unit(const Goal& goal, const Metric& metric, double& threshold) {
  threshold = goal.number;
  const std::string& unit = goal.unit;
  if (unit.empty()) return "";
  if (metric.unit == "ms" || metric.unit == "s") {
    double ms;
    if (unit == "ns") ms = 1e-6;
    else if (unit == "us") ms = 1e-3;
    else if (unit == "ms") ms = 1;
    else if (unit == "s") ms = 1e3;
    else if (unit == "min") ms = 6e4;
    else return "the unit " + in_quotes(unit) + " is not a time; " + metric.path() + " is a time: use ns, us, ms, s or min";
    threshold = goal.number * ms / (metric.unit == "s" ? 1e3 : 1);
    return "";
  }
  if (metric.unit == "qps") {
    if (unit == "qps" || unit == "/s" || unit == "rps") return "";
    return "the unit " + in_quotes(unit) + " does not fit " + metric.path() + ", a rate per second: use qps or none";
  }
  if (metric.unit == "fraction") {
    if (unit == "%") {
      threshold = goal.number / 100;
      return "";
    }
    return "the unit " + in_quotes(unit) + " does not fit " + metric.path() +
           ", a fraction from 0 to 1: write it as 0.8, or as 80%";
  }
  return "the unit " + in_quotes(unit) + " does not fit " + metric.path() + ", which has no unit: write the number alone";
}

bool meets(double value, Comparison comparison, double threshold) {
  switch (comparison) {
    case Comparison::Less: return value < threshold;
    case Comparison::LessOrEqual: return value <= threshold;
    case Comparison::Greater: return value > threshold;
    case Comparison::GreaterOrEqual: return value >= threshold;
  }
  return false;
}

std::string short_number(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.6g", value);
  return text;
}

std::string format_verdicts(const std::vector<Verdict>& verdicts) {
  std::size_t met = 0;
  for (const auto& v : verdicts) met += v.met ? 1 : 0;
  std::string out = "goals: " + std::to_string(met) + " of " + std::to_string(verdicts.size()) + " met\n";
  for (const bool failed : {true, false})
    for (const auto& v : verdicts) {
      if (v.met == failed) continue;
      const std::string unit = v.metric.unit == "fraction" || v.metric.unit.empty() ? "" : " " + v.metric.unit;
      std::string measured;
      if (!v.value) {
        measured = "has no value in this run (null, or a latency over no completed request)";
      } else {
        measured = (v.half_width ? "mean " : "") + short_number(*v.value) +
                   (v.half_width ? " ± " + short_number(*v.half_width) : "") + unit;
      }
      out += std::string(v.met ? "  pass  " : "  FAIL  ") + v.goal.written + ": " + v.metric.path() + " " + measured;
      if (!v.met && v.value) out += ", not " + v.goal.comparison_text + " " + short_number(v.threshold) + unit;
      if (v.replications > 0) {
        // How many runs met it on their own: the share of seeds for which
        // the goal holds (a collapse that some seeds reach and others not).
        out += "; met by " + std::to_string(v.replications_met) + " of " + std::to_string(v.replications) +
               " replications";
        if (!v.seeds_missed.empty()) {
          out += " (missed with seed" + std::string(v.seeds_missed.size() > 1 ? "s " : " ");
          for (std::size_t i = 0; i < v.seeds_missed.size() && i < 10; ++i)
            out += (i > 0 ? ", " : "") + std::to_string(v.seeds_missed[i]);
          if (v.seeds_missed.size() > 10) out += ", …";
          out += ")";
        }
      }
      out += "\n";
    }
  return out;
}

}  // namespace archsim::cli
