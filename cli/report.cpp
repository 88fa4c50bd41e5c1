#include "cli/report.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string_view>
#include <tuple>
#include <vector>

#include "analysis/number_text.h"

namespace archsim::cli {

using spec::Json;

namespace {

// A closed range of code points.
struct Range {
  char32_t first, last;
};

// Characters two cells wide: Unicode's East Asian Width classes W and F. The
// blocks are taken whole where only unassigned code points lie between the
// wide ones; the emoji blocks are taken whole, though a few of their symbols
// are narrow.
constexpr Range kWide[] = {
    {0x1100, 0x115F},   {0x231A, 0x231B},   {0x2329, 0x232A},   {0x23E9, 0x23EC},   {0x23F0, 0x23F0},
    {0x23F3, 0x23F3},   {0x25FD, 0x25FE},   {0x2614, 0x2615},   {0x2648, 0x2653},   {0x267F, 0x267F},
    {0x2693, 0x2693},   {0x26A1, 0x26A1},   {0x26AA, 0x26AB},   {0x26BD, 0x26BE},   {0x26C4, 0x26C5},
    {0x26CE, 0x26CE},   {0x26D4, 0x26D4},   {0x26EA, 0x26EA},   {0x26F2, 0x26F3},   {0x26F5, 0x26F5},
    {0x26FA, 0x26FA},   {0x26FD, 0x26FD},   {0x2705, 0x2705},   {0x270A, 0x270B},   {0x2728, 0x2728},
    {0x274C, 0x274C},   {0x274E, 0x274E},   {0x2753, 0x2755},   {0x2757, 0x2757},   {0x2795, 0x2797},
    {0x27B0, 0x27B0},   {0x27BF, 0x27BF},   {0x2B1B, 0x2B1C},   {0x2B50, 0x2B50},   {0x2B55, 0x2B55},
    {0x2E80, 0x303E},     // CJK radicals, Kangxi radicals, CJK symbols and punctuation
    {0x3041, 0x4DBF},     // kana, Bopomofo, Hangul compatibility jamo, CJK compatibility, CJK extension A
    {0x4E00, 0x9FFF},     // CJK unified ideographs
    {0xA000, 0xA4CF},     // Yi
    {0xA960, 0xA97F},     // Hangul jamo extended A
    {0xAC00, 0xD7A3},     // Hangul syllables
    {0xF900, 0xFAFF},     // CJK compatibility ideographs
    {0xFE10, 0xFE19},     // vertical forms
    {0xFE30, 0xFE6F},     // CJK compatibility forms, small form variants
    {0xFF00, 0xFF60},     // fullwidth forms
    {0xFFE0, 0xFFE6},     // fullwidth signs
    {0x16FE0, 0x16FE4}, {0x17000, 0x18CFF}, {0x1AFF0, 0x1B2FF}, {0x1F004, 0x1F004}, {0x1F0CF, 0x1F0CF},
    {0x1F18E, 0x1F18E}, {0x1F191, 0x1F19A}, {0x1F200, 0x1F2FF},
    {0x1F300, 0x1F64F},   // pictographs, emoticons
    {0x1F680, 0x1F6FF},   // transport and map symbols
    {0x1F7E0, 0x1F7EB}, {0x1F900, 0x1F9FF}, {0x1FA70, 0x1FAFF},
    {0x20000, 0x2FFFD},   // CJK extensions B and later
    {0x30000, 0x3FFFD},
};

// Characters of no width: combining marks (they draw on the character
// before them), Hangul conjoining vowels and final consonants (they join the
// leading consonant into one syllable), and format characters such as the
// zero-width joiner and the variation selectors. The marks of the main
// scripts, not every combining mark in Unicode.
constexpr Range kZeroWidth[] = {
    {0x0300, 0x036F},   {0x0483, 0x0489},   {0x0591, 0x05BD},   {0x05BF, 0x05BF},   {0x05C1, 0x05C2},
    {0x05C4, 0x05C5},   {0x05C7, 0x05C7},   {0x0610, 0x061A},   {0x061C, 0x061C},   {0x064B, 0x065F},
    {0x0670, 0x0670},   {0x06D6, 0x06DC},   {0x06DF, 0x06E4},   {0x06E7, 0x06E8},   {0x06EA, 0x06ED},
    {0x0711, 0x0711},   {0x0730, 0x074A},   {0x07A6, 0x07B0},   {0x07EB, 0x07F3},   {0x08D3, 0x0902},
    {0x093A, 0x093A},   {0x093C, 0x093C},   {0x0941, 0x0948},   {0x094D, 0x094D},   {0x0951, 0x0957},
    {0x0962, 0x0963},   {0x0981, 0x0981},   {0x09BC, 0x09BC},   {0x09C1, 0x09C4},   {0x09CD, 0x09CD},
    {0x09E2, 0x09E3},   {0x0E31, 0x0E31},   {0x0E34, 0x0E3A},   {0x0E47, 0x0E4E},   {0x0EB1, 0x0EB1},
    {0x0EB4, 0x0EBC},   {0x0EC8, 0x0ECD},   {0x1160, 0x11FF},   {0x135D, 0x135F},   {0x1AB0, 0x1AFF},
    {0x1DC0, 0x1DFF},   {0x200B, 0x200F},   {0x202A, 0x202E},   {0x2060, 0x2064},   {0x20D0, 0x20F0},
    {0x302A, 0x302D},   {0x3099, 0x309A},   {0xD7B0, 0xD7FF},   {0xFE00, 0xFE0F},   {0xFE20, 0xFE2F},
    {0xFEFF, 0xFEFF},   {0xE0001, 0xE0001}, {0xE0020, 0xE007F}, {0xE0100, 0xE01EF},
};

template <std::size_t N>
bool in_ranges(const Range (&ranges)[N], char32_t c) {
  // The ranges are sorted and apart: the one that may hold c is the last
  // that starts at or before it.
  const Range* after = std::upper_bound(ranges, ranges + N, c, [](char32_t x, const Range& r) { return x < r.first; });
  return after != ranges && c <= (after - 1)->last;
}

// One character of UTF-8 text: its code point and its length in bytes. For
// bytes that start no well-formed sequence, `valid` is false and `length`
// covers the longest start of a sequence there (at least one byte), which a
// terminal shows as one replacement character.
struct Character {
  char32_t code_point = 0;
  std::size_t length = 1;
  bool valid = false;
};

Character decode_at(std::string_view text, std::size_t at) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(at);
  if (lead < 0x80) return {lead, 1, true};
  std::size_t length = 0;
  char32_t value = 0;
  // The second byte's range excludes overlong forms (E0, F0), surrogates
  // (ED) and code points above U+10FFFF (F4); later bytes are 80..BF.
  unsigned char low = 0x80, high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
    value = lead & 0x1F;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    value = lead & 0x0F;
    if (lead == 0xE0) low = 0xA0;
    if (lead == 0xED) high = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    value = lead & 0x07;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;
  } else {
    return {};
  }
  for (std::size_t i = 1; i < length; ++i) {
    if (at + i >= text.size() || byte(at + i) < low || byte(at + i) > high) return {0, i, false};
    value = value << 6 | (byte(at + i) & 0x3F);
    low = 0x80;
    high = 0xBF;
  }
  return {value, length, true};
}

