// A long run shows its progress on standard error when that is a terminal,
// and Ctrl-C (SIGINT) stops it like a limit: exit code 3, with the partial
// results written; replications stop too, and those that ran to their end
// are reported. The interrupt is tested on the archsim executable, as a
// child process; the progress line in-process, where the tests can ask for it.
#include <doctest/doctest.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/replications.h"
#include "tests/cli/cli_helpers.h"

namespace {

using archsim::spec::Json;
using namespace archsim::test_cli;
using Clock = std::chrono::steady_clock;

// Whether process `pid` has a handler installed for `signal` (Linux: the
// SigCgt mask of /proc/PID/status). nullopt where there is no such file.
std::optional<bool> catches(pid_t pid, int signal) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  if (!status) return std::nullopt;
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("SigCgt:", 0) == 0) return ((std::stoull(line.substr(7), nullptr, 16) >> (signal - 1)) & 1) != 0;
  return std::nullopt;
}

// Starts `archsim ARGS...` with standard output and error going to files,
// and returns once the child runs archsim itself: until its exec, it is a
// copy of this process, with this process's signal handlers. SIGINT starts
// at its default action, whatever this process inherited.
pid_t start(const std::vector<std::string>& args, const std::string& out_path, const std::string& err_path) {
  std::vector<std::string> words = {ARCHSIM_BINARY};
  words.insert(words.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& w : words) argv.push_back(w.data());
  argv.push_back(nullptr);
  // The exec closes the pipe's writing end: the reader then sees its end.
  int exec_done[2];
  if (::pipe2(exec_done, O_CLOEXEC) != 0) return -1;
  const pid_t pid = ::fork();
  if (pid == 0) {
    // Only async-signal-safe calls between fork and exec.
    ::close(exec_done[0]);
    ::signal(SIGINT, SIG_DFL);
    const int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (out < 0 || err < 0 || ::dup2(out, 1) < 0 || ::dup2(err, 2) < 0) ::_exit(126);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(exec_done[1]);
  char byte;
  while (pid > 0 && ::read(exec_done[0], &byte, 1) < 0 && errno == EINTR) {
  }
  ::close(exec_done[0]);
  return pid;
}

// Waits up to `limit` for the child to end; kills it if it overruns.
// Returns its wait status, or nullopt if it had to be killed.
std::optional<int> wait_for(pid_t pid, std::chrono::seconds limit) {
  const auto deadline = Clock::now() + limit;
  int status = 0;
  while (Clock::now() < deadline) {
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) return status;
    if (done < 0) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, &status, 0);
  return std::nullopt;
}

