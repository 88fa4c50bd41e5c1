// analysis/estimate.h: back-of-the-envelope estimation, the arithmetic of a
// system-design interview's "estimate the scale" step. From the users, what
// each does a day and the sizes of what they write, it works out the average
// and peak request rates (reads and writes), the storage a day and over the
// retention, the bandwidth in and out, the memory of a cache holding the hot
// part of a day's reads, and the servers that carry the peak.
//
// Every figure is also recorded as a step: its formula in words, the numbers
// put in, and the result with its unit, so that a student sees how each
// number came. The steps are in the order computed; each uses only the
// inputs and the figures of the steps before it.
//
// Units are decimal, as the worked examples of system-design interviews
// count them: 1 kB = 1000 bytes, 1 MB = 10^6, 1 GB = 10^9, 1 TB = 10^12,
// 1 PB = 10^15 (so 150 M users x 2 posts x 10 % x 1 MB = 30 TB exactly). A
// day has 86,400 seconds and a year 365 days.
//
// Not modelled: growth over the retention (the users of day one are the
// users of every day), replication and backups (each byte is stored once),
// compression, metadata and index overhead, traffic between the servers
// themselves, and any queueing: the servers needed are a division, and the
// time a request waits for a busy server is what a simulation shows.
//
// The inputs are checked again here (the scenario format checks them first,
// with their JSON paths): estimate() throws std::invalid_argument, naming the
// input, for nonsense.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace archsim::analysis {

inline constexpr double kSecondsPerDay = 86'400;
inline constexpr double kDaysPerYear = 365;

struct EstimateInput {
  // The users: either the daily active users, or the monthly active users
  // and the share of them active on a given day.
  std::optional<double> daily_active_users;
  std::optional<double> monthly_active_users;
  std::optional<double> daily_active_share;  // in (0, 1]
  double requests_per_user_per_day = 0;      // > 0
  double peak_to_average = 2;                // >= 1
  double reads_per_write = 0;                // >= 0; 0: every request writes
  double object_size_bytes = 0;              // >= 0, without its media
  double media_share = 0;                    // in [0, 1]: the share of objects that carry media
  double media_size_bytes = 0;               // >= 0, of the media an object carries
  double retention_years = 5;                // > 0
  double hot_fraction = 0.2;                 // in (0, 1]: the share of a day's reads cached
  std::optional<double> server_capacity_qps;  // > 0; without it no servers are estimated
  double server_utilization_max = 0.7;        // in (0, 1]: the most a server runs at, at the peak
};

// One figure worked out: `figure` is its key in Estimate::figures, `label`
// its name in words ("average QPS"), `formula` the computation in words
// ("requests per day / 86,400 s"), `numbers` the same with the numbers put
// in ("300,000,000 / 86,400"; empty for a figure given), `value` the result
// in `unit`.
struct EstimateStep {
  std::string figure;
  std::string label;
  std::string formula;
  std::string numbers;
  double value = 0;
  std::string unit;
};

struct Figure {
  std::string name;  // snake_case, its unit last where it has one
  double value = 0;
  std::string unit;  // "users", "requests/s", "bytes/day", "bytes/s", ...
};

struct Estimate {
  std::vector<Figure> figures;     // in the order of the steps
  std::vector<EstimateStep> steps;
  // A figure by name; throws std::out_of_range if there is none (the servers
  // are missing without a server capacity).
  double at(const std::string& name) const;
  const Figure* find(const std::string& name) const;
};

Estimate estimate(const EstimateInput& input);

// How the steps and the tables write numbers: a whole number in full with
// commas between groups of three digits ("54,750,000,000,000,000"), any
// other number to six significant digits ("3,472.22", "57.8704", "0.5").
std::string format_quantity(double value);
// A number of bytes in decimal units, to four significant digits: "30 TB",
// "54.75 PB", "61.2 GB", "512 B".
std::string format_bytes(double bytes);

// The steps written out, one numbered block each:
//    5. average QPS = requests per day / 86,400 s
//       = 300,000,000 / 86,400
//       = 3,472.22 requests/s
// A result in bytes also shows its decimal size: "(30 TB/day)".
std::string format_steps(const Estimate& estimate);

}  // namespace archsim::analysis