std::size_t cells_of(const Character& c) {
  if (!c.valid) return 1;
  if (c.code_point < 0x20 || (c.code_point >= 0x7F && c.code_point < 0xA0)) return 0;  // control characters
  if (in_ranges(kZeroWidth, c.code_point)) return 0;
  return in_ranges(kWide, c.code_point) ? 2 : 1;
}

using analysis::group_thousands;  // every number in the report is written so

std::string fixed(double v, int decimals) {
  char buffer[400];  // the largest double written in full takes 309 digits
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, v);
  return group_thousands(buffer);
}

// Three significant figures, enough to read a latency at a glance.
std::string sig(double v) {
  if (v == 0) return "0";
  const double a = std::fabs(v);
  const int decimals = a >= 100 ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : a >= 0.1 ? 3 : 4;
  return fixed(v, decimals);
}

std::string count(const Json& n) { return group_thousands(std::to_string(n.get<std::uint64_t>())); }

std::string percent(double fraction) { return fixed(100 * fraction, 0) + "%"; }

// Names longer than this are cut (with "…") wherever the report shows them,
// so that one long name does not push every column off the screen.
constexpr std::size_t kNameCells = 40;

std::string shown_name(const std::string& name) { return fit_to_width(name, kNameCells); }

std::string pad(const std::string& s, std::size_t cells, bool right) {
  const std::size_t shown = display_width(s);
  if (shown >= cells) return s;
  const std::string fill(cells - shown, ' ');
  return right ? fill + s : s + fill;
}

// A table whose columns are as wide as their widest cell, counted in terminal
// cells. The first column holds the row labels, indented under the table's
// title; numbers are right-aligned, words left-aligned.
class Table {
 public:
  struct Column {
    std::string header;
    bool right_aligned = true;
  };

  Table(std::string title, std::vector<Column> columns) : title_(std::move(title)), columns_(std::move(columns)) {}

  void add(const std::string& label, std::vector<std::string> cells) {
    labels_.push_back(shown_name(label));
    rows_.push_back(std::move(cells));
  }

  std::size_t label_cells() const {
    std::size_t cells = display_width(title_);
    for (const auto& label : labels_) cells = std::max(cells, kIndent.size() + display_width(label));
    return cells;
  }

  // The tables of a report share the width of their label column, at least
  // label_cells(), so that their columns start at the same place.
  void write(std::ostringstream& out, std::size_t label_cells) const {
    std::vector<std::size_t> widths;
    for (std::size_t i = 0; i < columns_.size(); ++i) {
      std::size_t cells = display_width(columns_[i].header);
      for (const auto& row : rows_) cells = std::max(cells, display_width(row[i]));
      widths.push_back(cells);
    }
    auto line = [&](const std::string& label, auto cell) {
      std::string text = pad(label, label_cells, false);
      for (std::size_t i = 0; i < columns_.size(); ++i) text += kGap + pad(cell(i), widths[i], columns_[i].right_aligned);
      text.erase(text.find_last_not_of(' ') + 1);
      out << text << "\n";
    };
    line(title_, [&](std::size_t i) { return columns_[i].header; });
    for (std::size_t r = 0; r < rows_.size(); ++r) line(kIndent + labels_[r], [&](std::size_t i) { return rows_[r][i]; });
  }

 private:
  inline static const std::string kIndent = "  ";
  inline static const std::string kGap = "   ";
  std::string title_;
  std::vector<Column> columns_;
  std::vector<std::string> labels_;
  std::vector<std::vector<std::string>> rows_;
};

std::string failures(const Json& failed) {
  std::string out;
  for (const auto& [cause, n] : failed.items()) {
    if (cause == "total" || n.get<std::uint64_t>() == 0) continue;
    if (!out.empty()) out += ", ";
    out += cause + " " + count(n);
  }
  return out;
}

// RFC 4180: quoted only when the text holds a comma, a quote or a line break.
std::string csv_cell(const Json& v) {
  if (v.is_null()) return "";
  if (v.is_boolean()) return v.get<bool>() ? "1" : "0";
  if (v.is_string()) {
    const std::string s = v.get<std::string>();
    if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
    std::string out = "\"";
    for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
    return out + "\"";
  }
  return v.dump();
}

// A word as a POSIX shell reads it back: bare when it holds only characters
// the shell leaves alone, else in single quotes.
std::string shell_word(const std::string& word) {
  const bool bare = !word.empty() && std::all_of(word.begin(), word.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || std::string_view("_-./=:,+@%^").find(c) != std::string_view::npos;
  });
  if (bare) return word;
  std::string out = "'";
  for (char c : word) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string qps(double v) { return fixed(v, 1) + " qps"; }