// Sends SIGINT to the child once archsim has put its handler in place
// (before, SIGINT would simply end it), however long a loaded machine takes
// to get there; false if it never does (the child is then killed).
bool interrupt_when_ready(pid_t child) {
  const auto deadline = Clock::now() + std::chrono::seconds(60);
  bool ready = false;
  while (!ready && Clock::now() < deadline) {
    const auto caught = catches(child, SIGINT);
    if (!caught) {
      std::this_thread::sleep_for(std::chrono::seconds(1));  // no /proc: give it a moment
      ready = true;
    } else {
      ready = *caught;
      if (!ready) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  if (!ready) {
    wait_for(child, std::chrono::seconds(0));
    return false;
  }
  ::kill(child, SIGINT);
  return true;
}

// Runs `archsim ARGS...`, interrupts it `after` its handler is in place,
// and returns its exit code once it has stopped.
int interrupted_exit(const std::vector<std::string>& args, const std::string& out_path, const std::string& err_path,
                     std::chrono::seconds after = std::chrono::seconds(0)) {
  const pid_t child = start(args, out_path, err_path);
  REQUIRE(child > 0);
  std::this_thread::sleep_for(after);
  if (!interrupt_when_ready(child)) FAIL("archsim did not install its SIGINT handler within 60 s");
  const auto status = wait_for(child, std::chrono::seconds(120));
  REQUIRE_MESSAGE(status.has_value(), "archsim did not stop within 120 s of SIGINT");
  REQUIRE(WIFEXITED(*status));
  return WEXITSTATUS(*status);
}

// A run of the M/M/1 scenario far longer than any test may take (about
// 6e9 events: minutes on a fast machine), so only an interrupt ends it soon.
std::vector<std::string> long_run(const std::string& file) {
  return {"run", file, "--duration", "500h", "--set", "report_interval_s=3600"};
}

}  // namespace

TEST_CASE("Ctrl-C stops a run like a limit: exit code 3, the partial results written, a message on standard error") {
  TempDir dir("interrupt");
  const std::string json = dir.file("results.json"), csv = dir.file("csv");
  const std::string out_path = dir.file("stdout.txt"), err_path = dir.file("stderr.txt");
  auto args = long_run((source_dir() / "scenarios/mm1.json").string());
  args.insert(args.end(), {"--json", json, "--csv", csv});
  CHECK(interrupted_exit(args, out_path, err_path) == archsim::cli::kExitStoppedEarly);

  const Json r = Json::parse(read_file(json));
  CHECK(r["run"]["completed"] == false);
  CHECK(r["run"]["stop_reason"] == "interrupted");
  const std::string problem = r["run"]["problem"].get<std::string>();
  CHECK(problem.rfind("at ", 0) == 0);
  CHECK(contains(problem, " s: interrupted"));
  CHECK(r["run"]["simulated_s"].get<double>() < 500 * 3600.0);
  for (const char* table : {"timeseries.csv", "components.csv", "operations.csv"})
    CHECK(std::filesystem::exists(std::filesystem::path(csv) / table));

  const std::string out = read_file(out_path), err = read_file(err_path);
  CHECK(contains(out, "\nSTOPPED EARLY " + problem + "\n"));
  CHECK(contains(err, "archsim: the run stopped early " + problem +
                          "; the results cover the time simulated until then\n"));
  CHECK(!contains(err, "\r"));  // standard error is a file here: no progress line
}

TEST_CASE("Ctrl-C during replications reports those that ran to their end, or writes nothing with fewer than two") {
  TempDir dir("interrupt");
  const std::string file = (source_dir() / "scenarios/mm1.json").string();
  const std::string out_path = dir.file("stdout.txt"), err_path = dir.file("stderr.txt");
  SUBCASE("many short replications, one after another: the first ones are reported, the rest left out") {
    // 1,000 replications of 120 s of M/M/1 (about 10^5 events each, in all
    // tens of seconds) on one thread, interrupted 2 s after the handler is in.
    const std::string json = dir.file("replicated.json");
    const std::vector<std::string> args = {"run",          file, "--duration", "120s", "--replications", "1000",
                                           "--jobs",       "1",  "--json",     json};
    CHECK(interrupted_exit(args, out_path, err_path, std::chrono::seconds(2)) == archsim::cli::kExitStoppedEarly);
    const Json r = Json::parse(read_file(json));
    const Json& replications = r["replications"];
    const auto count = replications["count"].get<std::size_t>();
    CHECK(count >= 2);
    CHECK(count < 1000);
    CHECK(replications["interrupted"] == true);
    CHECK(replications["requested"] == 1000);
    CHECK(replications["completed"] == true);  // each one reported ran to its end
    // One thread takes them in turn: those reported are the first seeds.
    const auto all = archsim::cli::replication_seeds(1, 1000);
    CHECK(replications["seeds"] == Json(std::vector<std::uint64_t>(all.begin(), all.begin() + count)));
    CHECK(r["mean"]["summary"]["throughput_qps"].get<double>() > 0);
    const std::string n = std::to_string(count);
    CHECK(contains(read_file(out_path), " · " + n + " replications from seed 1 (interrupted: " + n + " of 1000 ran to "
                                           "their end)\n"));
    CHECK(read_file(err_path) == "archsim: interrupted: " + n + " of 1000 replications ran to their end, and the "
                                 "figures are theirs\n");
  }
  SUBCASE("two long replications, neither at its end: nothing is written") {
    const std::string json = dir.file("none.json");
    auto args = long_run(file);
    args.insert(args.end(), {"--replications", "2", "--jobs", "1", "--json", json});
    CHECK(interrupted_exit(args, out_path, err_path) == archsim::cli::kExitStoppedEarly);
    CHECK(!std::filesystem::exists(json));
    CHECK(read_file(out_path).empty());
    CHECK(read_file(err_path) == "archsim: interrupted with 0 of 2 replications run to their end; an interval needs "
                                 "two: nothing was written\n");
  }
}

TEST_CASE("the progress line is drawn in place and erased before the report; the results do not change") {
  TempDir dir("interrupt");
  const std::string file = (source_dir() / "scenarios/mm1.json").string();
  // About 3.8 million events: the run reports its progress three times.
  const std::vector<std::string> args = {"run", file, "--duration", "20m"};
  archsim::cli::Console console;
  console.progress = true;
  console.progress_interval = std::chrono::milliseconds(0);  // draw at every report
  std::istringstream in;
  std::ostringstream out, err;
  REQUIRE(archsim::cli::run_command(args, in, out, err, console) == 0);
  const std::string e = err.str();
  CHECK(e.rfind("\rarchsim: simulated ", 0) == 0);
  CHECK(contains(e, " s of 1200.0 s ("));
  CHECK(contains(e, "%), "));
  CHECK(contains(e, " M events/s"));
  // Erased: spaces over the last line, back to its start, then the seed note.
  const auto erased = e.rfind("\r");
  REQUIRE(erased != std::string::npos);
  CHECK(e.substr(erased + 1).rfind("archsim: seed 1, ", 0) == 0);
  CHECK(e.find_first_not_of(' ', e.rfind("\r", erased - 1) + 1) == erased);

  // Same report and same results as without the line.
  CHECK(out.str() == run(args).out);
  std::vector<std::string> to_json = args;
  to_json.insert(to_json.end(), {"--json", "-"});
  std::ostringstream json_out, json_err;
  REQUIRE(archsim::cli::run_command(to_json, in, json_out, json_err, console) == 0);
  CHECK(json_out.str() == run(to_json).out);

  // Without a terminal, nothing of it; nor with --quiet.
  CHECK(!contains(run(args).err, "\r"));
  std::vector<std::string> quiet = args;
  quiet.push_back("--quiet");
  std::ostringstream quiet_out, quiet_err;
  REQUIRE(archsim::cli::run_command(quiet, in, quiet_out, quiet_err, console) == 0);
  CHECK(quiet_out.str().empty());
  CHECK(quiet_err.str().empty());
}

TEST_CASE("a run leaves the SIGINT action as it found it, and keeps an ignored SIGINT ignored") {
  TempDir dir("interrupt");
  const auto file = dir.write("small.json", small_scenario().dump());
  archsim::cli::Console console;
  console.interrupt = true;
  struct sigaction before {};
  REQUIRE(::sigaction(SIGINT, nullptr, &before) == 0);
  for (const auto handler : {SIG_IGN, SIG_DFL}) {
    struct sigaction set {};
    set.sa_handler = handler;
    sigemptyset(&set.sa_mask);
    REQUIRE(::sigaction(SIGINT, &set, nullptr) == 0);
    std::istringstream in;
    std::ostringstream out, err;
    CHECK(archsim::cli::run_command({"run", file, "--quiet"}, in, out, err, console) == 0);
    struct sigaction after {};
    REQUIRE(::sigaction(SIGINT, nullptr, &after) == 0);
    const bool restored = after.sa_handler == handler;
    CHECK(restored);
  }
  ::sigaction(SIGINT, &before, nullptr);
}
