// analysis/estimate.cpp: see estimate.h.
#include "analysis/estimate.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iomanip>
#include <sstream>
#include <stdexcept>

#include "analysis/number_text.h"

namespace archsim::analysis {
namespace {

[[noreturn]] void fail(const std::string& what) { throw std::invalid_argument("estimate: " + what); }

std::string show(double value) {
  std::ostringstream out;
  out << std::setprecision(12) << value;
  return out.str();
}

// The checks are written as !(in range) so that NaN is refused too.
void require(bool in_range, const char* name, const char* range, double value) {
  if (!in_range || !std::isfinite(value)) fail(std::string(name) + " must be " + range + ", got " + show(value));
}

// `value` with `significant` significant digits, trailing zeros of the
// fraction dropped.
std::string significant_digits(double value, int significant) {
  const int magnitude = value == 0 ? 0 : static_cast<int>(std::floor(std::log10(std::fabs(value))));
  const int decimals = std::max(0, significant - 1 - magnitude);
  char buffer[400];  // the largest double written in full takes 309 digits
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
  std::string text = buffer;
  if (text.find('.') != std::string::npos) {
    text.erase(text.find_last_not_of('0') + 1);
    if (text.back() == '.') text.pop_back();
  }
  return text;
}

// A count of servers: a division of rates rounded up, except that a quotient
// within rounding error of a whole number (7,000 / 700 computed as
// 10.000000000000002) is that number.
double servers_for(double quotient) {
  const double nearest = std::round(quotient);
  if (std::fabs(quotient - nearest) <= 1e-9 * std::max(1.0, nearest)) return std::max(1.0, nearest);
  return std::max(1.0, std::ceil(quotient));
}

class Recorder {
 public:
  explicit Recorder(Estimate& estimate) : estimate_(estimate) {}
  double add(std::string figure, std::string label, std::string formula, std::string numbers, double value,
             std::string unit) {
    estimate_.figures.push_back({figure, value, unit});
    estimate_.steps.push_back(
        {std::move(figure), std::move(label), std::move(formula), std::move(numbers), value, std::move(unit)});
    return value;
  }