// What a pool's busy workers wait on, as shares of their busy time, the
// largest first: ", 56% waiting on db, 12% waiting on cache".
std::string waits(const Json& component) {
  if (!component.contains("waiting_on")) return "";
  const double utilization = component["utilization"].get<double>();
  std::vector<std::pair<std::string, double>> shares;
  for (const auto& [name, fraction] : component["waiting_on"].items())
    if (fraction.get<double>() > 0) shares.emplace_back(name, fraction.get<double>() / utilization);
  std::stable_sort(shares.begin(), shares.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  std::string out;
  for (const auto& [name, share] : shares) out += ", " + percent(share) + " waiting on " + shown_name(name);
  return out;
}

// A pool's utilization, with the least and the most utilized replica's when
// it has several: an uneven spread hides behind the pool's mean.
std::string utilization_cell(const Json& c) {
  if (c["utilization"].is_null()) return "-";
  std::string cell = fixed(c["utilization"].get<double>(), 2);
  if (c.contains("instances") && c["instances"].size() > 1) {
    // An autoscaled instance that never held work in the window has none.
    double low = 1, high = 0;
    bool any = false;
    for (const auto& instance : c["instances"]) {
      if (instance["utilization"].is_null()) continue;
      any = true;
      low = std::min(low, instance["utilization"].get<double>());
      high = std::max(high, instance["utilization"].get<double>());
    }
    if (any) cell += " (" + fixed(low, 2) + "–" + fixed(high, 2) + ")";
  }
  return cell;
}

// What a database's server `i` is at the end of the run: "primary", or
// "replica N", its read replicas counted from 1 in server order (after a
// failover the old primary is one of them).
std::string server_role(const Json& servers, std::size_t i) {
  if (servers[i]["role_at_end"] == "primary") return "primary";
  std::size_t n = 0;
  for (std::size_t k = 0; k <= i; ++k) n += servers[k]["role_at_end"] == "primary" ? 0 : 1;
  return "replica " + std::to_string(n);
}

// The fault timeline, when there is one: each action with what reached
// the clients while it was in force, and how long they took to recover after.
void write_faults(std::ostringstream& out, const Json& r) {
  if (!r.contains("faults") || r["faults"]["timeline"].empty()) return;
  const double simulated_s = r["run"]["simulated_s"].get<double>();
  Table faults("Faults", {{"from"}, {"until"}, {"offered"}, {"failed"}, {"by cause", false}, {"detected after"}, {"recovered after"}});
  for (const auto& f : r["faults"]["timeline"]) {
    std::string label = f["action"].get<std::string>() + " ";
    if (f.contains("target"))
      label += shown_name(f["target"].get<std::string>());
    else
      label += shown_name(f["from"].get<std::string>()) + (f["both_ways"].get<bool>() ? " ↔ " : " → ") +
               shown_name(f["to"].get<std::string>());
    // An action at an instant (a flush, a reshard) ends as it begins.
    const bool instant = !f["end_s"].is_null() && f["end_s"] == f["start_s"];
    const bool began = f["in_force_s"].get<double>() > 0 || (instant && f["start_s"].get<double>() <= simulated_s);
    std::string recovered;
    if (!began) recovered = "did not begin";
    else if (!f["recovery_s"].is_null()) recovered = sig(f["recovery_s"].get<double>()) + " s";
    else if (f["end_s"].is_null() || f["end_s"].get<double>() >= simulated_s) recovered = "-";
    else recovered = "not by the end";
    const std::string why = failures(f["failed"]);
    // Time to detect, with who detected it (a load balancer's health checks).
    std::string detected = "-";
    if (f.contains("detection_s") && !f["detection_s"].is_null())
      detected = sig(f["detection_s"].get<double>()) + " s by " + f["detected_by"].get<std::string>();
    faults.add(label, {sig(f["start_s"].get<double>()) + " s",
                       f["end_s"].is_null() ? std::string("run end")
                       : instant            ? std::string("-")
                                            : sig(f["end_s"].get<double>()) + " s",
                       began ? count(f["offered"]) : "-", began ? count(f["failed"]["total"]) : "-",
                       why.empty() ? "-" : why, detected, recovered});
  }
  faults.write(out, faults.label_cells());
  const Json& criteria = r["faults"]["recovery"];
  out << "  recovered: at most " << spec::format_number(100 * criteria["failed_ratio_max"].get<double>())
      << "% of the requests ending failed, for " << spec::format_number(criteria["stable_s"].get<double>())
      << " s on end\n\n";
}

// What the data components' own figures say, one line each, for those that
// report them: a cache's hit rate, stale reads, replication lag, writes lost
// in failovers, requests without a quorum, the shares of a router's shards
// and the keys each reshard moved, a rate limiter's refusals; under a
// database with replicas, a line per server by its role at the end.
// Every hop with a retry policy, as (caller, target, figures): the
// workloads' first, then the components', in the results' order.
std::vector<std::tuple<std::string, std::string, const Json*>> retry_hops(const Json& r) {
  std::vector<std::tuple<std::string, std::string, const Json*>> hops;
  for (const auto& w : r["workloads"].items())
    if (w.value().contains("retries"))
      hops.emplace_back(w.key(), w.value()["retries"]["target"].get<std::string>(), &w.value()["retries"]);
  for (const auto& c : r["components"].items())
    if (c.value().contains("retries"))
      for (const auto& t : c.value()["retries"].items()) hops.emplace_back(c.key(), t.key(), &t.value());
  return hops;
}

// Retries: attempts per call on each hop that retries, and the requests
// that reached each component per client request (where they multiply).
void write_retries(std::ostringstream& out, const Json& r) {
  const auto hops = retry_hops(r);
  if (hops.empty()) return;
  out << "Retries, attempts per call:\n";
  for (const auto& [caller, target, f] : hops) {
    const Json& h = *f;
    out << "  " << shown_name(caller) << " → " << shown_name(target) << ": "
        << (h["amplification"].is_null() ? std::string("-") : fixed(h["amplification"].get<double>(), 2)) << " ("
        << count(h["calls"]) << " calls, " << count(h["retries"]) << " retries, " << count(h["denied_by_budget"])
        << " denied by the budget, " << count(h["exhausted"]) << " out of attempts)\n";
  }
  out << "  end to end, arrivals per client request:";
  bool first = true;
  for (const auto& [name, c] : r["components"].items()) {
    if (c["arrivals_per_request"].is_null()) continue;
    out << (first ? " " : ", ") << shown_name(name) << " " << fixed(c["arrivals_per_request"].get<double>(), 2);
    first = false;
  }
  out << "\n\n";
}

// A part of the report shown only when some line belongs to it: its title
// before its first line, a blank line after its last.
class OptionalPart {
 public:
  OptionalPart(std::ostringstream& out, const char* title) : out_(out), title_(title) {}
  OptionalPart(const OptionalPart&) = delete;
  OptionalPart& operator=(const OptionalPart&) = delete;
  ~OptionalPart() {
    if (any_) out_ << "\n";
  }
  // Where the next line goes.
  std::ostringstream& line() {
    if (!any_) out_ << title_ << "\n";
    any_ = true;
    return out_;
  }

 private:
  std::ostringstream& out_;
  const char* title_;
  bool any_ = false;
};

// Hedged calls: per hop, the share of calls hedged and what the hedges did.
void write_hedges(std::ostringstream& out, const Json& r) {
  OptionalPart part(out, "Hedges:");
  for (const auto& [caller, c] : r["components"].items()) {
    if (!c.contains("hedges")) continue;
    for (const auto& [target, h] : c["hedges"].items())
      part.line() << "  " << shown_name(caller) << " → " << shown_name(target) << ": "
          << (h["hedge_rate"].is_null() ? std::string("-") : sig(100 * h["hedge_rate"].get<double>()) + "%")
          << " of " << count(h["calls"]) << " calls hedged, " << count(h["won_by_hedge"]) << " won by the hedge, "
          << count(h["denied_by_budget"]) << " denied by the budget, delay " << sig(h["delay_ms"].get<double>())
          << " ms\n";
  }
}

// Autoscaled services: the instances serving over the window, what they
// cost, and the actions taken.
void write_autoscaling(std::ostringstream& out, const Json& r) {
  OptionalPart part(out, "Autoscaling:");
  for (const auto& [name, c] : r["components"].items()) {
    if (!c.contains("autoscaling")) continue;
    const Json& a = c["autoscaling"];
    const Json& serving = a["instances_serving"];
    part.line() << "  " << shown_name(name) << ": " << count(serving["min"]) << "–" << count(serving["max"])
        << " instances serving (mean " << fixed(serving["mean"].get<double>(), 2) << "), "
        << count(std::llround(a["instance_seconds"].get<double>())) << " instance-seconds, " << count(c["scale_outs"])
        << " scale-outs, " << count(c["scale_ins"]) << " scale-ins\n";
  }
}

// A rate of bytes in decimal units, as networks are sold (1 MB/s = 10^6 bytes/s).
std::string byte_rate(double bytes_per_s) {
  static const char* const units[] = {"B/s", "kB/s", "MB/s", "GB/s", "TB/s"};
  std::size_t u = 0;
  while (bytes_per_s >= 1000 && u + 1 < std::size(units)) {
    bytes_per_s /= 1000;
    ++u;
  }
  return sig(bytes_per_s) + " " + units[u];
}

// Network cards and links with a bandwidth: what each way carried, how busy
// it was, and the mean wait for it.
void write_bandwidth(std::ostringstream& out, const Json& r) {
  OptionalPart part(out, "Bandwidth:");
  auto way = [](const std::string& what, double bytes_per_s, double utilization, double wait_ms) {
    return what + " " + byte_rate(bytes_per_s) + " (utilization " + fixed(utilization, 2) + ", mean wait " +
           sig(wait_ms) + " ms)";
  };
  for (const auto& [name, c] : r["components"].items()) {
    if (!c.contains("network_card")) continue;
    const Json& card = c["network_card"];
    part.line() << "  " << shown_name(name) << "'s cards at " << byte_rate(card["bandwidth_bytes_per_s"].get<double>()) << ": "
        << way("out", c["network_out_bytes_per_s"].get<double>(), c["network_out_utilization"].get<double>(),
               card["out"]["wait_ms_mean"].get<double>())
        << ", "
        << way("in", c["network_in_bytes_per_s"].get<double>(), c["network_in_utilization"].get<double>(),
               card["in"]["wait_ms_mean"].get<double>())
        << "\n";
  }
  for (const auto& l : r["network"]["links"]) {
    if (!l.contains("bandwidth_bytes_per_s")) continue;
    const Json& q = l["requests"];
    const Json& p = l["replies"];
    part.line() << "  link " << shown_name(l["from"].get<std::string>()) << " → " << shown_name(l["to"].get<std::string>())
        << " at " << byte_rate(l["bandwidth_bytes_per_s"].get<double>()) << ": "
        << way("requests", q["bytes_per_s"].get<double>(), q["utilization"].get<double>(), q["wait_ms_mean"].get<double>())
        << ", "
        << way("replies", p["bytes_per_s"].get<double>(), p["utilization"].get<double>(), p["wait_ms_mean"].get<double>())
        << "\n";
  }
}

void write_data(std::ostringstream& out, const Json& r) {
  struct Lines {
    std::string name, line;
    std::vector<std::string> servers;
  };
  std::vector<Lines> lines;
  for (const auto& [name, c] : r["components"].items()) {
    std::vector<std::string> parts;
    const bool cache = c.contains("hit_rate");
    if (cache && c["lookups"].get<std::uint64_t>() > 0)
      parts.push_back("hit rate " + sig(100 * c["hit_rate"].get<double>()) + "% of " + count(c["lookups"]) +
                      " lookups, evictions " + count(c["evictions"]) + ", expirations " + count(c["expirations"]));
    if (cache && c.contains("coalesced") && c["coalesced"].get<std::uint64_t>() > 0)
      parts.push_back("coalesced misses " + count(c["coalesced"]));
    // A CDN: what its edges kept from the origin, and each edge's hit rate.
    if (c.contains("offload") && c["lookups"].get<std::uint64_t>() > 0) {
      parts.push_back("origin offload " + sig(100 * c["offload"].get<double>()) + "% of static requests, " +
                      sig(100 * c["byte_offload"].get<double>()) + "% of their bytes");
      const Json& edges = c["by_edge"];
      if (edges.size() > 1 && edges.size() <= 8) {
        std::string rates;
        for (const auto& edge : edges) rates += (rates.empty() ? "" : " / ") + sig(100 * edge["hit_rate"].get<double>()) + "%";
        parts.push_back("hit rate by edge " + rates);
      } else if (edges.size() > 8) {
        double low = 1, high = 0;
        for (const auto& edge : edges) {
          low = std::min(low, edge["hit_rate"].get<double>());
          high = std::max(high, edge["hit_rate"].get<double>());
        }
        parts.push_back("hit rate by edge " + sig(100 * low) + "% to " + sig(100 * high) + "%");
      }
    }
    // A rate limiter: what its limit refused, per client where it keys by client.
    if (c.contains("rate_limited") && c.contains("admitted")) {
      const std::uint64_t decided = c["admitted"].get<std::uint64_t>() + c["rate_limited"].get<std::uint64_t>();
      std::string part = "rate limited " + count(c["rate_limited"]) + " of " + count(Json(decided));
      if (!c["rate_limited_fraction"].is_null())
        part += " (" + sig(100 * c["rate_limited_fraction"].get<double>()) + "%)";
      parts.push_back(part);
      if (c.contains("rate_limited_by_client") && c["rate_limited_by_client"].size() > 1) {
        std::string by;
        for (const auto& [client, n] : c["rate_limited_by_client"].items())
          by += (by.empty() ? "" : ", ") + shown_name(client) + " " + count(n);
        parts.push_back("by client " + by);
      }
      if (c.contains("keys_evicted") && c["keys_evicted"].get<std::uint64_t>() > 0)
        parts.push_back("keys evicted " + count(c["keys_evicted"]));
      if (c.contains("store_failures") && c["store_failures"].get<std::uint64_t>() > 0)
        parts.push_back("let through on store failures " + count(c["store_failures"]));
    }
    // Stale reads are possible with copies that can lag: replicas that
    // replicated something, or a quorum store's nodes.
    const bool copies = c.contains("no_quorum") ||
                        (c.contains("replication_lag_ms") && c["replication_lag_ms"]["count"].get<std::uint64_t>() > 0);
    if (c.contains("stale_reads") && (copies || c["stale_reads"].get<std::uint64_t>() > 0)) {
      std::string part = "stale reads " + count(c["stale_reads"]);
      if (c.contains("stale_read_fraction") && !c["stale_read_fraction"].is_null())
        part += " (" + sig(100 * c["stale_read_fraction"].get<double>()) + "% of " +
                (cache                              ? "hits)"
                 : c.contains("replication_lag_ms") ? "replica reads)"
                                                    : "reads)");
      parts.push_back(part);
    }
    if (c.contains("replication_lag_ms") && c["replication_lag_ms"]["count"].get<std::uint64_t>() > 0) {
      const Json& lag = c["replication_lag_ms"];
      parts.push_back("replication lag mean " + sig(lag["mean"].get<double>()) + " ms, p99 " +
                      sig(lag["p99"].get<double>()) + ", max " + sig(lag["max"].get<double>()));
    }
    if (c.contains("failovers") && !c["failovers"].empty())
      parts.push_back(std::to_string(c["failovers"].size()) + " failover" + (c["failovers"].size() > 1 ? "s" : "") +
                      ", writes lost " + count(c["lost_writes"]));
    if (cache && c.contains("lost_writes") && c["lost_writes"].get<std::uint64_t>() > 0)
      parts.push_back("write-back writes lost " + count(c["lost_writes"]));
    if (c.contains("no_quorum") && c["no_quorum"].get<std::uint64_t>() > 0)
      parts.push_back("no quorum " + count(c["no_quorum"]));
    if (c.contains("shards")) {
      std::string shares;
      for (const auto& shard : c["shards"])
        shares += (shares.empty() ? "" : " / ") + fixed(100 * shard["share"].get<double>(), 1) + "%";
      parts.push_back("shares of its shards " + shares);
    }
    if (c.contains("reshards"))
      for (const auto& reshard : c["reshards"])
        parts.push_back("at " + sig(reshard["at_s"].get<double>()) + " s from " + count(reshard["from_shards"]) +
                        " to " + count(reshard["to_shards"]) + " shards, " +
                        fixed(100 * reshard["moved_fraction"].get<double>(), 1) + "% of the keys moved");
    // A broker: each topic's messages and backlog, and each group's pace, from
    // the figures it declares (TOPIC.published, TOPIC.GROUP.throughput, ...).
    if (c.contains("at_end") && c["at_end"].is_object())
      for (const auto& [topic, end] : c["at_end"].items()) {
        const std::string t = topic + ".";
        std::string part = "topic " + topic + ": published " + count(c[t + "published"]) + ", backlog at end " +
                           count(end["backlog_messages"]) + " (max " + count(c[t + "backlog_messages"]["max"]) + ")";
        if (c[t + "dropped"].get<std::uint64_t>() > 0) part += ", dropped " + count(c[t + "dropped"]);
        for (const auto& [group, lag] : end["lag_messages"].items()) {
          const std::string g = t + group + ".";
          const Json& latency = c[g + "async_latency_ms"];
          part += "; group " + group + " " + sig(c[g + "throughput"].get<double>()) + " msg/s, lag at end " +
                  count(lag) + ", publish to done mean " + sig(latency["mean"].get<double>()) + " ms, p99 " +
                  sig(latency["p99"].get<double>());
          for (const char* figure : {"lost", "duplicates", "dead_lettered"})
            if (c[g + figure].get<std::uint64_t>() > 0) part += std::string(", ") + figure + " " + count(c[g + figure]);
        }
        parts.push_back(part);
      }
    std::vector<std::string> servers;
    if (c.contains("servers") && c["servers"].size() > 1)
      for (std::size_t i = 0; i < c["servers"].size(); ++i) {
        const Json& s = c["servers"][i];
        const std::string role = server_role(c["servers"], i);
        std::string line = role + ": " + qps(s["throughput_qps"].get<double>()) + ", utilization " +
                           (s["utilization"].is_null() ? std::string("-") : fixed(s["utilization"].get<double>(), 2));
        if (role != "primary" && s["reads"].get<std::uint64_t>() > 0)
          line += ", stale reads " + count(s["stale_reads"]) + " of " + count(s["reads"]);
        if (role != "primary" && !s["lag_ms_mean"].is_null())
          line += ", lag mean " + sig(s["lag_ms_mean"].get<double>()) + " ms, max " + sig(s["lag_ms_max"].get<double>());
        if (s["down_at_end"].get<bool>()) line += ", down at the end";
        servers.push_back(line);
      }
    if (parts.empty() && servers.empty()) continue;
    std::string line;
    for (const auto& part : parts) line += (line.empty() ? "" : "; ") + part;
    lines.push_back({name, line, servers});
  }
  if (lines.empty()) return;
  for (const auto& l : lines) {
    out << "  " << shown_name(l.name) << ":" << (l.line.empty() ? "" : " " + l.line) << "\n";
    for (const auto& server : l.servers) out << "    " << server << "\n";
  }
  out << "\n";
}

// The scenario's estimate beside what the run saw: the estimated peak rate
// against the offered and served rates, the servers needed against the
// pool's replicas and utilization, and why they differ, said from what the
// run shows (docs/estimate.md).
// A line per guarded call and per shedding service, from the figures a
// service declares (circuit_breakers, bulkheads, shed): how often a breaker
// opened and how long it stayed open, what a bulkhead held and refused.
void write_resilience(std::ostringstream& out, const Json& r) {
  std::vector<std::string> lines;
  for (const auto& [name, c] : r["components"].items()) {
    if (c.contains("circuit_breakers"))
      for (const auto& [target, b] : c["circuit_breakers"].items())
        lines.push_back(shown_name(name) + " -> " + shown_name(target) + ": breaker opened " + count(b["opens"]) +
                        " times, open " + percent(b["open_fraction"].get<double>()) + " of the time, " +
                        count(b["rejected"]) + " calls failed fast (circuit_open)");
    if (c.contains("bulkheads"))
      for (const auto& [target, b] : c["bulkheads"].items())
        lines.push_back(shown_name(name) + " -> " + shown_name(target) + ": bulkhead of " + count(b["limit"]) +
                        ", at most " + std::to_string(b["in_flight"]["max"].get<std::int64_t>()) + " in flight, " +
                        count(b["rejected"]) + " calls failed fast (bulkhead_full)");
    if (c.contains("shed"))
      lines.push_back(shown_name(name) + ": " + count(c["shed"]) + " requests shed, having waited past shed_wait_ms");
  }
  if (lines.empty()) return;
  out << "Resilience\n";
  for (const auto& line : lines) out << "  " << line << "\n";
  out << "\n";
}

void write_estimate(std::ostringstream& out, const Json& r) {
  if (!r.contains("estimate")) return;
  const Json& figures = r["estimate"]["figures"];
  const Json& s = r["summary"];
  const double measured_s = r["measured_s"].get<double>();
  const double peak = figures["peak_qps"]["value"].get<double>();
  const auto offered = s["offered"].get<std::uint64_t>();
  const double offered_qps = measured_s > 0 ? static_cast<double>(offered) / measured_s : 0;
  const double served_qps = s["throughput_qps"].get<double>();
  auto relative = [&](double v) {
    const double d = peak > 0 ? v / peak - 1 : 0;
    return std::string(d >= 0 ? "+" : "") + fixed(100 * d, 1) + "%";
  };
  std::vector<std::string> reasons;

  out << "\nEstimate vs simulation (the scenario's estimate section)\n";
  out << "  peak rate: estimated " << qps(peak) << "; offered " << qps(offered_qps) << " (" << relative(offered_qps)
      << "), served " << qps(served_qps) << " (" << relative(served_qps) << ")\n";
  // Random arrivals: a Poisson count of n has a standard deviation of sqrt(n).
  if (offered > 0) {
    const double chance = 3 / std::sqrt(static_cast<double>(offered));
    const double deviation = peak > 0 ? std::fabs(offered_qps / peak - 1) : 0;
    if (deviation <= chance)
      reasons.push_back("offered is within ±" + fixed(100 * chance, 1) +
                        "% of the estimate, the chance variation of Poisson arrivals over " + count(s["offered"]) +
                        " requests (three standard deviations)");
    else
      reasons.push_back("offered is beyond the chance variation of Poisson arrivals (±" + fixed(100 * chance, 1) +
                        "%): the workloads' arrivals (their rates, schedules or closed loops) are the scenario's "
                        "own, not the estimated peak");
  }
  const auto failed = s["failed"]["total"].get<std::uint64_t>();
  if (failed > 0)
    reasons.push_back(count(s["failed"]["total"]) + (failed == 1 ? " request" : " requests") + " failed (" +
                      failures(s["failed"]) +
                      "), so served is below offered; archsim's clients do not retry, where a real client's retries "
                      "would add to the offered load");
  else
    reasons.push_back("no request failed: served differs from offered only by the requests in flight at the edges "
                      "of the measured window");

  if (figures.contains("servers_needed")) {
    const double servers = figures["servers_needed"]["value"].get<double>();
    const double planned = figures["server_utilization_at_peak"]["value"].get<double>();
    out << "  servers: estimated " << fixed(servers, 0) << ", " << fixed(planned, 2) << " busy at the peak";
    const Json& pool = r["estimate"]["server_pool"];
    const Json* c = nullptr;
    if (pool.is_string() && r["components"].contains(pool.get<std::string>())) c = &r["components"][pool.get<std::string>()];
    if (pool.is_null()) {
      out << "; not compared: name the pool they stand for in estimate.server_pool\n";
    } else if (c == nullptr || (*c)["utilization"].is_null()) {
      out << "; not compared: " << shown_name(pool.get<std::string>()) << " has no workers to be busy\n";
    } else {
      const std::string name = shown_name(pool.get<std::string>());
      const double utilization = (*c)["utilization"].get<double>();
      const auto replicas = c->contains("replicas") ? (*c)["replicas"].get<std::int64_t>() : 1;
      out << "; " << name << " has " << replicas << " replica" << (replicas == 1 ? "" : "s") << ", utilization "
          << fixed(utilization, 2) << "\n";
      if (static_cast<double>(replicas) != servers)
        reasons.push_back(name + " has " + std::to_string(replicas) + " replicas, not the " + fixed(servers, 0) +
                          " estimated: its utilization is for its own size");
      reasons.push_back(
          "the estimate divides the peak by server_capacity_qps, an assumption; in the run, what a request holds "
          "a worker for (its compute and, while it waits, its calls) decides the utilization" +
          std::string(c->contains("waiting_on") && utilization > 0
                          ? ": " + percent(1 - (*c)["compute_utilization"].get<double>() / utilization) +
                                " of " + name + "'s busy time is spent waiting on calls"
                          : ""));
      double hottest = utilization;
      if (c->contains("instances"))
        for (const auto& instance : (*c)["instances"])
          if (!instance["utilization"].is_null()) hottest = std::max(hottest, instance["utilization"].get<double>());
      if (hottest > utilization + 0.02)
        reasons.push_back("skew: the busiest replica of " + name + " ran at " + fixed(hottest, 2) + ", the pool at " +
                          fixed(utilization, 2) + "; the estimate spreads the load evenly");
    }
  }
  const Json& latency = s["latency_ms"];
  if (latency["count"].get<std::uint64_t>() > 0)
    reasons.push_back("queueing and tails: the estimate is of means and says nothing of waiting; requests that "
                      "arrive together queue, and the p99 end to end (" + sig(latency["p99"].get<double>()) +
                      " ms) beside the mean (" + sig(latency["mean"].get<double>()) +
                      " ms) shows what queueing and varying service times add; both grow fast as utilization "
                      "nears 1");
  out << "  why they differ:\n";
  for (const auto& reason : reasons) out << "  - " << reason << "\n";
}

}  // namespace

