#include "cli/report.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string_view>
#include <vector>

namespace archsim::cli {

using spec::Json;

namespace {

std::string fixed(double v, int decimals) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, v);
  return buffer;
}

// Three significant figures, enough to read a latency at a glance.
std::string sig(double v) {
  if (v == 0) return "0";
  const double a = std::fabs(v);
  const int decimals = a >= 100 ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : a >= 0.1 ? 3 : 4;
  return fixed(v, decimals);
}

std::string grouped(std::uint64_t n) {
  std::string digits = std::to_string(n), out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string pad(const std::string& s, std::size_t width, bool right = true) {
  // Width in characters, counting UTF-8 continuation bytes as nothing.
  std::size_t shown = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++shown;
  if (shown >= width) return right ? " " + s : s + " ";
  const std::string fill(width - shown, ' ');
  return right ? fill + s : s + fill;
}

std::string number_or_dash(const Json& v, int decimals) {
  if (v.is_null()) return "-";
  return fixed(v.get<double>(), decimals);
}

void latency_row(std::ostringstream& out, const std::string& label, const Json& l) {
  out << "  " << pad(label, 16, false);
  for (const char* k : {"mean", "p50", "p90", "p99", "p999", "max"}) out << pad(sig(l[k].get<double>()), 10);
  out << "\n";
}

std::string failures(const Json& failed) {
  std::string out;
  for (const auto& [cause, n] : failed.items()) {
    if (cause == "total" || n.get<std::uint64_t>() == 0) continue;
    if (!out.empty()) out += ", ";
    out += cause + " " + grouped(n.get<std::uint64_t>());
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
  out << ", " << grouped(run["events"].get<std::uint64_t>()) << " events\n";
  if (!run["completed"].get<bool>()) out << "STOPPED EARLY " << run["problem"].get<std::string>() << "\n";
  out << "\n";

  out << "Requests        " << pad("offered", 12) << pad("completed", 12) << pad("failed", 10) << pad("throughput", 16) << "\n";
  auto request_row = [&](const std::string& label, const Json& o) {
    out << "  " << pad(label, 14, false) << pad(grouped(o["offered"].get<std::uint64_t>()), 12)
        << pad(grouped(o["completed"].get<std::uint64_t>()), 12)
        << pad(grouped(o["failed"]["total"].get<std::uint64_t>()), 10)
        << pad(fixed(o["throughput_qps"].get<double>(), 1) + " qps", 16) << "\n";
  };
  request_row("total", s);
  if (r["operations"].size() > 1)
    for (const auto& [name, o] : r["operations"].items()) request_row(name, o);
  const std::string why = failures(s["failed"]);
  if (!why.empty()) out << "  failed by cause: " << why << "\n";
  out << "\n";

  out << "Latency (ms)    " << pad("mean", 10) << pad("p50", 10) << pad("p90", 10) << pad("p99", 10) << pad("p99.9", 10)
      << pad("max", 10) << "\n";
  latency_row(out, "end to end", s["latency_ms"]);
  if (r["operations"].size() > 1)
    for (const auto& [name, o] : r["operations"].items()) latency_row(out, name, o["latency_ms"]);
  out << "\n";

  out << "Components      " << pad("type", 15, false) << pad("throughput", 14) << pad("util", 7) << pad("queue mean/max", 16)
      << pad("latency mean", 14) << pad("p99", 9) << pad("rejected", 10) << "\n";
  for (const auto& [name, c] : r["components"].items()) {
    const std::string queue = c["type"] == "service"
                                  ? fixed(c["queue_length"]["mean"].get<double>(), 1) + " / " +
                                        grouped(c["queue_length"]["max"].get<std::uint64_t>())
                                  : "-";
    out << "  " << pad(name, 14, false) << pad(c["type"].get<std::string>(), 15, false)
        << pad(fixed(c["throughput_qps"].get<double>(), 1) + " qps", 14) << pad(number_or_dash(c["utilization"], 2), 7)
        << pad(queue, 16) << pad(sig(c["latency_ms"]["mean"].get<double>()) + " ms", 14)
        << pad(sig(c["latency_ms"]["p99"].get<double>()), 9) << pad(grouped(c["rejected"].get<std::uint64_t>()), 10) << "\n";
  }
  out << "\n";
  if (r["bottleneck"].is_null()) {
    out << "Bottleneck: none (no component with workers was busy)\n";
  } else {
    const Json& b = r["bottleneck"];
    out << "Bottleneck: " << b["component"].get<std::string>() << " (utilization " << fixed(b["utilization"].get<double>(), 2)
        << ", " << fixed(100 * b["compute_share"].get<double>(), 0) << "% of it computing, mean queue "
        << sig(b["queue_length_mean"].get<double>()) << ")\n";
  }
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