 private:
  Estimate& estimate_;
};

std::string q(double value) { return format_quantity(value); }

}  // namespace

std::string format_quantity(double value) {
  if (value == std::floor(value) && std::fabs(value) < 1e21) {
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%.0f", value);
    return group_thousands(buffer);
  }
  return group_thousands(significant_digits(value, 6));
}

std::string format_bytes(double bytes) {
  static const char* const kUnits[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"};
  std::size_t unit = 0;
  double scaled = bytes;
  while (std::fabs(scaled) >= 1000 && unit + 1 < std::size(kUnits)) {
    scaled /= 1000;
    ++unit;
  }
  // Rounding to four digits may carry into the next unit: 999.96 kB is 1 MB.
  std::string text = significant_digits(scaled, 4);
  if (std::fabs(std::stod(text)) >= 1000 && unit + 1 < std::size(kUnits)) {
    ++unit;
    text = significant_digits(scaled / 1000, 4);
  }
  return text + " " + kUnits[unit];
}

const Figure* Estimate::find(const std::string& name) const {
  for (const auto& f : figures)
    if (f.name == name) return &f;
  return nullptr;
}

double Estimate::at(const std::string& name) const {
  const Figure* f = find(name);
  if (f == nullptr) throw std::out_of_range("estimate: no figure " + name);
  return f->value;
}

Estimate estimate(const EstimateInput& in) {
  if (in.daily_active_users.has_value() == in.monthly_active_users.has_value())
    fail("give either daily_active_users or monthly_active_users (with daily_active_share)");
  if (in.monthly_active_users.has_value() != in.daily_active_share.has_value())
    fail("monthly_active_users and daily_active_share go together");
  if (in.daily_active_users) require(*in.daily_active_users > 0, "daily_active_users", "> 0", *in.daily_active_users);
  if (in.monthly_active_users) {
    require(*in.monthly_active_users > 0, "monthly_active_users", "> 0", *in.monthly_active_users);
    require(*in.daily_active_share > 0 && *in.daily_active_share <= 1, "daily_active_share", "in (0, 1]",
            *in.daily_active_share);
  }
  require(in.requests_per_user_per_day > 0, "requests_per_user_per_day", "> 0", in.requests_per_user_per_day);
  require(in.peak_to_average >= 1, "peak_to_average", ">= 1", in.peak_to_average);
  require(in.reads_per_write >= 0, "reads_per_write", ">= 0", in.reads_per_write);
  require(in.object_size_bytes >= 0, "object_size_bytes", ">= 0", in.object_size_bytes);
  require(in.media_share >= 0 && in.media_share <= 1, "media_share", "in [0, 1]", in.media_share);
  require(in.media_size_bytes >= 0, "media_size_bytes", ">= 0", in.media_size_bytes);
  require(in.retention_years > 0, "retention_years", "> 0", in.retention_years);
  require(in.hot_fraction > 0 && in.hot_fraction <= 1, "hot_fraction", "in (0, 1]", in.hot_fraction);
  if (in.server_capacity_qps)
    require(*in.server_capacity_qps > 0, "server_capacity_qps", "> 0", *in.server_capacity_qps);
  require(in.server_utilization_max > 0 && in.server_utilization_max <= 1, "server_utilization_max", "in (0, 1]",
          in.server_utilization_max);

  Estimate e;
  Recorder r(e);
  const std::string day = q(kSecondsPerDay);

  // The traffic.
  const double dau =
      in.daily_active_users
          ? r.add("daily_active_users", "daily active users", "given", "", *in.daily_active_users, "users")
          : r.add("daily_active_users", "daily active users", "monthly active users × daily active share",
                  q(*in.monthly_active_users) + " × " + q(*in.daily_active_share),
                  *in.monthly_active_users * *in.daily_active_share, "users");
  const double requests = r.add("requests_per_day", "requests per day", "daily active users × requests per user per day",
                                q(dau) + " × " + q(in.requests_per_user_per_day),
                                dau * in.requests_per_user_per_day, "requests/day");
  const double ratio = in.reads_per_write;
  const double reads = r.add("reads_per_day", "reads per day", "requests per day × reads per write / (1 + reads per write)",
                             q(requests) + " × " + q(ratio) + " / (1 + " + q(ratio) + ")",
                             requests * ratio / (1 + ratio), "requests/day");
  const double writes = r.add("writes_per_day", "writes per day", "requests per day / (1 + reads per write)",
                              q(requests) + " / (1 + " + q(ratio) + ")", requests / (1 + ratio), "requests/day");
  const double average = r.add("average_qps", "average QPS", "requests per day / " + day + " s", q(requests) + " / " + day,
                               requests / kSecondsPerDay, "requests/s");
  const double average_reads = r.add("average_read_qps", "average read QPS", "reads per day / " + day + " s", q(reads) + " / " + day,
                                     reads / kSecondsPerDay, "requests/s");
  const double average_writes = r.add("average_write_qps", "average write QPS", "writes per day / " + day + " s",
                                      q(writes) + " / " + day, writes / kSecondsPerDay, "requests/s");
  const double peak_factor = in.peak_to_average;
  const double peak = r.add("peak_qps", "peak QPS", "average QPS × peak-to-average", q(average) + " × " + q(peak_factor),
                            average * peak_factor, "requests/s");
  const double peak_reads = r.add("peak_read_qps", "peak read QPS", "average read QPS × peak-to-average",
                                  q(average_reads) + " × " + q(peak_factor), average_reads * peak_factor, "requests/s");
  const double peak_writes = r.add("peak_write_qps", "peak write QPS", "average write QPS × peak-to-average",
                                   q(average_writes) + " × " + q(peak_factor), average_writes * peak_factor,
                                   "requests/s");

  // Storage: what the writes add, kept for the retention.
  const double object_bytes =
      r.add("mean_object_bytes", "mean object size", "object size + media share × media size",
            q(in.object_size_bytes) + " + " + q(in.media_share) + " × " + q(in.media_size_bytes),
            in.object_size_bytes + in.media_share * in.media_size_bytes, "bytes");
  const double objects_day = r.add("object_storage_per_day_bytes", "object storage per day", "writes per day × object size",
                                   q(writes) + " × " + q(in.object_size_bytes), writes * in.object_size_bytes,
                                   "bytes/day");
  const double media_day = r.add("media_storage_per_day_bytes", "media storage per day", "writes per day × media share × media size",
                                 q(writes) + " × " + q(in.media_share) + " × " + q(in.media_size_bytes),
                                 writes * in.media_share * in.media_size_bytes, "bytes/day");
  const double storage_day = r.add("storage_per_day_bytes", "storage per day", "object storage per day + media storage per day",
                                   q(objects_day) + " + " + q(media_day), objects_day + media_day, "bytes/day");
  const double days = r.add("retention_days", "retention in days", "retention in years × " + q(kDaysPerYear) + " days",
                            q(in.retention_years) + " × " + q(kDaysPerYear), in.retention_years * kDaysPerYear,
                            "days");
  r.add("object_storage_over_retention_bytes", "object storage over the retention", "object storage per day × retention in days",
        q(objects_day) + " × " + q(days), objects_day * days, "bytes");
  r.add("media_storage_over_retention_bytes", "media storage over the retention", "media storage per day × retention in days",
        q(media_day) + " × " + q(days), media_day * days, "bytes");
  r.add("storage_over_retention_bytes", "storage over the retention", "storage per day × retention in days", q(storage_day) + " × " + q(days),
        storage_day * days, "bytes");

  // Bandwidth: writes bring their objects in, reads take them out.
  r.add("bandwidth_in_average_bytes_per_s", "average bandwidth in", "average write QPS × mean object size",
        q(average_writes) + " × " + q(object_bytes), average_writes * object_bytes, "bytes/s");
  r.add("bandwidth_in_peak_bytes_per_s", "peak bandwidth in", "peak write QPS × mean object size",
        q(peak_writes) + " × " + q(object_bytes), peak_writes * object_bytes, "bytes/s");
  r.add("bandwidth_out_average_bytes_per_s", "average bandwidth out", "average read QPS × mean object size",
        q(average_reads) + " × " + q(object_bytes), average_reads * object_bytes, "bytes/s");
  r.add("bandwidth_out_peak_bytes_per_s", "peak bandwidth out", "peak read QPS × mean object size", q(peak_reads) + " × " + q(object_bytes),
        peak_reads * object_bytes, "bytes/s");

  // The cache: the 80/20 rule, a fifth of the objects taking most reads,
  // keeps the hot fraction of a day's reads in memory. Media are left to a
  // CDN or object store.
  r.add("cache_memory_bytes", "cache memory", "hot fraction × reads per day × object size",
        q(in.hot_fraction) + " × " + q(reads) + " × " + q(in.object_size_bytes),
        in.hot_fraction * reads * in.object_size_bytes, "bytes");

  // The servers: enough that none runs above the utilization allowed at the peak.
  if (in.server_capacity_qps) {
    const double capacity = *in.server_capacity_qps;
    const double servers =
        r.add("servers_needed", "servers needed", "⌈peak QPS / (server capacity × server utilization max)⌉",
              "⌈" + q(peak) + " / (" + q(capacity) + " × " + q(in.server_utilization_max) + ")⌉",
              servers_for(peak / (capacity * in.server_utilization_max)), "servers");
    r.add("server_utilization_at_peak", "server utilization at the peak", "peak QPS / (servers needed × server capacity)",
          q(peak) + " / (" + q(servers) + " × " + q(capacity) + ")", peak / (servers * capacity), "fraction");
  }
  return e;
}

std::string format_steps(const Estimate& estimate) {
  std::string out;
  const std::size_t count = estimate.steps.size();
  const std::size_t number_width = std::to_string(count).size();
  for (std::size_t i = 0; i < count; ++i) {
    const EstimateStep& s = estimate.steps[i];
    std::string number = std::to_string(i + 1);
    number.insert(0, number_width - number.size(), ' ');
    const std::string indent(number_width + 2, ' ');
    std::string result = format_quantity(s.value) + " " + s.unit;
    if (s.unit.rfind("bytes", 0) == 0) result += " (" + format_bytes(s.value) + s.unit.substr(5) + ")";
    if (s.unit == "fraction") result = format_quantity(s.value) + " (" + significant_digits(100 * s.value, 3) + " %)";
    if (s.numbers.empty()) {
      out += number + ". " + s.label + " (" + s.formula + ") = " + result + "\n";
      continue;
    }
    out += number + ". " + s.label + " = " + s.formula + "\n" + indent + "= " + s.numbers + "\n" + indent + "= " +
           result + "\n";
  }
  return out;
}

}  // namespace archsim::analysis