CsvSeries::CsvSeries(const std::string& directory) : path_((std::filesystem::path(directory) / "timeseries.csv").string()) {
  std::error_code ec;
  std::filesystem::create_directories(directory, ec);
  file_.open(path_, std::ios::binary);
}

void CsvSeries::begin(const std::vector<models::SeriesColumn>& columns) {
  columns_ = columns;
  for (std::size_t i = 0; i < columns.size(); ++i) file_ << (i ? "," : "") << csv_cell(Json(columns[i].name));
  file_ << "\n";
}

void CsvSeries::row(const std::vector<double>& values) {
  for (std::size_t i = 0; i < values.size(); ++i)
    file_ << (i ? "," : "") << csv_cell(models::series_value(values[i], columns_[i].kind));
  file_ << "\n";
}

JsonRowsFile::JsonRowsFile() : file_(std::tmpfile()) {}
JsonRowsFile::~JsonRowsFile() {
  if (file_) std::fclose(file_);
}

void JsonRowsFile::row(const std::vector<double>& values) {
  Json row = Json::array();
  for (std::size_t i = 0; i < values.size(); ++i) row.push_back(models::series_value(values[i], columns_[i].kind));
  const std::string text = (rows_++ ? ",\n      " : "\n      ") + row.dump();
  std::fwrite(text.data(), 1, text.size(), file_);
}

