#include "cli/sweep.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cmath>

namespace archsim::cli {

using spec::Json;

namespace {

std::string trim(const std::string& text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string::npos) return "";
  const auto last = text.find_last_not_of(" \t");
  return text.substr(first, last - first + 1);
}

bool read_number(const std::string& text, double& value) {
  const char* end = text.data() + text.size();
  const auto [stop, ec] = std::from_chars(text.data(), end, value);
  return ec == std::errc{} && stop == end && !text.empty() && std::isfinite(value);
}

// A value as --set reads it: JSON if it is JSON, else text.
Json value_of(const std::string& text) {
  Json value = Json::parse(text, nullptr, false);
  if (value.is_discarded()) return Json(text);
  return value;
}

std::string csv_cell(const Json& value) {
  if (value.is_null()) return "";
  if (!value.is_string()) return value.dump();
  const std::string& text = value.get_ref<const std::string&>();
  if (text.find_first_of(",\"\n") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

}  // namespace

std::string parse_vary(const std::string& text, Vary& vary) {
  vary = Vary{};
  const std::size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0)
    return "expected PATH=LIST or PATH=FROM..TO[:STEP], such as components.web.workers=2,4,8 or "
           "components.web.workers=1..16:3, got \"" + text + "\"";
  vary.path = trim(text.substr(0, eq));
  const std::string values = trim(text.substr(eq + 1));
  if (values.empty()) return vary.path + ": no values after =";
  const std::size_t dots = values.find("..");
  if (dots != std::string::npos && values.find(',') == std::string::npos) {
    const std::size_t colon = values.find(':', dots);
    const std::string from_text = trim(values.substr(0, dots));
    const std::string to_text =
        trim(values.substr(dots + 2, colon == std::string::npos ? std::string::npos : colon - dots - 2));
    const std::string step_text = colon == std::string::npos ? "1" : trim(values.substr(colon + 1));
    double from, to, step;
    if (!read_number(from_text, from) || !read_number(to_text, to) || !read_number(step_text, step))
      return vary.path + ": the range \"" + values +
             "\" does not parse: expected FROM..TO or FROM..TO:STEP with numbers, such as 1..16 or 0.5..2:0.25";
    if (step <= 0) return vary.path + ": the range \"" + values + "\" needs a positive STEP, got " + step_text;
    if (to < from)
      return vary.path + ": the range \"" + values + "\" runs from " + from_text + " down to " + to_text +
             "; write it from the smaller value up";
    // A step that lands on TO within a millionth of a step includes it, so
    // that 0.1..0.3:0.1 has three values despite rounding.
    const double steps = std::floor((to - from) / step + 1e-6);
    if (steps + 1 > static_cast<double>(kMaxSweepPoints))
      return vary.path + ": the range \"" + values + "\" has more than " + std::to_string(kMaxSweepPoints) + " values";
    for (std::size_t i = 0; i <= static_cast<std::size_t>(steps); ++i) {
      const std::string item = spec::format_number(from + static_cast<double>(i) * step);
      vary.texts.push_back(item);
      vary.values.push_back(value_of(item));
    }
    return "";
  }
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = values.find(',', start);
    const std::string item = trim(values.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (item.empty())
      return vary.path + ": the list \"" + values + "\" has an empty value; separate values by single commas, such as 2,4,8";
    vary.texts.push_back(item);
    vary.values.push_back(value_of(item));
    if (vary.texts.size() > kMaxSweepPoints)
      return vary.path + ": the list has more than " + std::to_string(kMaxSweepPoints) + " values";
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  for (std::size_t i = 0; i < vary.values.size(); ++i)
    for (std::size_t j = 0; j < i; ++j)
      if (vary.values[i] == vary.values[j])
        return vary.path + ": the value " + vary.texts[i] + " is in the list twice";
  return "";
}

std::size_t grid_size(const std::vector<Vary>& varies) {
  std::size_t size = 1;
  for (const auto& v : varies) {
    if (size > kMaxSweepPoints / std::max<std::size_t>(1, v.values.size())) return kMaxSweepPoints + 1;
    size *= v.values.size();
  }
  return size;
}

std::vector<std::size_t> grid_indexes(const std::vector<Vary>& varies, std::size_t point) {
  std::vector<std::size_t> indexes(varies.size());
  for (std::size_t v = varies.size(); v-- > 0;) {
    indexes[v] = point % varies[v].values.size();
    point /= varies[v].values.size();
  }
  return indexes;
}

std::string parse_shard(const std::string& text, std::size_t points, Shard& shard) {
  const std::size_t slash = text.find('/');
  const auto whole = [](const std::string& t, std::size_t& value) {
    const char* end = t.data() + t.size();
    const auto [stop, ec] = std::from_chars(t.data(), end, value);
    return ec == std::errc{} && stop == end && !t.empty();
  };
  if (slash == std::string::npos || !whole(text.substr(0, slash), shard.index) ||
      !whole(text.substr(slash + 1), shard.count))
    return "expected K/N, the K-th of N slices, such as 3/8; got \"" + text + "\"";
  if (shard.count == 0) return "expected K/N with N at least 1, got \"" + text + "\"";
  if (shard.index < 1 || shard.index > shard.count)
    return "the slice " + std::to_string(shard.index) + " is out of range: K goes from 1 to N (" +
           std::to_string(shard.count) + "), got \"" + text + "\"";
  if (shard.count > points)
    return "the sweep has " + std::to_string(points) + " point" + (points == 1 ? "" : "s") + "; it cannot be cut into " +
           std::to_string(shard.count) + " slices (N at most " + std::to_string(points) + ")";
  return "";
}

bool in_shard(std::size_t point, const Shard& shard) { return point % shard.count + 1 == shard.index; }

std::string sweep_csv(const Json& table) {
  const Json& sweep = table["sweep"];
  const bool intervals = sweep["replications"].get<int>() > 1;
  std::string out;
  std::vector<std::string> header;
  for (const auto& v : sweep["vary"]) header.push_back(v["path"].get<std::string>());
  for (const auto& m : sweep["metrics"]) {
    header.push_back(m.get<std::string>());
    if (intervals) header.push_back(m.get<std::string>() + "_ci95");
  }
  // Cells are appended one by one (never "," + a temporary string: GCC 12
  // warns, wrongly, of an overlapping copy there).
  const auto cells = [](std::string& line, const std::vector<Json>& values) {
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (i > 0) line += ',';
      line += csv_cell(values[i]);
    }
  };
  std::vector<Json> names(header.begin(), header.end());
  cells(out, names);
  out += "\n";
  for (const auto& row : table["rows"]) {
    std::vector<Json> values;
    for (const auto& v : sweep["vary"]) values.push_back(row["values"][v["path"].get<std::string>()]);
    for (const auto& m : sweep["metrics"]) {
      const std::string name = m.get<std::string>();
      values.push_back(row["metrics"][name]);
      if (intervals) values.push_back(row["ci95"][name]);
    }
    std::string line;
    cells(line, values);
    out += line + "\n";
  }
  return out;
}

namespace {

bool whole(const Json& v) { return v.is_number_unsigned(); }

// What is wrong with the shape of a slice, or empty: every member merge and
// sweep_csv read, with its type, so that a file that is not a slice (or a
// slice edited by hand) is refused instead of read past its end.
std::string slice_shape_problem(const Json& s) {
  if (!s.is_object() || !s.contains("sweep") || !s.contains("shard") || !s.contains("rows"))
    return "it lacks sweep, shard or rows";
  const Json& sweep = s["sweep"];
  if (!sweep.is_object() || !sweep.contains("points") || !whole(sweep["points"]) || !sweep.contains("replications") ||
      !whole(sweep["replications"]) || !sweep.contains("vary") || !sweep["vary"].is_array() ||
      !sweep.contains("metrics") || !sweep["metrics"].is_array())
    return "its sweep lacks points, replications, vary or metrics";
  for (const auto& v : sweep["vary"])
    if (!v.is_object() || !v.contains("path") || !v["path"].is_string()) return "a vary of its sweep has no path";
  for (const auto& m : sweep["metrics"])
    if (!m.is_string()) return "a metric of its sweep is not a name";
  const Json& shard = s["shard"];
  if (!shard.is_object() || !shard.contains("index") || !whole(shard["index"]) || !shard.contains("count") ||
      !whole(shard["count"]) || shard["count"].get<std::uint64_t>() == 0)
    return "its shard lacks a whole index or count";
  if (!s["rows"].is_array()) return "its rows are not a list";
  const bool intervals = sweep["replications"].get<std::uint64_t>() > 1;
  for (const auto& row : s["rows"]) {
    if (!row.is_object() || !row.contains("point") || !whole(row["point"]) || !row.contains("values") ||
        !row["values"].is_object() || !row.contains("metrics") || !row["metrics"].is_object() ||
        (intervals && (!row.contains("ci95") || !row["ci95"].is_object())))
      return "a row lacks its point, values, metrics or ci95";
    for (const auto& v : sweep["vary"])
      if (!row["values"].contains(v["path"].get<std::string>())) return "a row lacks a varied value";
    for (const auto& m : sweep["metrics"])
      if (!row["metrics"].contains(m.get<std::string>()) || (intervals && !row["ci95"].contains(m.get<std::string>())))
        return "a row lacks a metric";
  }
  return "";
}

}  // namespace

std::string merge_slices(const std::vector<Json>& slices, const std::vector<std::string>& names, Json& merged) {
  for (std::size_t i = 0; i < slices.size(); ++i)
    if (const std::string problem = slice_shape_problem(slices[i]); !problem.empty())
      return names[i] + ": not a slice of a sweep (the --json of archsim sweep --shard K/N): " + problem;
  const Json& first = slices.front();
  const std::size_t count = first["shard"]["count"].get<std::size_t>();
  if (count > kMaxSweepPoints || first["sweep"]["points"].get<std::size_t>() > kMaxSweepPoints)
    return names[0] + ": a sweep has at most " + std::to_string(kMaxSweepPoints) + " points and slices";
  for (std::size_t i = 1; i < slices.size(); ++i) {
    if (slices[i]["sweep"] != first["sweep"])
      return names[i] + " is a slice of another sweep than " + names[0] +
             " (their scenario, varied values, metrics, replications or options differ); merge slices of one sweep";
    if (slices[i]["shard"]["count"] != first["shard"]["count"])
      return names[i] + " is a slice of " + slices[i]["shard"]["count"].dump() + " and " + names[0] + " of " +
             std::to_string(count) + "; merge the slices of one cut";
  }
  std::vector<std::string> holder(count + 1);
  for (std::size_t i = 0; i < slices.size(); ++i) {
    const std::size_t index = slices[i]["shard"]["index"].get<std::size_t>();
    if (index < 1 || index > count) return names[i] + ": its slice index " + std::to_string(index) + " is out of range";
    if (!holder[index].empty())
      return names[i] + " and " + holder[index] + " are both slice " + std::to_string(index) + " of " + std::to_string(count);
    holder[index] = names[i];
  }
  std::string missing;
  for (std::size_t k = 1; k <= count; ++k)
    if (holder[k].empty()) missing += (missing.empty() ? "" : ", ") + std::to_string(k);
  if (!missing.empty())
    return "slice" + std::string(missing.find(',') == std::string::npos ? " " : "s ") + missing + " of " +
           std::to_string(count) + " missing; give every slice of the sweep";
  std::vector<const Json*> rows;
  for (const auto& s : slices)
    for (const auto& row : s["rows"]) rows.push_back(&row);
  std::sort(rows.begin(), rows.end(),
            [](const Json* a, const Json* b) { return (*a)["point"].get<std::size_t>() < (*b)["point"].get<std::size_t>(); });
  const std::size_t points = first["sweep"]["points"].get<std::size_t>();
  if (rows.size() != points) return "the slices hold " + std::to_string(rows.size()) + " rows for a sweep of " +
                                    std::to_string(points) + " points";
  for (std::size_t i = 0; i < rows.size(); ++i)
    if ((*rows[i])["point"].get<std::size_t>() != i) return "the slices do not hold point " + std::to_string(i) + " exactly once";
  merged = Json::object();
  merged["sweep"] = first["sweep"];
  merged["rows"] = Json::array();
  for (const Json* row : rows) merged["rows"].push_back(*row);
  return "";
}

}  // namespace archsim::cli
