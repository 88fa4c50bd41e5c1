// tests/cli/cli_helpers.h: running `archsim ...` in-process and the small
// scenarios the command-line tests start from.
#pragma once

#include <cstddef>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "cli/commands.h"
#include "models/format/spec.h"

namespace archsim::test_cli {

struct Outcome {
  int code = -1;
  std::string out;
  std::string err;
};

// Runs `archsim ARGS...` in this process; `input` is standard input.
inline Outcome run(const std::vector<std::string>& args, const std::string& input = "") {
  std::istringstream in(input);
  std::ostringstream out, err;
  Outcome o;
  o.code = cli::run_command(args, in, out, err);
  o.out = out.str();
  o.err = err.str();
  return o;
}

// Whether `part` occurs in `text`.
inline bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

inline std::filesystem::path source_dir() { return ARCHSIM_SOURCE_DIR; }

inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

inline void write_file(const std::filesystem::path& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary);
  f << text;
}

inline std::size_t count_lines(const std::string& text) {
  std::size_t n = 0;
  for (char c : text) n += c == '\n';
  return n;
}

// The results without the record of how the run was asked for (run.arguments
// and run.overrides), to compare runs asked for in different words.
inline spec::Json without_arguments(spec::Json results) {
  results["run"].erase("arguments");
  results["run"].erase("overrides");
  return results;
}

// A directory of its own under the system's temporary directory, removed
// with everything in it when the test ends. The process id keeps parallel
// test runs apart.
class TempDir {
 public:
  explicit TempDir(const std::string& tag) {
    path_ = std::filesystem::temp_directory_path() /
            ("archsim-test-" + tag + "-" + std::to_string(static_cast<long>(::getpid())));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  // Writes `text` to NAME inside the directory and returns its path.
  std::string write(const std::string& name, const std::string& text) const {
    write_file(path_ / name, text);
    return file(name);
  }

 private:
  std::filesystem::path path_;
};

// A small valid scenario: users → web (16 workers) → db-primary, with a
// select and an update operation. Tests break one thing in it at a time.
inline spec::Json small_scenario() {
  return spec::Json::parse(R"({
    "name": "small",
    "seed": 7,
    "duration_s": 5,
    "warmup_s": 1,
    "workloads": [
      {
        "name": "users",
        "target": "web",
        "arrival": { "type": "poisson", "rate_qps": 200 },
        "operations": [ { "name": "read", "weight": 9 }, { "name": "write", "weight": 1 } ]
      }
    ],
    "components": [
      {
        "type": "service",
        "name": "web",
        "workers": 16,
        "handlers": {
          "read": [ { "compute": { "type": "exponential", "mean_ms": 2 } }, { "call": "db-primary", "operation": "select" } ],
          "write": [ { "compute": { "type": "exponential", "mean_ms": 2 } }, { "call": "db-primary", "operation": "update" } ]
        }
      },
      {
        "type": "service",
        "name": "db-primary",
        "workers": 8,
        "handlers": {
          "select": [ { "compute": { "type": "exponential", "mean_ms": 3 } } ],
          "update": [ { "compute": { "type": "exponential", "mean_ms": 6 } } ]
        }
      }
    ]
  })");
}

// A load balancer in front of a pool of 4 web replicas that answer alone.
inline spec::Json balanced_scenario() {
  return spec::Json::parse(R"({
    "name": "balanced",
    "duration_s": 5,
    "workloads": [ { "name": "users", "target": "lb", "arrival": { "type": "poisson", "rate_qps": 100 } } ],
    "components": [
      { "type": "load_balancer", "name": "lb", "backend": "web", "policy": "round_robin" },
      { "type": "service", "name": "web", "replicas": 4, "workers": 2,
        "service_time": { "type": "exponential", "mean_ms": 5 } }
    ]
  })");
}

}  // namespace archsim::test_cli