void JsonRowsFile::write_results(const Json& results, std::ostream& out) {
  // The series is the last member of the document, and its rows the last
  // member of the series: the document is written with an empty "rows",
  // and the kept rows go where it ends.
  Json document = results;
  document["timeseries"]["rows"] = Json::array();
  std::string text = document.dump(2);
  const std::string empty = "\"rows\": []";
  const auto at = text.rfind(empty);
  out.write(text.data(), static_cast<std::streamsize>(at + empty.size() - 1));
  std::rewind(file_);
  char buffer[1 << 16];
  std::size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, file_)) > 0) out.write(buffer, static_cast<std::streamsize>(n));
  if (rows_ > 0) out << "\n    ";
  out << text.substr(at + empty.size() - 1) << "\n";
}

std::size_t display_width(std::string_view text) {
  std::size_t cells = 0;
  for (std::size_t at = 0; at < text.size();) {
    const Character c = decode_at(text, at);
    cells += cells_of(c);
    at += c.length;
  }
  return cells;
}

std::string fit_to_width(std::string_view text, std::size_t cells) {
  if (display_width(text) <= cells) return std::string(text);
  if (cells == 0) return "";
  const std::size_t room = cells - 1;  // one cell for the ellipsis
  std::size_t used = 0, end = 0;
  while (end < text.size()) {
    const Character c = decode_at(text, end);
    if (used + cells_of(c) > room) break;
    used += cells_of(c);
    end += c.length;
  }
  return std::string(text.substr(0, end)) + "…";
}

std::string format_report(const Json& r) {
  std::ostringstream out;
  const Json& s = r["summary"];
  const Json& run = r["run"];
  out << "archsim " << r["archsim_version"].get<std::string>() << " · scenario \"" << r["scenario"].get<std::string>()
      << "\" · seed " << r["seed"].get<std::uint64_t>() << "\n";
  if (run.contains("arguments")) {
    out << "command: archsim run";
    for (const auto& argument : run["arguments"]) out << " " << shell_word(argument.get<std::string>());
    out << "\n";
  }
  out << "simulated " << sig(run["simulated_s"].get<double>()) << " s";
  if (r["warmup_s"].get<double>() > 0) out << " (first " << sig(r["warmup_s"].get<double>()) << " s of warm-up not counted)";
  out << ", " << count(run["events"]) << " events\n";
  if (!run["completed"].get<bool>()) out << "STOPPED EARLY " << run["problem"].get<std::string>() << "\n";
  out << "\n";

  // A rate or a latency of no requests at all is "-": a row of zeros would
  // read as a measurement.
  const double measured_s = r["measured_s"].get<double>();
  auto offered_rate = [&](const Json& offered) {
    return offered.get<std::uint64_t>() == 0 || measured_s <= 0 ? std::string("-")
                                                                 : qps(offered.get<double>() / measured_s);
  };
  auto completed_rate = [](const Json& completed, const Json& rate) {
    return completed.get<std::uint64_t>() == 0 ? std::string("-") : qps(rate.get<double>());
  };
  const bool several_operations = r["operations"].size() > 1;

  Table requests("Requests", {{"offered"}, {"offered rate"}, {"completed"}, {"failed"}, {"throughput"}});
  auto request_row = [&](const std::string& label, const Json& o) {
    requests.add(label, {count(o["offered"]), offered_rate(o["offered"]), count(o["completed"]),
                         count(o["failed"]["total"]), completed_rate(o["completed"], o["throughput_qps"])});
  };
  request_row("total", s);
  if (several_operations)
    for (const auto& [name, o] : r["operations"].items()) request_row(name, o);

  Table latency("Latency (ms)", {{"mean"}, {"p50"}, {"p90"}, {"p99"}, {"p99.9"}, {"max"}});
  auto latency_row = [&](const std::string& label, const Json& l) {
    std::vector<std::string> cells;
    for (const char* k : {"mean", "p50", "p90", "p99", "p999", "max"})
      cells.push_back(l["count"].get<std::uint64_t>() == 0 ? "-" : sig(l[k].get<double>()));
    latency.add(label, std::move(cells));
  };
  latency_row("end to end", s["latency_ms"]);
  if (several_operations)
    for (const auto& [name, o] : r["operations"].items()) latency_row(name, o["latency_ms"]);

  // Work done for callers who had given up gets a column when there is any.
  bool any_orphaned = false;
  for (const auto& [_, c] : r["components"].items()) any_orphaned |= c["orphaned"].get<std::uint64_t>() > 0;
  std::vector<Table::Column> component_columns = {{"type", false}, {"throughput"},     {"goodput"},
                                                  {"util", false}, {"queue mean/max"}, {"latency mean"},
                                                  {"p99"},         {"rejected"}};
  if (any_orphaned) component_columns.push_back({"orphaned"});
  Table components("Components", component_columns);
  for (const auto& [name, c] : r["components"].items()) {
    const bool has_workers = !c["utilization"].is_null();
    const bool has_latency = c["latency_ms"]["count"].get<std::uint64_t>() > 0;
    std::vector<std::string> cells = {
        c["type"].get<std::string>(),
        completed_rate(c["completed"], c["throughput_qps"]),
        completed_rate(c["completed"], c["goodput_qps"]),
        utilization_cell(c),
        has_workers ? fixed(c["queue_length"]["mean"].get<double>(), 1) + " / " + count(c["queue_length"]["max"]) : "-",
        has_latency ? sig(c["latency_ms"]["mean"].get<double>()) + " ms" : "-",
        has_latency ? sig(c["latency_ms"]["p99"].get<double>()) : "-",
        count(c["rejected"])};
    if (any_orphaned) cells.push_back(count(c["orphaned"]));
    components.add(name, std::move(cells));
  }

  const std::size_t label_cells = std::max({requests.label_cells(), latency.label_cells(), components.label_cells()});
  requests.write(out, label_cells);
  const std::string why = failures(s["failed"]);
  if (!why.empty()) out << "  failed by cause: " << why << "\n";
  out << "\n";
  latency.write(out, label_cells);
  out << "\n";
  components.write(out, label_cells);

  // A pool whose workers wait more than they compute is held up by what it
  // calls: say on whom (the bottleneck line says it of the bottleneck).
  const Json& bottleneck = r["bottleneck"];
  bool waiting_shown = false;
  for (const auto& [name, c] : r["components"].items()) {
    if (c["utilization"].is_null() || !c.contains("waiting_on")) continue;
    if (!bottleneck.is_null() && bottleneck["component"] == name) continue;
    const double utilization = c["utilization"].get<double>();
    const double compute_share = utilization > 0 ? c["compute_utilization"].get<double>() / utilization : 1;
    if (compute_share >= 0.5) continue;
    if (!waiting_shown) out << "\n";
    waiting_shown = true;
    out << "  " << shown_name(name) << ", busy: " << percent(compute_share) << " computing" << waits(c) << "\n";
  }
  out << "\n";
  write_data(out, r);
  write_resilience(out, r);
  write_retries(out, r);
  write_hedges(out, r);
  write_autoscaling(out, r);
  write_bandwidth(out, r);
  write_faults(out, r);

  if (bottleneck.is_null()) {
    out << "Bottleneck: none (no component with workers was busy)\n";
  } else {
    const Json& b = bottleneck;
    const std::string name = b["component"].get<std::string>();
    out << "Bottleneck: " << shown_name(name);
    const std::string resource = b.value("resource", "workers");
    if (resource != "workers") {
      // A network card: how busy the hottest one is, and what waiting for it costs.
      const bool sending = resource == "network_out";
      const Json& side = r["components"][name]["network_card"][sending ? "out" : "in"];
      out << "'s network card" << (sending ? " sending" : " taking in");
      if (!b["hottest_replica"].is_null())
        out << ", replica " << b["hottest_replica"].get<std::int64_t>() << " at utilization "
            << fixed(b["hottest_replica_utilization"].get<double>(), 2) << " (all cards "
            << fixed(b["utilization"].get<double>(), 2) << ")";
      else
        out << " at utilization " << fixed(b["utilization"].get<double>(), 2);
      out << ", mean wait for the card " << sig(side["wait_ms_mean"].get<double>()) << " ms\n";
    } else {
      const std::string utilization = fixed(b["utilization"].get<double>(), 2);
      if (b.contains("hottest_replica") && !b["hottest_replica"].is_null()) {
        // A database's servers go by their roles; a pool's replicas by number.
        const Json& c = r["components"][name];
        const auto hottest = b["hottest_replica"].get<std::size_t>();
        out << ", "
            << (c.contains("servers") ? server_role(c["servers"], hottest) : "replica " + std::to_string(hottest))
            << " at utilization " << fixed(b["hottest_replica_utilization"].get<double>(), 2) << " (pool "
            << utilization << ")";
      } else {
        out << " at utilization " << utilization;
      }
      out << ", " << percent(b["compute_share"].get<double>()) << " of it computing" << waits(r["components"][name])
          << ", mean queue " << sig(b["queue_length_mean"].get<double>()) << "\n";
    }
  }
  write_estimate(out, r);
  return out.str();
}

std::string write_csv(const Json& r, const std::string& directory) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(directory, ec);
  if (ec) return "cannot create directory " + directory + ": " + ec.message();

  auto open = [&](const std::string& name, std::ofstream& file) {
    file.open(fs::path(directory) / name, std::ios::binary);
    return static_cast<bool>(file);
  };

  // Time series, when the results hold its rows.
  if (r["timeseries"].contains("rows")) {
    CsvSeries series(directory);
    if (!series.ok()) return "cannot write " + series.path();
    std::vector<models::SeriesColumn> columns;
    for (const auto& c : r["timeseries"]["columns"]) columns.push_back({c["name"].get<std::string>(), c["unit"].get<std::string>()});
    series.begin(columns);
    std::ofstream& f = series.stream();
    for (const auto& row : r["timeseries"]["rows"]) {
      for (std::size_t i = 0; i < row.size(); ++i) f << (i ? "," : "") << csv_cell(row[i]);
      f << "\n";
    }
  }
  // Components: one row each.
  {
    std::ofstream f;
    if (!open("components.csv", f)) return "cannot write " + directory + "/components.csv";
    f << "component,type,arrivals,completed,rejected,failed,throughput_qps,utilization,compute_utilization,"
         "concurrency_mean,queue_length_mean,queue_length_max,waited_fraction,wait_mean_ms,wait_p99_ms,"
         "latency_mean_ms,latency_p50_ms,latency_p90_ms,latency_p99_ms,latency_p999_ms,latency_max_ms\n";
    for (const auto& [name, c] : r["components"].items()) {
      f << csv_cell(name) << "," << csv_cell(c["type"]) << "," << c["arrivals"] << "," << c["completed"] << ","
        << c["rejected"] << "," << c["failed"] << "," << csv_cell(c["throughput_qps"]) << ","
        << csv_cell(c["utilization"]) << "," << csv_cell(c["compute_utilization"]) << ","
        << csv_cell(c["concurrency"]["mean"]) << "," << csv_cell(c["queue_length"]["mean"]) << ","
        << csv_cell(c["queue_length"]["max"]) << "," << csv_cell(c["waited_fraction"]) << ","
        << csv_cell(c["wait_ms"]["mean"]) << "," << csv_cell(c["wait_ms"]["p99"]);
      for (const char* k : {"mean", "p50", "p90", "p99", "p999", "max"}) f << "," << csv_cell(c["latency_ms"][k]);
      f << "\n";
    }
  }
  // Retries: one row per hop that retries, when there is any.
  if (const auto hops = retry_hops(r); !hops.empty()) {
    std::ofstream f;
    if (!open("retries.csv", f)) return "cannot write " + directory + "/retries.csv";
    f << "caller,target,calls,attempts,retries,amplification,denied_by_budget,exhausted\n";
    for (const auto& [caller, target, h] : hops) {
      f << csv_cell(caller) << "," << csv_cell(target) << "," << (*h)["calls"] << "," << (*h)["attempts"] << ","
        << (*h)["retries"] << "," << csv_cell((*h)["amplification"]) << "," << (*h)["denied_by_budget"] << ","
        << (*h)["exhausted"] << "\n";
    }
  }
  // Operations: the summary and one row per operation.
  {
    std::ofstream f;
    if (!open("operations.csv", f)) return "cannot write " + directory + "/operations.csv";
    std::vector<std::string> causes;
    for (const auto& [cause, _] : r["summary"]["failed"].items()) causes.push_back(cause);
    f << "operation,offered,completed";
    for (const auto& c : causes) f << ",failed_" << c;
    f << ",throughput_qps,success_ratio,latency_mean_ms,latency_p50_ms,latency_p90_ms,latency_p99_ms,"
         "latency_p999_ms,latency_max_ms\n";
    auto row = [&](const std::string& name, const Json& o) {
      f << csv_cell(name) << "," << o["offered"] << "," << o["completed"];
      for (const auto& c : causes) f << "," << o["failed"][c];
      f << "," << csv_cell(o["throughput_qps"]) << "," << csv_cell(o["success_ratio"]);
      for (const char* k : {"mean", "p50", "p90", "p99", "p999", "max"}) f << "," << csv_cell(o["latency_ms"][k]);
      f << "\n";
    };
    row("(all)", r["summary"]);
    for (const auto& [name, o] : r["operations"].items()) row(name, o);
  }
  return "";
}

}  // namespace archsim::cli
