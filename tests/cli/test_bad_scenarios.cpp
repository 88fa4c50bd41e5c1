// Bad scenarios: refused before anything runs (exit 1), every problem listed
// at once as `FILE: json.path: message`, and the messages say where, what was
// expected and what was found. Each case breaks one thing in a small valid
// scenario and checks the whole of standard error, so a changed message is a
// failed test.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>

#include "cli/commands.h"
#include "models/simulation/scenario.h"
#include "tests/cli/cli_helpers.h"

namespace {

using archsim::spec::Json;
using namespace archsim::test_cli;

constexpr const char* kOneProblem = "1 problem; nothing was run\n";

// Writes `scenario` to shop.json and runs `archsim run` on it; nothing must
// have run: no report, no run summary on standard error.
struct Refusal {
  std::string file;  // the path as given on the command line, as the messages show it
  Outcome outcome;
};

Refusal refuse_text(const std::string& text) {
  TempDir dir("bad-scenarios");
  Refusal r;
  r.file = dir.write("shop.json", text);
  r.outcome = run({"run", r.file});
  CHECK(r.outcome.code == archsim::cli::kExitInvalidScenario);
  CHECK(r.outcome.out.empty());  // no report: nothing ran
  CHECK(r.outcome.err.find("events in") == std::string::npos);
  return r;
}

Refusal refuse(const Json& scenario) { return refuse_text(scenario.dump(2)); }

// The exact standard error for a scenario with a single problem.
std::string only(const Refusal& r, const std::string& line) { return r.file + ": " + line + "\n" + kOneProblem; }

}  // namespace

TEST_CASE("the small scenario the bad-input tests break is itself valid") {
  TempDir dir("bad-scenarios");
  const auto file = dir.write("shop.json", small_scenario().dump());
  const Outcome o = run({"validate", file});
  CHECK(o.code == 0);
  CHECK(o.out == file + ": valid\n");
  CHECK(o.err.empty());
}

TEST_CASE("a value of the wrong type is refused with its path, the expected type and what was found") {
  Json s = small_scenario();
  s["components"][0]["workers"] = "many";
  const auto r = refuse(s);
  CHECK(r.outcome.err == only(r, "components[0].workers: must be an integer, got a string \"many\""));
}

TEST_CASE("a number out of range is refused with the bound and the value") {
  Json s = small_scenario();
  s["components"][0]["workers"] = -4;
  const auto r = refuse(s);
  CHECK(r.outcome.err == only(r, "components[0].workers: must be an integer of at least 1, got -4"));
}

TEST_CASE("a fraction where an integer is expected is refused, but a whole number written as 1e2 is accepted") {
  Json s = small_scenario();
  s["components"][1]["workers"] = 2.5;
  const auto r = refuse(s);
  CHECK(r.outcome.err == only(r, "components[1].workers: must be an integer, got 2.5"));

  Json whole = small_scenario();
  whole["components"][1]["workers"] = 1e2;
  TempDir dir("bad-scenarios");
  const Outcome o = run({"validate", "--print", dir.write("whole.json", whole.dump())});
  REQUIRE(o.code == 0);
  CHECK(Json::parse(o.out)["components"][1]["workers"] == 100);
}

TEST_CASE("an unknown key is reported with the closest known key") {
  Json s = small_scenario();
  s["components"][1]["queue_capacty"] = 10;
  const auto r = refuse(s);
  CHECK(r.outcome.err == only(r, "components[1]: unknown key \"queue_capacty\"; did you mean \"queue_capacity\"?"));
}

TEST_CASE("an unknown key far from every known key gets no suggestion") {
  Json s = small_scenario();
  s["flavour"] = "vanilla";
  const auto r = refuse(s);
  CHECK(r.outcome.err == only(r, "unknown key \"flavour\""));
}

TEST_CASE("an unknown component type is refused with the list of types and the closest one") {
  Json s = small_scenario();
  s["components"][1]["type"] = "servce";
  const auto r = refuse(s);
  CHECK(r.outcome.err ==
        only(r, "components[1].type: \"servce\" is not one of: broker, cache, cdn, database, kv_store, load_balancer, rate_limiter, service, shard_router; did you mean \"service\"?"));
}

TEST_CASE("an enum value that is not a choice is refused with every choice and the closest one") {
  Json s = balanced_scenario();
  s["components"][0]["policy"] = "round-robbin";
  const auto r = refuse(s);
  CHECK(r.outcome.err == only(r, "components[0].policy: \"round-robbin\" is not one of: round_robin, "
                                 "weighted_round_robin, random, least_connections, power_of_two_choices, hash, active_passive; "
                                 "did you mean \"round_robin\"?"));
}

TEST_CASE("a call to a component that does not exist is refused with the closest name") {
  Json s = small_scenario();
  s["components"][0]["handlers"]["read"][1]["call"] = "db-primry";
  const auto r = refuse(s);
  CHECK(r.outcome.err ==
        only(r, "components[0].handlers.read[1].call: no component named \"db-primry\"; did you mean \"db-primary\"?"));
}

TEST_CASE("a workload target that does not exist is refused with the closest name") {
  Json s = small_scenario();
  s["workloads"][0]["target"] = "wbe";
  const auto r = refuse(s);
  CHECK(r.outcome.err == only(r, "workloads[0].target: no component named \"wbe\"; did you mean \"web\"?"));
}

TEST_CASE("a load balancer's backend must be a component with replicas") {
  Json s = balanced_scenario();
  s["components"][0]["backend"] = "lb";
  const auto r = refuse(s);
  CHECK(r.outcome.err == only(r, "components[0].backend: \"lb\" is a load_balancer; it must be a component with replicas (service)"));
}

TEST_CASE("two nodes with the same name are refused, naming the first one") {
  Json s = small_scenario();
  Json copy = s["components"][1];
  copy["name"] = "web";
  s["components"].push_back(copy);
  const auto r = refuse(s);
  CHECK(r.outcome.err ==
        only(r, "components[2].name: \"web\" is already the name of components[0]; names must be unique"));
}

TEST_CASE("a cycle of synchronous calls is refused with the cycle spelled out") {
  Json s = small_scenario();
  // db-primary calls web back while serving select: web → db-primary → web.
  s["components"][1]["handlers"]["select"].push_back(Json{{"call", "web"}, {"operation", "read"}});
  const auto r = refuse(s);
  CHECK(r.outcome.err ==
        only(r, "components[0]: synchronous call cycle: web → db-primary → web; a request would wait on itself"));
}

TEST_CASE("an operation reaching a service with no handler for it and no service_time is refused") {
  Json s = small_scenario();
  s["components"][1]["handlers"].erase("update");
  const auto r = refuse(s);
  CHECK(r.outcome.err == only(r, "components[1]: operation \"update\" reaches service \"db-primary\" (from service "
                                 "\"web\") but it has no handler for it and no service_time"));
}

TEST_CASE("a handler for an operation that nothing sends is reported as a likely typo") {
  Json s = small_scenario();
  // The handler's name is misspelled: select reaches db-primary unhandled, and selct is never sent.
  s["components"][1]["handlers"]["selct"] = s["components"][1]["handlers"]["select"];
  s["components"][1]["handlers"].erase("select");
  const auto r = refuse(s);
  CHECK(r.outcome.err == r.file + ": components[1]: operation \"select\" reaches service \"db-primary\" (from service "
                                  "\"web\") but it has no handler for it and no service_time\n" +
                             r.file + ": components[1].handlers.selct: no request with operation \"selct\" is ever "
                                      "sent; did you mean \"select\"?\n"
                                      "2 problems; nothing was run\n");
}

TEST_CASE("a handler for an extra operation nobody sends is refused even when every sent one is handled") {
  Json s = small_scenario();
  s["components"][1]["handlers"]["delete"] = Json::array({Json{{"compute", {{"type", "constant"}, {"value_ms", 1}}}}});
  const auto r = refuse(s);
  CHECK(r.outcome.err == only(r, "components[1].handlers.delete: no request with operation \"delete\" is ever sent"));
}

TEST_CASE("forward must be the last step of a handler") {
  Json s = small_scenario();
  auto& read = s["components"][0]["handlers"]["read"];
  read.insert(read.begin(), Json{{"forward", "db-primary"}, {"operation", "select"}});
  const auto r = refuse(s);
  CHECK(r.outcome.err ==
        only(r, "components[0].handlers.read[0]: forward must be the last step: the worker is gone after it"));
}

TEST_CASE("a missing required key is named, with what it is for") {
  Json s = small_scenario();
  s.erase("workloads");
  auto r = refuse(s);
  CHECK(r.outcome.err == only(r, "missing required key \"workloads\" (Clients sending requests)"));

  Json t = balanced_scenario();
  t["components"][0].erase("backend");
  r = refuse(t);
  CHECK(r.outcome.err ==
        only(r, "components[0]: missing required key \"backend\" (The component whose replicas receive the requests)"));
}

TEST_CASE("a service that knows neither a service_time nor handlers is refused") {
  Json s = balanced_scenario();
  s["components"][1].erase("service_time");
  const auto r = refuse(s);
  CHECK(r.outcome.err ==
        only(r, "components[1]: needs service_time, handlers, or both: a service must know what to do with a request"));
}

TEST_CASE("a lognormal whose p99 is not above its mean is refused") {
  Json s = small_scenario();
  s["components"][0]["handlers"]["read"][0]["compute"] = {{"type", "lognormal"}, {"mean_ms", 3}, {"p99_ms", 2}};
  const auto r = refuse(s);
  CHECK(r.outcome.err ==
        only(r, "components[0].handlers.read[0].compute.p99_ms: must be greater than mean_ms (3), got 2"));
}

TEST_CASE("a lognormal needs exactly one of p99_ms and cv") {
  Json s = balanced_scenario();
  s["components"][1]["service_time"] = {{"type", "lognormal"}, {"mean_ms", 3}};
  const auto r = refuse(s);
  CHECK(r.outcome.err == only(r, "components[1].service_time: give exactly one of p99_ms and cv"));
}

TEST_CASE("empirical percentiles must include 0 and 100") {
  Json s = small_scenario();
  s["components"][1]["handlers"]["select"][0]["compute"] = {
      {"type", "empirical"}, {"percentiles_ms", {{"10", 1}, {"50", 3}, {"90", 8}}}};
  const auto r = refuse(s);
  CHECK(r.outcome.err == only(r, "components[1].handlers.select[0].compute.percentiles_ms: must give the "
                                 "percentiles \"0\" (minimum) and \"100\" (maximum)"));
}

TEST_CASE("a load balancer's weights must be one per replica of its backend") {
  Json s = balanced_scenario();
  s["components"][0]["policy"] = "weighted_round_robin";
  s["components"][0]["weights"] = {1, 2};
  const auto r = refuse(s);
  CHECK(r.outcome.err == only(r, "components[0].weights: has 2 weights but backend \"web\" has 4 replicas"));
}

TEST_CASE("weights are refused with a policy that does not use them") {
  Json s = balanced_scenario();
  s["components"][0]["weights"] = {1, 1, 1, 1};
  const auto r = refuse(s);
  CHECK(r.outcome.err ==
        only(r, "components[0].weights: only used by policy weighted_round_robin, but the policy is round_robin"));
}

TEST_CASE("the warm-up must be shorter than the run") {
  Json s = small_scenario();
  s["warmup_s"] = 5;
  const auto r = refuse(s);
  CHECK(r.outcome.err == only(r, "warmup_s: must be shorter than duration_s (5), got 5"));
}

TEST_CASE("an operation listed twice in a workload is refused") {
  Json s = small_scenario();
  s["workloads"][0]["operations"][1]["name"] = "read";
  const auto r = refuse(s);
  CHECK(r.outcome.err == only(r, "workloads[0].operations[1].name: operation \"read\" is listed twice"));
}

TEST_CASE("invalid JSON is refused with the line and column of the problem, the line, and a caret under the column") {
  const auto r = refuse_text("{\n  \"name\": \"x\",\n  \"seed\": 1,,\n}\n");
  CHECK(r.outcome.err == r.file + ":3:13: expected a key in double quotes after ',', got ','\n"
                                  "  \"seed\": 1,,\n"
                                  "            ^\n" +
                             kOneProblem);

  // A missing comma between two members, as one is most often forgotten.
  Json s = small_scenario();
  std::string text = s.dump(2);
  const std::string member = "\"workers\": 16,";
  text.replace(text.find(member), member.size(), "\"workers\": 16 \"queue_capacity\": 10,");
  const auto line = static_cast<long>(std::count(text.begin(), text.begin() + static_cast<long>(text.find("\"workers\": 16")), '\n')) + 1;
  const auto t = refuse_text(text);
  CHECK(t.outcome.err == t.file + ":" + std::to_string(line) + ":21: expected ',' or '}' after an object member, got '\"'\n" +
                             "      \"workers\": 16 \"queue_capacity\": 10,\n" + std::string(20, ' ') + "^\n" +
                             kOneProblem);
}

TEST_CASE("an empty file is refused as invalid JSON, not run") {
  const auto r = refuse_text("");
  CHECK(r.outcome.err == r.file + ":1:1: expected a value, got end of input\n\n^\n" + kOneProblem);
}

TEST_CASE("a number too large for a double is refused with its path, not a crash") {
  Json s = small_scenario();
  std::string text = s.dump(2);
  const std::string member = "\"duration_s\": 5";
  text.replace(text.find(member), member.size(), "\"duration_s\": 1e999");
  const auto r = refuse_text(text);
  CHECK(r.outcome.err == only(r, "duration_s: 1e999 is beyond the range of a number (about ±1.8e308)"));
  TempDir dir("bad-scenarios");
  const Outcome v = run({"validate", dir.write("shop.json", text)});
  CHECK(v.code == archsim::cli::kExitInvalidScenario);
  CHECK(v.err == dir.file("shop.json") + ": duration_s: 1e999 is beyond the range of a number (about ±1.8e308)\n" +
                     kOneProblem);
}

// Each repetition is reported where the key appears again, in file order.
TEST_CASE("a key that appears twice is refused, naming both lines; the last one does not quietly win") {
  const auto r = refuse_text(
      "{\n"
      "  \"duration_s\": 5,\n"
      "  \"workloads\": [{\"name\": \"users\", \"target\": \"web\", \"arrival\": {\"type\": \"poisson\", \"rate_qps\": 10}}],\n"
      "  \"components\": [\n"
      "    {\n"
      "      \"type\": \"service\",\n"
      "      \"name\": \"web\",\n"
      "      \"workers\": 4,\n"
      "      \"service_time\": {\"type\": \"constant\", \"value_ms\": 1},\n"
      "      \"workers\": 1\n"
      "    }\n"
      "  ],\n"
      "  \"duration_s\": 10\n"
      "}\n");
  CHECK(r.outcome.err ==
        r.file + ": components[0]: key \"workers\" appears twice, at lines 8 and 10; each key may appear once\n" +
            r.file + ": key \"duration_s\" appears twice, at lines 2 and 13; each key may appear once\n"
                     "2 problems; nothing was run\n");
}

TEST_CASE("numbers in messages appear as they were written, and what was found is said once") {
  const auto with = [](const std::string& key, const std::string& written) {
    std::string text = small_scenario().dump(2);
    const std::string member = "\"" + key + "\": ";
    const auto at = text.find(member) + member.size();
    text.replace(at, text.find_first_of(",\n", at) - at, written);
    return text;
  };
  auto r = refuse_text(with("duration_s", "1e-400"));
  CHECK(r.outcome.err == only(r, "duration_s: must be a number greater than 0, got 1e-400"));
  r = refuse_text(with("duration_s", "18446744073709551616"));
  CHECK(r.outcome.err == only(r, "duration_s: must be a number of at most 31536000, got 18446744073709551616"));
  r = refuse_text(with("seed", "18446744073709551615"));
  CHECK(r.outcome.err == only(r, "seed: must be an integer of at most 9007199254740991, got 18446744073709551615"));
  r = refuse_text(with("workers", "2.50"));
  CHECK(r.outcome.err == only(r, "components[0].workers: must be an integer, got 2.50"));
  r = refuse_text(with("workers", "-4e0"));
  CHECK(r.outcome.err == only(r, "components[0].workers: must be an integer of at least 1, got -4e0"));
  r = refuse_text(with("workers", "null"));
  CHECK(r.outcome.err == only(r, "components[0].workers: must be an integer, got null"));
  r = refuse_text(with("duration_s", "true"));
  CHECK(r.outcome.err == only(r, "duration_s: must be a number, got true"));
  r = refuse_text(with("name", "0.10"));
  CHECK(r.outcome.err == only(r, "name: must be a string, got a number 0.10"));
}

TEST_CASE("a --set value's numbers appear as written in the assignment") {
  TempDir dir("bad-scenarios");
  const auto file = dir.write("shop.json", small_scenario().dump());
  Outcome o = run({"run", file, "--set", "duration_s=1e-400"});
  CHECK(o.code == archsim::cli::kExitInvalidScenario);
  CHECK(o.err == file + ": duration_s: must be a number greater than 0, got 1e-400\n" + kOneProblem);
  o = run({"validate", file, "--set", "components.web.workers=0.5e0", "--set", "components[1].workers=8.0"});
  CHECK(o.err == file + ": components[0].workers: must be an integer, got 0.5e0\n" + kOneProblem);
  o = run({"validate", file, "--set", "components.web.service_time={\"type\": \"constant\", \"value_ms\": -1.0e-3}"});
  CHECK(o.err == file + ": components[0].service_time.value_ms: must be a number of at least 0, got -1.0e-3\n" +
                     kOneProblem);
  o = run({"validate", file, "--set", "duration_s=1e999"});
  CHECK(o.code == archsim::cli::kExitInvalidScenario);
  CHECK(o.err == file + ": --set duration_s=1e999: 1e999 is beyond the range of a number (about ±1.8e308)\n" +
                     kOneProblem);
}

TEST_CASE("a scenario that is not a JSON object is refused") {
  const auto r = refuse_text("[1, 2]");
  CHECK(r.outcome.err == only(r, "must be an object, got an array"));
}

TEST_CASE("nesting deeper than the limit is refused before parsing; at the limit it is parsed") {
  using archsim::models::kMaxNesting;
  const auto deep = std::string(kMaxNesting + 1, '[') + std::string(kMaxNesting + 1, ']');
  const auto r = refuse_text(deep);
  CHECK(r.outcome.err == only(r, "nests arrays and objects more than 64 deep"));

  // At the limit the text reaches the validator (and is refused for its shape).
  const auto at_limit = std::string(kMaxNesting, '[') + std::string(kMaxNesting, ']');
  const auto s = refuse_text(at_limit);
  CHECK(s.outcome.err == only(s, "must be an object, got an array"));
}

TEST_CASE("brackets inside strings do not count as nesting") {
  Json s = small_scenario();
  s["description"] = std::string(1000, '[');
  TempDir dir("bad-scenarios");
  const Outcome o = run({"validate", dir.write("strings.json", s.dump())});
  CHECK(o.code == 0);
}

TEST_CASE("a scenario text larger than the limit is refused without parsing it") {
  using archsim::models::kMaxScenarioBytes;
  // Built in memory: no need for a 64 MiB file on disk.
  std::string huge(kMaxScenarioBytes + (1u << 20), ' ');
  huge.front() = '{';
  huge.back() = '}';
  archsim::spec::Errors errors;
  const auto scenario = archsim::models::load_scenario(huge, {}, errors);
  CHECK_FALSE(scenario.has_value());
  CHECK(errors.format("big.json") ==
        "big.json: is larger than 67108864 bytes, the limit for a scenario\n");

  // Through standard input the same limit applies.
  const Outcome o = run({"validate", "-"}, huge);
  CHECK(o.code == archsim::cli::kExitInvalidScenario);
  CHECK(o.err == "<stdin>: is larger than 67108864 bytes, the limit for a scenario\n" + std::string(kOneProblem));
}

TEST_CASE("a file that does not exist is a usage problem (exit 2), not an invalid scenario") {
  TempDir dir("bad-scenarios");
  const std::string missing = dir.file("no-such-scenario.json");
  for (const char* command : {"run", "validate"}) {
    CAPTURE(command);
    const Outcome o = run({command, missing});
    CHECK(o.code == archsim::cli::kExitUsage);
    CHECK(o.out.empty());
    CHECK(o.err == "archsim: cannot read " + missing + "\n");
  }
}

TEST_CASE("every problem of one kind is reported at once, in file order, with the count") {
  Json s = small_scenario();
  s["durration_s"] = 3;                                      // unknown key
  s["workloads"][0]["arrival"]["rate_qps"] = 0;              // out of range (exclusive)
  s["components"][0]["workers"] = -4;                        // out of range
  s["components"][0]["replicas"] = 1.5;                      // not an integer
  s["components"][1]["queue_capacity"] = "big";              // wrong type
  s["components"][1]["handlers"]["update"][0]["compute"]["type"] = "expnential";  // unknown variant
  const auto r = refuse(s);
  const std::string& f = r.file;
  CHECK(r.outcome.err ==
        f + ": workloads[0].arrival.rate_qps: must be a number greater than 0, got 0\n" +
            f + ": components[0].replicas: must be an integer, got 1.5\n" +
            f + ": components[0].workers: must be an integer of at least 1, got -4\n" +
            f + ": components[1].queue_capacity: must be an integer, got a string \"big\"\n" +
            f + ": components[1].handlers.update[0].compute.type: \"expnential\" is not one of: constant, uniform, "
                "exponential, normal, lognormal, pareto, weibull, empirical; did you mean \"exponential\"?\n" +
            f + ": unknown key \"durration_s\"; did you mean \"duration_s\"?\n"
                "6 problems; nothing was run\n");
  CHECK(count_lines(r.outcome.err) == 7);
}

TEST_CASE("several cross-reference problems are reported at once; a name far from every other gets no suggestion") {
  Json s = small_scenario();
  s["components"][0]["handlers"]["read"][1]["call"] = "db-primry";
  s["components"][0]["handlers"]["write"][1]["call"] = "db-secondary";
  s["workloads"][0]["target"] = "wbe";
  const auto r = refuse(s);
  const std::string& f = r.file;
  CHECK(r.outcome.err ==
        f + ": workloads[0].target: no component named \"wbe\"; did you mean \"web\"?\n" +
            f + ": components[0].handlers.read[1].call: no component named \"db-primry\"; did you mean \"db-primary\"?\n" +
            f + ": components[0].handlers.write[1].call: no component named \"db-secondary\"\n"
                "3 problems; nothing was run\n");
}

TEST_CASE("validate refuses what run refuses, with the same messages") {
  Json s = small_scenario();
  s["components"][0]["workers"] = -4;
  TempDir dir("bad-scenarios");
  const auto file = dir.write("shop.json", s.dump());
  const Outcome v = run({"validate", file});
  const Outcome r = run({"run", file});
  CHECK(v.code == archsim::cli::kExitInvalidScenario);
  CHECK(v.out.empty());
  CHECK(v.err == r.err);
}

TEST_CASE("an empirical distribution without percentiles is refused, not run into a crash") {
  Json s = small_scenario();
  s["components"][0]["handlers"]["read"][0]["compute"] = {{"type", "empirical"}, {"percentiles_ms", Json::object()}};
  const auto r = refuse(s);
  CHECK(r.outcome.err ==
        only(r, "components[0].handlers.read[0].compute.percentiles_ms: must have at least 2 entries, got 0"));
}

TEST_CASE("a link between two nodes that never exchange requests is refused, and so is a second link for a pair") {
  Json s = small_scenario();
  const Json latency = {{"type", "constant"}, {"value_ms", 1}};
  s["links"] = Json::array({Json{{"from", "web"}, {"to", "db-primary"}, {"latency", latency}},
                            Json{{"from", "db-primary"}, {"to", "web"}, {"latency", latency}},
                            Json{{"from", "users"}, {"to", "db-primary"}, {"latency", latency}}});
  const auto r = refuse(s);
  CHECK(r.outcome.err == r.file + ": links[1]: a second entry for the link between \"db-primary\" and \"web\"\n" +
                             r.file +
                             ": links[2]: \"db-primary\" and \"users\" never exchange requests (no call, forward, "
                             "backend or target joins them)\n2 problems; nothing was run\n");
}

TEST_CASE("places must name nodes, and replicas the component has, each in one place at most") {
  Json s = small_scenario();
  s["components"][0]["replicas"] = 3;
  s["network"] = {{"places",
                   {{"east", {"users", "wbe", "web[0]", "web[3]", "users[0]"}},
                    {"west", {"web[1]", "db-primary", "web"}},
                    {"web", Json::array()}}}};
  const auto r = refuse(s);
  const std::string f = r.file + ": network.places.";
  CHECK(r.outcome.err ==
        f + "east[1]: no workload or component named \"wbe\"; did you mean \"web\"?\n" +
        f + "east[3]: \"web\" has 3 replicas (web[0] to web[2]); there is no web[3]\n" +
        f + "east[4]: \"users\" is a workload, which has no replicas; place it as a whole: \"users\"\n" +
        f + "west[2]: \"web\" is already placed: web[0] is in \"east\" (network.places.east[2]); a node or a "
            "replica is in one place at most\n" +
        f + "web: \"web\" is the name of a component; a place needs a name of its own\n"
            "5 problems; nothing was run\n");
}

TEST_CASE("a directory given as the scenario is a usage problem with a clear message") {
  TempDir dir("directory-scenario");
  const auto o = run({"validate", dir.path().string()});
  CHECK(o.code == archsim::cli::kExitUsage);
  CHECK(o.err == "archsim: cannot read " + dir.path().string() + ": it is a directory\n");
}

TEST_CASE("an endless standard input is refused after the size limit, without reading it all") {
  // One byte past the limit is enough to refuse; the reader never holds more.
  const std::string text(archsim::models::kMaxScenarioBytes + 4096, ' ');
  const auto o = run({"validate", "-"}, text);
  CHECK(o.code == archsim::cli::kExitInvalidScenario);
  CHECK(o.err == "<stdin>: is larger than 67108864 bytes, the limit for a scenario\n" + std::string(kOneProblem));
}

TEST_CASE("one run reports a misspelt reference beside a wrong value elsewhere in the file") {
  Json s = small_scenario();
  s["components"][0]["workers"] = -4;
  s["workloads"][0]["target"] = "wbe";
  const auto r = refuse(s);
  CHECK(r.outcome.err == r.file + ": components[0].workers: must be an integer of at least 1, got -4\n" + r.file +
                             ": workloads[0].target: no component named \"wbe\"; did you mean \"web\"?\n"
                             "2 problems; nothing was run\n");
}

TEST_CASE("a service_time that no operation falls back on is refused") {
  Json s = small_scenario();
  s["components"][0]["service_time"] = Json{{"type", "constant"}, {"value_ms", 1}};
  const auto r = refuse(s);
  CHECK(r.outcome.err == only(r, "components[0].service_time: is never used: every operation that reaches this service "
                                 "has its own handler; remove it, or remove the handler it should stand for"));
}

TEST_CASE("hash_on with a policy that does not hash is refused") {
  Json s = Json::parse(R"({
    "workloads": [{ "name": "users", "target": "lb", "arrival": { "type": "poisson", "rate_qps": 10 } }],
    "components": [
      { "type": "load_balancer", "name": "lb", "backend": "web", "hash_on": "key" },
      { "type": "service", "name": "web", "replicas": 2, "service_time": { "type": "constant", "value_ms": 1 } }
    ]
  })");
  const auto r = refuse(s);
  CHECK(r.outcome.err == only(r, "components[0].hash_on: only used by policy hash, but the policy is round_robin"));
}

TEST_CASE("a users population on a closed-loop workload is refused") {
  Json s = small_scenario();
  s["workloads"][0]["arrival"] = Json::parse(R"({ "type": "closed", "users": 10, "think_time": { "type": "constant", "value_ms": 5 } })");
  s["workloads"][0]["users"] = Json{{"count", 100}};
  const auto r = refuse(s);
  CHECK(r.outcome.err == only(r, "workloads[0].users: a closed-loop workload's users are arrival.users, each its own "
                                 "user_id; remove users, or use an open-loop arrival"));
}

TEST_CASE("steps on a miss after a call to something that never misses are refused with the callee's type") {
  Json s = small_scenario();
  s["components"][0]["handlers"]["read"][1]["on_miss"] = Json::parse(R"([{ "compute": { "type": "constant", "value_ms": 1 } }])");
  const auto r = refuse(s);
  CHECK(r.outcome.err == only(r, "components[0].handlers.read[1].on_miss: runs only when a cache misses, but \"db-primary\" "
                                 "is a service, which answers every read: call a cache here, or make these plain steps"));
}

TEST_CASE("a database without read replicas refuses settings that need them") {
  Json s = small_scenario();
  s["components"][1] = Json::parse(R"({ "type": "database", "name": "db-primary", "read_from": "replicas",
    "read_time": { "type": "constant", "value_ms": 1 }, "write_time": { "type": "constant", "value_ms": 2 } })");
  const auto r = refuse(s);
  CHECK(r.outcome.err ==
        only(r, "components[1].read_from: reads cannot go to replicas: there are none; add read_replicas, or remove read_from"));
}

TEST_CASE("an access that is not read, write or delete is refused with the choices") {
  Json s = small_scenario();
  s["workloads"][0]["operations"][1]["access"] = "update";
  const auto r = refuse(s);
  CHECK(r.outcome.err == only(r, "workloads[0].operations[1].access: \"update\" is not one of: read, write, delete"));
}

TEST_CASE("a range shard router needs one split point fewer than its shards, ascending") {
  Json s = small_scenario();
  s["components"].push_back(Json::parse(R"({ "type": "shard_router", "name": "router", "shards": ["web", "db-primary"],
    "strategy": "range", "split_points": [10, 20] })"));
  const auto r = refuse(s);
  CHECK(r.outcome.err == only(r, "components[2].split_points: needs one point per shard after the first: 1 for 2 shards, got 2"));
}

TEST_CASE("a quorum larger than the replication factor is refused") {
  Json s = small_scenario();
  s["components"].push_back(Json::parse(R"({ "type": "kv_store", "name": "kv", "replication_factor": 3,
    "read_quorum": 4, "read_time": { "type": "constant", "value_ms": 1 }, "write_time": { "type": "constant", "value_ms": 1 } })"));
  const auto r = refuse(s);
  CHECK(r.outcome.err ==
        only(r, "components[2].read_quorum: is 4, more than the replication_factor 3: no request could gather it"));
}

namespace {

// The balanced scenario (users -> lb -> 4 replicas of web, 5 s) with a fault timeline.
Json with_faults(const Json& timeline) {
  Json s = balanced_scenario();
  s["faults"] = {{"timeline", timeline}};
  return s;
}

}  // namespace

TEST_CASE("a fault action that is no kind of action is refused with every kind and the closest one") {
  const auto r = refuse(with_faults(Json::parse(R"([{ "at_s": 1, "action": "crsh", "target": "web" }])")));
  CHECK(r.outcome.err == only(r, "faults.timeline[0].action: \"crsh\" is not one of: crash, slow_down, fail, flush, "
                                 "add_shard, remove_shard, cut_link, slow_link, lossy_link; did you mean \"crash\"?"));
}

TEST_CASE("a fault's target must be a component whose type takes the action, and the replica named must exist") {
  const auto r = refuse(with_faults(Json::parse(R"([
    { "at_s": 1, "action": "crash", "target": "wbe" },
    { "at_s": 1, "action": "crash", "target": "web[4]" },
    { "at_s": 1, "action": "crash", "target": "lb" },
    { "at_s": 1, "action": "slow_down", "target": "users", "factor": 2 },
    { "at_s": 1, "action": "crash", "target": "wbe[1]" }
  ])")));
  const std::string f = r.file + ": faults.timeline";
  CHECK(r.outcome.err ==
        f + "[0].target: no component named \"wbe\"; did you mean \"web\"?\n" +
        f + "[1].target: \"web\" has 4 replicas (web[0] to web[3]); there is no web[4]\n" +
        f + "[2].target: \"lb\" is a load_balancer, which does not take the action crash (the types that do: cache, cdn, database, kv_store, service)\n" +
        f + "[3].target: \"users\" is a workload; slow_down aims at a component\n" +
        f + "[4].target: no component named \"wbe\"; did you mean \"web\"?\n"
            "5 problems; nothing was run\n");
}

TEST_CASE("a fault must begin during the run, end after it begins, and end by the end of the run") {
  const auto r = refuse(with_faults(Json::parse(R"([
    { "at_s": 5, "action": "crash", "target": "web" },
    { "at_s": 1, "until_s": 6, "action": "crash", "target": "web[0]" },
    { "at_s": 2, "until_s": 1, "action": "crash", "target": "web[1]" }
  ])")));
  const std::string f = r.file + ": faults.timeline";
  CHECK(r.outcome.err ==
        f + "[2].until_s: must be later than at_s (2 s), got 1\n" +
        f + "[0].at_s: must be before the end of the run (duration_s 5), got 5\n" +
        f + "[1].until_s: must be at most duration_s (5), got 6; leave until_s out for an action that lasts to the "
            "end of the run\n"
            "3 problems; nothing was run\n");
}

TEST_CASE("two actions of one kind in force on one target at once are refused, naming the first") {
  // A whole component overlaps each of its replicas; another kind on the same
  // target, and the same kind on a link the other way, are fine.
  const auto r = refuse(with_faults(Json::parse(R"([
    { "at_s": 1, "until_s": 3, "action": "crash", "target": "web[1]" },
    { "at_s": 2, "until_s": 4, "action": "crash", "target": "web" },
    { "at_s": 1, "until_s": 2, "action": "slow_down", "target": "web[1]", "factor": 2 },
    { "at_s": 1, "until_s": 3, "action": "cut_link", "from": "users", "to": "lb", "both_ways": false },
    { "at_s": 1, "until_s": 4, "action": "cut_link", "from": "lb", "to": "users", "both_ways": false },
    { "at_s": 2, "until_s": 3, "action": "cut_link", "from": "lb", "to": "users" },
    { "at_s": 4, "action": "crash", "target": "web[1]" }
  ])")));
  const std::string f = r.file + ": faults.timeline";
  const std::string rule =
      "two actions of one kind must not be in force on one target at once; end the first before the second begins\n";
  CHECK(r.outcome.err ==
        f + "[1]: overlaps faults.timeline[0] (crash of web[1] from 1 s to 3 s): " + rule +
        f + "[5]: overlaps faults.timeline[3] (cut_link from users to lb from 1 s to 3 s): " + rule +
        "2 problems; nothing was run\n");
}

TEST_CASE("the ends of a link fault are nodes, replicas or places, and not one node twice") {
  Json s = with_faults(Json::parse(R"([
    { "at_s": 1, "action": "cut_link", "from": "lbb", "to": "web" },
    { "at_s": 1, "action": "cut_link", "from": "lb", "to": "users[0]" },
    { "at_s": 1, "action": "slow_link", "from": "lb[1]", "to": "web", "added_ms": 1 },
    { "at_s": 1, "action": "lossy_link", "from": "web[0]", "to": "web[2]", "loss_fraction": 0.5 },
    { "at_s": 1, "action": "cut_link", "from": "eest", "to": "web" },
    { "at_s": 1, "action": "cut_link", "from": "east", "to": "east" },
    { "at_s": 1, "action": "cut_link", "from": "east", "to": "web[3]" }
  ])"));
  s["network"] = {{"places", {{"east", {"users", "lb"}}}}};
  const auto r = refuse(s);
  const std::string f = r.file + ": faults.timeline";
  CHECK(r.outcome.err ==
        f + "[0].from: no workload, component or place named \"lbb\"; did you mean \"lb\"?\n" +
        f + "[1].to: \"users\" is a workload, which has no replicas; name it as a whole: \"users\"\n" +
        f + "[2].from: \"lb\" is a load_balancer, which has no replicas; name it as a whole: \"lb\"\n" +
        f + "[3]: from and to are both \"web\": no message goes from a node to itself (a place may be both ends: "
            "the links inside it)\n" +
        f + "[4].from: no workload, component or place named \"eest\"; did you mean \"east\"?\n"
            "5 problems; nothing was run\n");
}

TEST_CASE("a fault's own parameters are checked like any others, and one that changes nothing is refused") {
  const auto r = refuse(with_faults(Json::parse(R"([
    { "at_s": 1, "action": "slow_down", "target": "web" },
    { "at_s": 1, "action": "slow_down", "target": "web", "factr": 2 },
    { "at_s": 1, "action": "lossy_link", "from": "lb", "to": "web", "loss_fraction": 0 },
    { "at_s": 1, "action": "cut_link", "from": "lb", "to": "web", "mode": "drop" },
    { "at_s": 1, "until_s": 2, "action": "slow_link", "from": "lb", "to": "web" },
    { "at_s": 1, "action": "crash", "target": "web", "factor": 2 }
  ])")));
  const std::string f = r.file + ": faults.timeline";
  const std::string nothing = "changes nothing as given: set a factor other than 1, an added_ms above 0, or both\n";
  CHECK(r.outcome.err ==
        f + "[0]: " + nothing +
        f + "[1]: unknown key \"factr\"; did you mean \"factor\"?\n" +
        f + "[2].loss_fraction: must be a number greater than 0, got 0\n" +
        f + "[3].mode: \"drop\" is not one of: fail, lose\n" +
        f + "[4]: " + nothing +
        f + "[5]: unknown key \"factor\"\n"
            "6 problems; nothing was run\n");
}

TEST_CASE("a faults section needs at least one action") {
  const auto r = refuse(with_faults(Json::array()));
  CHECK(r.outcome.err == only(r, "faults.timeline: must have at least 1 item, got 0"));
}

TEST_CASE("a fault's times are compared in the run's nanoseconds: an end that rounds to its start is refused") {
  const auto r = refuse(with_faults(Json::parse(R"([
    { "at_s": 1.0000000001, "until_s": 1.0000000002, "action": "crash", "target": "web" },
    { "at_s": 4.9999999999, "action": "crash", "target": "web[0]" }
  ])")));
  const std::string f = r.file + ": faults.timeline";
  CHECK(r.outcome.err ==
        f + "[0].until_s: must be at least a nanosecond later than at_s (1.0000000001 s), got 1.0000000002\n" +
        f + "[1].at_s: must be at least a nanosecond before the end of the run (duration_s 5), got 4.9999999999\n"
            "2 problems; nothing was run\n");
}

TEST_CASE("a database's servers are named by number, primary first, and it takes crashes and slow-downs") {
  Json s = small_scenario();
  s["components"][1] = Json::parse(R"({ "type": "database", "name": "db-primary", "read_replicas": 1,
    "read_time": { "type": "constant", "value_ms": 1 }, "write_time": { "type": "constant", "value_ms": 2 } })");
  s["workloads"][0]["operations"] = Json::parse(R"([{ "name": "read" }])");
  s["components"][0]["handlers"].erase("write");
  s["faults"] = {{"timeline", Json::parse(R"([
    { "at_s": 1, "action": "crash", "target": "db-primary[1]" },
    { "at_s": 1, "action": "crash", "target": "db-primary[2]" },
    { "at_s": 1, "action": "slow_down", "target": "db-primary", "factor": 2 },
    { "at_s": 3, "action": "slow_down", "target": "db-primary[3]", "factor": 2 },
    { "at_s": 1, "action": "add_shard", "target": "db-primary" }
  ])")}};
  const auto r = refuse(s);
  const std::string f = r.file + ": faults.timeline";
  CHECK(r.outcome.err ==
        f + "[1].target: \"db-primary\" has 2 servers (db-primary[0] to db-primary[1]); there is no db-primary[2]\n" +
        f + "[3].target: \"db-primary\" has 2 servers (db-primary[0] to db-primary[1]); there is no db-primary[3]\n" +
        f + "[4].target: \"db-primary\" is a database, which does not take the action add_shard (the types that do: "
            "shard_router)\n"
            "3 problems; nothing was run\n");
}

namespace {

// Users -> a router by hash mod N over s0..s2 (2 in use) and a router by
// ranges over the same shards, with a fault timeline.
Json sharded_with_faults(const Json& timeline) {
  Json s = Json::parse(R"({
    "name": "sharded",
    "duration_s": 5,
    "workloads": [
      { "name": "users", "target": "router", "arrival": { "type": "poisson", "rate_qps": 100 } },
      { "name": "more-users", "target": "ranged", "arrival": { "type": "poisson", "rate_qps": 100 } }
    ],
    "components": [
      { "type": "shard_router", "name": "router", "strategy": "hash_mod", "shards": ["s0", "s1", "s2"], "active_shards": 2 },
      { "type": "shard_router", "name": "ranged", "strategy": "range", "shards": ["s0", "s1"], "split_points": [500000] },
      { "type": "service", "name": "s0", "service_time": { "type": "constant", "value_ms": 1 } },
      { "type": "service", "name": "s1", "service_time": { "type": "constant", "value_ms": 1 } },
      { "type": "service", "name": "s2", "service_time": { "type": "constant", "value_ms": 1 } }
    ]
  })");
  s["faults"] = {{"timeline", timeline}};
  return s;
}

}  // namespace

TEST_CASE("the sharded scenario the reshard tests break is itself valid, adding and removing in turn") {
  TempDir dir("bad-scenarios");
  const auto file = dir.write("shop.json", sharded_with_faults(Json::parse(R"([
    { "at_s": 1, "action": "add_shard", "target": "router" },
    { "at_s": 2, "action": "remove_shard", "target": "router", "shards": 2 },
    { "at_s": 3, "action": "add_shard", "target": "router", "shards": 2 }
  ])")).dump());
  const Outcome o = run({"validate", file});
  CHECK(o.code == 0);
  CHECK(o.err.empty());
}

TEST_CASE("a router must have a shard left to add and one to keep, counted in the order the run takes the actions") {
  // 2 of 3 in use. In the run: [1] at 1 s adds one (3 in use); [0] at 2 s
  // finds none left; [2] at 3 s removes two (1 in use); [3] at 3.5 s asks
  // for 3 of the 2 left; [4] at 4 s would leave none; [5] at 4.5 s adds the
  // last two.
  const auto r = refuse(sharded_with_faults(Json::parse(R"([
    { "at_s": 2, "action": "add_shard", "target": "router" },
    { "at_s": 1, "action": "add_shard", "target": "router" },
    { "at_s": 3, "action": "remove_shard", "target": "router", "shards": 2 },
    { "at_s": 3.5, "action": "add_shard", "target": "router", "shards": 3 },
    { "at_s": 4, "action": "remove_shard", "target": "router" },
    { "at_s": 4.5, "action": "add_shard", "target": "router", "shards": 2 }
  ])")));
  const std::string f = r.file + ": faults.timeline";
  const std::string where = "; list the shards to add in its shards, after the first active_shards\n";
  CHECK(r.outcome.err ==
        f + "[0]: add_shard at 2 s: \"router\" has 3 of its 3 shards in use by then, so there is no shard to add" +
        where +
        f + "[3]: add_shard at 3.5 s: \"router\" has 1 of its 3 shards in use by then, so it can add 2, not 3" +
        where +
        f + "[4]: remove_shard at 4 s: \"router\" has 1 of its 3 shards in use by then, so there is none it can "
            "remove: at least one shard stays in use\n"
            "3 problems; nothing was run\n");
}

TEST_CASE("add_shard and remove_shard aim at a router by hash or ring as a whole, at an instant") {
  const auto r = refuse(sharded_with_faults(Json::parse(R"([
    { "at_s": 1, "action": "add_shard", "target": "ranged" },
    { "at_s": 1, "action": "add_shard", "target": "s0" },
    { "at_s": 1, "action": "remove_shard", "target": "router[1]" },
    { "at_s": 1, "until_s": 2, "action": "remove_shard", "target": "router" },
    { "at_s": 1, "action": "add_shard", "target": "router", "shards": 0 },
    { "at_s": 1, "action": "add_shard", "target": "routr" }
  ])")));
  const std::string f = r.file + ": faults.timeline";
  CHECK(r.outcome.err ==
        f + "[3]: unknown key \"until_s\"\n" +
        f + "[4].shards: must be an integer of at least 1, got 0\n" +
        f + "[1].target: \"s0\" is a service, which does not take the action add_shard (the types that do: "
            "shard_router)\n" +
        f + "[2].target: \"router\" is a shard_router, which has no replicas; aim at it as a whole: \"router\"\n" +
        f + "[5].target: no component named \"routr\"; did you mean \"router\"?\n" +
        f + "[0].target: \"ranged\" routes by range: its split points fix its shards; add_shard needs strategy "
            "hash_mod or consistent_hash\n"
            "6 problems; nothing was run\n");
}

TEST_CASE("a cache refuses modes it cannot take: read-through or write modes without a backend, and settings that "
          "change nothing") {
  Json s = small_scenario();
  s["components"][1] = Json::parse(R"({ "type": "cache", "name": "db-primary", "read_mode": "read_through",
    "write_mode": "write_back", "coalesce": true, "sliding_expiry": true, "eviction": "lfu",
    "hit_time": { "type": "constant", "value_ms": 1 } })");
  const auto r = refuse(s);
  const std::string f = r.file + ": components[1]";
  CHECK(r.outcome.err ==
        f + ".read_mode: read_through needs a backend to read on a miss; add backend, or use cache_aside\n" +
        f + ".write_mode: needs a backend to write to; add backend, or remove write_mode (the callers then set and "
            "delete entries)\n" +
        f + ".sliding_expiry: changes nothing without a ttl_s\n" +
        f + ".eviction: never happens: the cache has no capacity_keys or capacity_bytes\n" +
        "4 problems; nothing was run\n");
}

TEST_CASE("a cache's stale-while-revalidate and coalescing need a read-through cache") {
  Json s = small_scenario();
  s["components"].push_back(Json::parse(R"({ "type": "database", "name": "store",
    "read_time": { "type": "constant", "value_ms": 1 }, "write_time": { "type": "constant", "value_ms": 2 } })"));
  s["components"][1] = Json::parse(R"({ "type": "cache", "name": "db-primary", "backend": "store", "coalesce": true,
    "stale_while_revalidate_s": 1, "write_back_delay_s": 2, "hit_time": { "type": "constant", "value_ms": 1 } })");
  const auto r = refuse(s);
  const std::string f = r.file + ": components[1]";
  CHECK(r.outcome.err ==
        f + ".write_back_delay_s: is used by write_mode write_back only\n" +
        f + ".coalesce: only a read_through cache makes backend calls to coalesce; set read_mode to read_through (a "
            "cache_aside caller's misses are its own)\n" +
        f + ".stale_while_revalidate_s: needs read_mode read_through (to refresh) and a ttl_s (to expire)\n" +
        "3 problems; nothing was run\n");
}

TEST_CASE("a flush is for caches only") {
  Json s = small_scenario();
  s["faults"] = {{"timeline", Json::parse(R"([{ "at_s": 1, "action": "flush", "target": "web" }])")}};
  const auto r = refuse(s);
  CHECK(r.outcome.err == only(r, "faults.timeline[0].target: \"web\" is a service, which does not take the action "
                                 "flush (the types that do: cache, cdn)"));
}

namespace {

// The small scenario with a CDN in front of its web tier: the users ask the
// CDN, whose origin is web. `cdn` is added to the CDN's declaration.
Json with_cdn(const std::string& cdn) {
  Json s = small_scenario();
  s["workloads"][0]["target"] = "cdn";
  std::string text = R"({ "type": "cdn", "name": "cdn", "origin": "web", "hit_time": { "type": "constant", "value_ms": 1 })";
  text += cdn;
  text += " }";
  s["components"].push_back(Json::parse(text));
  return s;
}

}  // namespace

TEST_CASE("a CDN's static operations must be operations that reach it; a near miss gets a suggestion") {
  const auto r = refuse(with_cdn(R"(, "static_operations": ["raed", "thumbnail", "write"])"));
  const std::string f = r.file + ": components[2].static_operations";
  CHECK(r.outcome.err == f + "[0]: no request with operation \"raed\" reaches this cdn; did you mean \"read\"?\n" +
                             f + "[1]: no request with operation \"thumbnail\" reaches this cdn; the operations that "
                                 "do: read, write\n"
                                 "2 problems; nothing was run\n");
}

TEST_CASE("a CDN needs an origin and at least one static operation") {
  Json s = with_cdn(R"(, "static_operations": ["read"])");
  s["components"][2].erase("origin");
  auto r = refuse(s);
  CHECK(r.outcome.err == only(r, "components[2]: missing required key \"origin\" (What the edges copy: misses are "
                                 "fetched from it, and every request not cached passes through to it)"));
  r = refuse(with_cdn(R"(, "static_operations": [])"));
  CHECK(r.outcome.err == only(r, "components[2].static_operations: must have at least 1 item, got 0"));
}

TEST_CASE("a CDN refuses a static operation named twice, and store settings that change nothing") {
  const auto r =
      refuse(with_cdn(R"(, "static_operations": ["read", "write", "read"], "sliding_expiry": true, "eviction": "fifo")"));
  const std::string f = r.file + ": components[2]";
  CHECK(r.outcome.err == f + ".static_operations[2]: \"read\" is listed already, as static_operations[0]\n" +
                             f + ".sliding_expiry: changes nothing without a ttl_s\n" +
                             f + ".eviction: never happens: the edges have no capacity_keys or capacity_bytes\n" +
                             "3 problems; nothing was run\n");
}

TEST_CASE("a CDN of one edge has nowhere to send a crashed edge's users, and a negative delay is refused") {
  auto r = refuse(with_cdn(R"(, "static_operations": ["read"], "failover_after_s": 5)"));
  CHECK(r.outcome.err == only(r, "components[2].failover_after_s: there is no other edge to go to: add edges, or "
                                 "remove failover_after_s"));
  r = refuse(with_cdn(R"(, "edges": 2, "static_operations": ["read"], "failover_after_s": -1)"));
  CHECK(r.outcome.err.find("components[2].failover_after_s: ") != std::string::npos);
  CHECK(r.outcome.err.find("at least 0") != std::string::npos);
}

TEST_CASE("a CDN's origin must be a component that answers requests") {
  Json s = with_cdn(R"(, "static_operations": ["read"])");
  s["components"][2]["origin"] = "users";
  const auto r = refuse(s);
  CHECK(r.outcome.err == only(r, "components[2].origin: \"users\" is a workload; requests go to components"));
}

TEST_CASE("a CDN's edges are named by number, and it takes crashes, flushes and slow-downs only") {
  Json s = with_cdn(R"(, "edges": 2, "static_operations": ["read"])");
  s["faults"] = {{"timeline", Json::parse(R"([
    { "at_s": 1, "action": "crash", "target": "cdn[1]" },
    { "at_s": 1, "action": "flush", "target": "cdn[2]" },
    { "at_s": 1, "action": "fail", "target": "cdn", "fraction": 0.5 },
    { "at_s": 1, "action": "slow_down", "target": "cdn[0]", "factor": 2 }
  ])")}};
  const auto r = refuse(s);
  const std::string f = r.file + ": faults.timeline";
  CHECK(r.outcome.err ==
        f + "[1].target: \"cdn\" has 2 edges (cdn[0] to cdn[1]); there is no cdn[2]\n" +
        f + "[2].target: \"cdn\" is a cdn, which does not take the action fail (the types that do: service)\n"
            "2 problems; nothing was run\n");
}

TEST_CASE("a range shard past the workloads' last key would hold nothing and is refused") {
  Json s = small_scenario();
  s["workloads"][0]["keys"] = Json::parse(R"({ "count": 1000 })");
  s["components"].push_back(Json::parse(R"({ "type": "shard_router", "name": "router", "shards": ["web", "db-primary"],
    "strategy": "range", "split_points": [1000] })"));
  const auto r = refuse(s);
  CHECK(r.outcome.err == only(r, "components[2].split_points[0]: is past the last key (999: the workloads' keys run from "
                                 "0 to 999), so shard db-primary would hold no key; lower the split points, or add keys "
                                 "to the workloads"));
}

namespace {

// users -> gateway (a token bucket) -> web; `patch` changes the gateway's keys
// (null removes one).
Json with_limiter(const Json& patch) {
  Json s = small_scenario();
  s["workloads"][0]["target"] = "gateway";
  Json gateway = Json::parse(R"({ "type": "rate_limiter", "name": "gateway", "backend": "web",
                                  "algorithm": "token_bucket", "rate_qps": 100, "burst": 10 })");
  for (const auto& [key, value] : patch.items()) {
    if (value.is_null()) gateway.erase(key);
    else gateway[key] = value;
  }
  s["components"].push_back(gateway);
  return s;
}

// A load balancer with health checks in front of a two-replica service;
// `lb_extra` replaces its policy and health checks.
Json health_checked(const std::string& lb_extra) {
  return Json::parse(R"({
    "workloads": [{ "name": "users", "target": "lb", "arrival": { "type": "poisson", "rate_qps": 10 } }],
    "components": [
      { "type": "load_balancer", "name": "lb", "backend": "web" )" + lb_extra + R"( },
      { "type": "service", "name": "web", "replicas": 2,
        "handlers": { "request": [{ "compute": { "type": "constant", "value_ms": 1 } }] } }
    ]
  })");
}

}  // namespace

TEST_CASE("a rate limiter in front of a component that does not exist gets a suggestion") {
  const auto r = refuse(with_limiter({{"backend", "wbe"}}));
  CHECK(r.outcome.err == only(r, "components[2].backend: no component named \"wbe\"; did you mean \"web\"?"));
}

TEST_CASE("a rate limiter's rate, burst, limit and window must be positive") {
  auto r = refuse(with_limiter({{"rate_qps", 0}, {"burst", 0}}));
  const std::string f = r.file + ": components[2]";
  CHECK(r.outcome.err == f + ".rate_qps: must be a number greater than 0, got 0\n" + f +
                             ".burst: must be an integer of at least 1, got 0\n" + "2 problems; nothing was run\n");
  r = refuse(with_limiter({{"algorithm", "fixed_window"}, {"rate_qps", nullptr}, {"burst", nullptr},
                           {"limit", 0}, {"window_ms", -5}}));
  CHECK(r.outcome.err == f + ".limit: must be an integer of at least 1, got 0\n" + f +
                             ".window_ms: must be a number greater than 0, got -5\n" + "2 problems; nothing was run\n");
  r = refuse(with_limiter({{"algorithm", "sliding_window"}, {"rate_qps", nullptr}, {"burst", nullptr},
                           {"limit", 3}, {"window_ms", 1e-7}}));
  CHECK(r.outcome.err == only(r, "components[2].window_ms: must be at least a nanosecond (1e-6 ms), got 1e-07"));
}

TEST_CASE("a rate limiter's algorithm takes exactly its own parameters") {
  auto r = refuse(with_limiter({{"burst", nullptr}}));
  CHECK(r.outcome.err == only(r, "components[2]: token_bucket needs rate_qps and burst; missing burst"));
  r = refuse(with_limiter({{"limit", 10}}));
  CHECK(r.outcome.err ==
        only(r, "components[2].limit: is not used by algorithm token_bucket, which takes rate_qps and burst"));
  r = refuse(with_limiter({{"algorithm", "token-bucket"}}));
  CHECK(r.outcome.err == only(r, "components[2].algorithm: \"token-bucket\" is not one of: token_bucket, "
                                 "leaky_bucket, fixed_window, sliding_log, sliding_window; did you mean "
                                 "\"token_bucket\"?"));
}

TEST_CASE("a rate limiter's keys are bounded, and max_keys needs a key") {
  auto r = refuse(with_limiter({{"max_keys", 10}}));
  CHECK(r.outcome.err ==
        only(r, "components[2].max_keys: is only used with key user_id or client, but the key is global"));
  r = refuse(with_limiter({{"algorithm", "sliding_log"}, {"rate_qps", nullptr}, {"burst", nullptr},
                           {"limit", 10000}, {"window_ms", 1000}, {"key", "user_id"}}));
  CHECK(r.outcome.err == only(r, "components[2].limit: the log keeps limit entries for each of 10000 keys: "
                                 "100000000 entries, more than 10000000; lower limit or max_keys, or use "
                                 "sliding_window"));
  r = refuse(with_limiter({{"key", "user_id"}, {"max_keys", 2000000}}));
  CHECK(r.outcome.err == only(r, "components[2].max_keys: must be an integer of at most 1000000, got 2000000"));
}

TEST_CASE("a rate limiter's counter store must be a cache") {
  auto r = refuse(with_limiter({{"counter_store", "db-primary"}}));
  CHECK(r.outcome.err == only(r, "components[2].counter_store: \"db-primary\" is a service; it must be a cache (cache)"));
  r = refuse(with_limiter({{"counter_store", "redis"}}));
  CHECK(r.outcome.err == only(r, "components[2].counter_store: no cache named \"redis\""));
}

TEST_CASE("health checks that would never eject, or never re-admit, are refused") {
  const auto r = refuse(health_checked(R"(, "health_check": { "failures_to_eject": 0, "successes_to_readmit": 0,
                                           "operation": "request" })"));
  CHECK(r.outcome.err == r.file + ": components[0].health_check.failures_to_eject: must be an integer of at least 1, got 0\n" +
                             r.file + ": components[0].health_check.successes_to_readmit: must be an integer of at least 1, got 0\n" +
                             "2 problems; nothing was run\n");
}

TEST_CASE("a probe timeout as long as the interval between probes is refused") {
  const auto r = refuse(health_checked(R"(, "health_check": { "interval_ms": 500, "timeout_ms": 500, "operation": "request" })"));
  CHECK(r.outcome.err == only(r, "components[0].health_check.timeout_ms: must be less than interval_ms (500), got 500: a "
                                 "probe must end before the next round begins"));
}

TEST_CASE("active_passive without health checks is refused: the standby would never take over") {
  const auto r = refuse(health_checked(R"(, "policy": "active_passive")"));
  CHECK(r.outcome.err == only(r, "components[0]: policy active_passive needs health_check: the standby takes over only "
                                 "once the active replica is found down"));
}

TEST_CASE("a probe operation the backend cannot serve is refused: a probe is a real request") {
  const auto r = refuse(health_checked(R"(, "health_check": {})"));
  CHECK(r.outcome.err == only(r, "components[1]: operation \"health\" reaches service \"web\" (from load_balancer \"lb\") "
                                 "but it has no handler for it and no service_time"));
}

TEST_CASE("sessions other than none or local are refused") {
  Json s = health_checked("");
  s["components"][1]["sessions"] = "shared";
  const auto r = refuse(s);
  CHECK(r.outcome.err == only(r, "components[1].sessions: \"shared\" is not one of: none, local"));
}

namespace {

// The small scenario with `guard` (a circuit_breaker or a bulkhead, as
// `key`) on the web's read call to the database.
Json with_guard(const char* key, const Json& guard) {
  Json s = small_scenario();
  s["components"][0]["handlers"]["read"][1][key] = guard;
  return s;
}

// The small scenario with its web tier publishing to a broker, whose topic
// "events" (`topic`: more of its fields) is consumed by the service
// "worker" (`worker`: more of its fields).
Json with_broker(const std::string& topic, const std::string& worker = "", const std::string& published = "events") {
  Json s = small_scenario();
  s["components"][0]["handlers"]["write"].push_back(Json{{"publish", "queue"}, {"topic", published}});
  s["components"].push_back(Json::parse(R"({ "type": "broker", "name": "queue",
    "topics": { "events": { "consumers": [{ "service": "worker" }] )" + topic + R"( } } })"));
  s["components"].push_back(Json::parse(R"({ "type": "service", "name": "worker",
    "service_time": { "type": "constant", "value_ms": 1 } )" + worker + " }"));
  return s;
}

}  // namespace

TEST_CASE("a circuit breaker that can never open, or whose window serves no rule, is refused") {
  const auto never = refuse(with_guard("circuit_breaker", Json::object()));
  CHECK(never.outcome.err ==
        only(never, "components[0].handlers.read[1].circuit_breaker: never opens as given: set consecutive_failures "
                    "(failures in a row), failure_rate (a share of failures over the window), or both"));
  const auto window = refuse(with_guard("circuit_breaker", Json::parse(R"({ "consecutive_failures": 5, "window_s": 3 })")));
  CHECK(window.outcome.err ==
        only(window, "components[0].handlers.read[1].circuit_breaker: sets window_s, window_buckets or minimum_calls, "
                     "which only failure_rate uses, and failure_rate is not set: set it, or remove them"));
  const auto buckets = refuse(with_guard(
      "circuit_breaker", Json::parse(R"({ "failure_rate": 0.5, "window_s": 0.005, "window_buckets": 10, "open_ms": 1 })")));
  CHECK(buckets.outcome.err ==
        only(buckets, "components[0].handlers.read[1].circuit_breaker.window_buckets: cuts the window into buckets of "
                      "0.5 ms: each must last at least 1 ms; use fewer buckets or a longer window_s"));
}

TEST_CASE("a circuit breaker whose window is shorter than its probe interval (open_ms) is warned about") {
  // Every call of the web tier to the database shares the breaker.
  const auto both = [](const Json& breaker) {
    Json s = with_guard("circuit_breaker", breaker);
    s["components"][0]["handlers"]["write"][1]["circuit_breaker"] = breaker;
    return s;
  };
  const Json s = both(Json::parse(R"({ "failure_rate": 0.5, "window_s": 1, "open_ms": 5000 })"));
  TempDir dir("bad-scenarios");
  const auto file = dir.write("shop.json", s.dump());
  const Outcome o = run({"validate", file});
  CHECK(o.code == 0);
  const std::string warning = ".circuit_breaker.window_s: warning: judges failure_rate over 1000 ms, less than the "
                              "5000 ms (open_ms) it then stays open before a probe: a burst of failures shorter than "
                              "that outage opens it; make window_s at least open_ms / 1000, or shorten open_ms\n";
  CHECK(o.err == file + ": components[0].handlers.read[1]" + warning + file + ": components[0].handlers.write[1]" +
                     warning);
  // By consecutive failures alone there is no window to judge.
  const auto by_count = dir.write("count.json", both(Json::parse(R"({ "consecutive_failures": 5 })")).dump());
  CHECK(run({"validate", by_count}).err.empty());
}

TEST_CASE("a circuit breaker's rate, open time and probes are checked against their ranges") {
  const auto r = refuse(
      with_guard("circuit_breaker", Json::parse(R"({ "failure_rate": 1.5, "half_open_probes": 0, "open_ms": 0 })")));
  const std::string f = r.file + ": components[0].handlers.read[1].circuit_breaker.";
  CHECK(r.outcome.err == f + "failure_rate: must be a number of at most 1, got 1.5\n" +
                             f + "open_ms: must be a number greater than 0, got 0\n" +
                             f + "half_open_probes: must be an integer of at least 1, got 0\n"
                                 "3 problems; nothing was run\n");
}

TEST_CASE("the calls of a service to one component must agree on their circuit breaker and bulkhead") {
  Json s = with_guard("circuit_breaker", Json::parse(R"({ "consecutive_failures": 5 })"));
  s["components"][0]["handlers"]["write"][1]["circuit_breaker"] = Json::parse(R"({ "consecutive_failures": 6 })");
  s["components"][0]["handlers"]["write"][1]["bulkhead"] = Json::parse(R"({ "max_concurrent_calls": 6 })");
  const auto r = refuse(s);
  const std::string f = r.file + ": components[0].handlers.write[1].";
  const std::string rest = ": one {} guards all of a service's calls to one component; give every call to it the same one, or none\n";
  const auto why = [&](const std::string& guard) {
    std::string line = rest;
    line.replace(line.find("{}"), 2, guard);
    return line;
  };
  CHECK(r.outcome.err ==
        f + "circuit_breaker: is not the circuit_breaker of the call to \"db-primary\" at components[0].handlers.read[1]" +
            why("circuit_breaker") + f +
            "bulkhead: is not the bulkhead of the call to \"db-primary\" at components[0].handlers.read[1], which has none" +
            why("bulkhead") + "2 problems; nothing was run\n");
}

TEST_CASE("a bulkhead needs a limit of at least one call, and shedding a wait above 0") {
  const auto zero = refuse(with_guard("bulkhead", Json::parse(R"({ "max_concurrent_calls": 0 })")));
  CHECK(zero.outcome.err ==
        only(zero, "components[0].handlers.read[1].bulkhead.max_concurrent_calls: must be an integer of at least 1, got 0"));
  const auto missing = refuse(with_guard("bulkhead", Json::object()));
  CHECK(missing.outcome.err ==
        only(missing, "components[0].handlers.read[1].bulkhead: missing required key \"max_concurrent_calls\" (Calls in "
                      "flight at once from one replica of the caller)"));
  Json s = small_scenario();
  s["components"][0]["shed_wait_ms"] = 0;
  const auto shed = refuse(s);
  CHECK(shed.outcome.err == only(shed, "components[0].shed_wait_ms: must be a number greater than 0, got 0"));
}

TEST_CASE("a fail fault needs a fraction in (0, 1], an end after its start, and a type that takes it") {
  const auto r = refuse(with_faults(Json::parse(R"([
    { "at_s": 1, "action": "fail", "target": "web", "fraction": 1.5 },
    { "at_s": 1, "action": "fail", "target": "web", "fraction": 0 },
    { "at_s": 2, "until_s": 1, "action": "fail", "target": "web", "fraction": 0.5 },
    { "at_s": 1, "action": "fail", "target": "web" },
    { "at_s": 1, "action": "fail", "target": "lb", "fraction": 0.5 }
  ])")));
  const std::string f = r.file + ": faults.timeline";
  CHECK(r.outcome.err ==
        f + "[0].fraction: must be a number of at most 1, got 1.5\n" +
        f + "[1].fraction: must be a number greater than 0, got 0\n" +
        f + "[2].until_s: must be later than at_s (2 s), got 1\n" +
        f + "[3]: missing required key \"fraction\" (Fraction of the requests reaching it that fail at once, each "
            "drawn apart)\n" +
        f + "[4].target: \"lb\" is a load_balancer, which does not take the action fail (the types that do: service)\n"
            "5 problems; nothing was run\n");
}

TEST_CASE("the small scenario with a broker is valid") {
  TempDir dir("bad-scenarios");
  const auto file = dir.write("shop.json", with_broker("").dump());
  const Outcome o = run({"validate", file});
  CHECK(o.code == 0);
  CHECK(o.err.empty());
}

TEST_CASE("a consumer group with more replicas than its topic has partitions is warned about: the extra idle") {
  TempDir dir("bad-scenarios");
  const auto file = dir.write("shop.json", with_broker(R"(, "partitions": 2)", R"(, "replicas": 3)").dump());
  const Outcome o = run({"validate", file});
  CHECK(o.code == 0);
  CHECK(o.err == file + ": components[2].topics.events.consumers[0].service: warning: \"worker\" has 3 replicas "
                        "(consumers) for 2 partitions: 1 would idle, as a partition has one consumer per group; add "
                        "partitions, or use fewer replicas\n");
}

TEST_CASE("a topic needs at least one partition") {
  const auto r = refuse(with_broker(R"(, "partitions": 0)"));
  CHECK(r.outcome.err == only(r, "components[2].topics.events.partitions: must be an integer of at least 1, got 0"));
}

TEST_CASE("a publish to a topic the broker does not have is refused, with the topic it most likely meant") {
  const auto r = refuse(with_broker("", "", "event"));
  CHECK(r.outcome.err == only(r, "components[2].topics: no topic named \"event\", which requests reaching broker \"queue\" "
                                 "publish to (or ask for); did you mean \"events\"?"));
}

TEST_CASE("a dead-letter topic must be another topic of the broker, and needs max_deliveries") {
  auto r = refuse(with_broker(R"(, "max_deliveries": 3, "dead_letter_topic": "events-dql" }, "events-dlq": {)"));
  CHECK(r.outcome.err == only(r, "components[2].topics.events.dead_letter_topic: no topic named \"events-dql\" in this broker; "
                                 "did you mean \"events-dlq\"?"));
  r = refuse(with_broker(R"(, "dead_letter_topic": "events")"));
  CHECK(r.outcome.err == only(r, "components[2].topics.events.dead_letter_topic: is never used without "
                                 "max_deliveries: add max_deliveries, or remove it"));
  r = refuse(with_broker(R"(, "max_deliveries": 2, "dead_letter_topic": "events")"));
  CHECK(r.outcome.err == only(r, "components[2].topics.events.dead_letter_topic: names its own topic: a message "
                                 "failed there would come back for ever; name another topic"));
}

TEST_CASE("a retry policy's attempts out of range, a cap below its base, and a cause misspelt are refused") {
  const auto with_retry = [](const Json& retry) {
    Json s = small_scenario();
    s["components"][0]["handlers"]["read"][1]["retry"] = retry;
    return s;
  };
  const std::string at = "components[0].handlers.read[1].retry.";
  auto r = refuse(with_retry(Json{{"max_attempts", 0}}));
  CHECK(r.outcome.err == only(r, at + "max_attempts: must be an integer of at least 1, got 0"));
  r = refuse(with_retry(Json{{"max_attempts", 101}}));
  CHECK(r.outcome.err == only(r, at + "max_attempts: must be an integer of at most 100, got 101"));
  r = refuse(with_retry(Json{{"base_ms", 100}, {"cap_ms", 50}}));
  CHECK(r.outcome.err == only(r, at + "cap_ms: must be at least base_ms (100 ms), got 50"));
  r = refuse(with_retry(Json{{"retry_on", {"timeuot"}}}));
  CHECK(r.outcome.err == only(r, at + "retry_on[0]: \"timeuot\" is not one of: timeout, queue_full, crashed, "
                                      "link_down, no_primary, no_quorum, error, shed, no_healthy_backend, "
                                      "rate_limited, broker_full; did you mean \"timeout\"?"));
  r = refuse(with_retry(Json{{"retry_on", {"timeout", "timeout"}}}));
  CHECK(r.outcome.err == only(r, at + "retry_on[1]: \"timeout\" is listed twice"));
  r = refuse(with_retry(Json{{"backoff", "fixed"}, {"jitter", "decorrelated"}}));
  CHECK(r.outcome.err == only(r, at + "jitter: decorrelated jitter grows its own waits from base_ms up to cap_ms: use "
                                      "backoff exponential with it, or another jitter"));
  r = refuse(with_retry(Json{{"budget", {{"tokens", 0}}}}));
  CHECK(r.outcome.err == only(r, at + "budget.tokens: must be an integer of at least 1, got 0"));
}

TEST_CASE("retrying a write is allowed but warned about, with its path, and the scenario runs") {
  Json s = small_scenario();
  s["components"][0]["handlers"]["write"][1]["retry"] = Json::object();
  s["components"][0]["handlers"]["write"][1]["access"] = "write";
  s["workloads"][0]["retry"] = Json::object();
  s["workloads"][0]["operations"][1]["access"] = "write";
  TempDir dir("bad-scenarios");
  const auto file = dir.write("shop.json", s.dump());
  const Outcome o = run({"validate", file});
  CHECK(o.code == 0);
  CHECK(o.out == file + ": valid\n");
  CHECK(o.err == file + ": workloads[0].retry: warning: retries the write operation \"write\", which an attempt that "
                        "timed out may already have applied: make sure the callee treats it as idempotent\n" +
                     file + ": components[0].handlers.write[1].retry: warning: retries a write, which an attempt "
                            "that timed out may already have applied: make sure the callee treats it as idempotent\n");
}

TEST_CASE("a hedge beside a retry, a percentile below the tail and attempts out of range are refused") {
  const auto with_hedge = [](const Json& hedge, bool retried) {
    Json s = small_scenario();
    s["components"][0]["handlers"]["read"][1]["hedge"] = hedge;
    if (retried) s["components"][0]["handlers"]["read"][1]["retry"] = Json::object();
    return s;
  };
  const std::string at = "components[0].handlers.read[1].hedge";
  auto r = refuse(with_hedge(Json::object(), true));
  CHECK(r.outcome.err == only(r, at + ": a call is either retried or hedged, not both (as in gRPC): remove retry or hedge"));
  r = refuse(with_hedge(Json{{"at_percentile", 20}}, false));
  CHECK(r.outcome.err == only(r, at + ".at_percentile: hedges after most calls have answered, so at least 50 (the "
                                      "tail), got 20; 0 hedges after delay_ms"));
  r = refuse(with_hedge(Json{{"max_attempts", 5}}, false));
  CHECK(r.outcome.err == only(r, at + ".max_attempts: must be an integer of at most 4, got 5"));
  r = refuse(with_hedge(Json{{"delay_ms", 0}}, false));
  CHECK(r.outcome.err == only(r, at + ".delay_ms: must be a number greater than 0, got 0"));
}

TEST_CASE("hedging a write is allowed but warned about, with its path") {
  Json s = small_scenario();
  s["components"][0]["handlers"]["write"][1]["hedge"] = Json::object();
  s["components"][0]["handlers"]["write"][1]["access"] = "write";
  TempDir dir("bad-scenarios");
  const auto file = dir.write("shop.json", s.dump());
  const Outcome o = run({"validate", file});
  CHECK(o.code == 0);
  CHECK(o.err == file + ": components[0].handlers.write[1].hedge: warning: hedges a write: every attempt is applied, "
                        "so the callee must treat it as idempotent\n");
}

TEST_CASE("autoscaling's counts, target and window out of range are refused with their paths") {
  const auto with = [](const Json& autoscaling, std::int64_t replicas = 1) {
    Json s = small_scenario();
    s["components"][0]["replicas"] = replicas;
    s["components"][0]["autoscaling"] = autoscaling;
    return s;
  };
  const std::string at = "components[0].autoscaling.";
  auto r = refuse(with(Json{{"target", 0.5}, {"min_instances", 2}, {"max_instances", 4}}));
  CHECK(r.outcome.err == only(r, "components[0].replicas: is the instance count at the start with autoscaling: must be "
                                 "between min_instances (2) and max_instances (4), got 1"));
  r = refuse(with(Json{{"target", 0.5}, {"max_instances", 4}}, 5));
  CHECK(r.outcome.err == only(r, "components[0].replicas: is the instance count at the start with autoscaling: must be "
                                 "between min_instances (1) and max_instances (4), got 5"));
  r = refuse(with(Json{{"target", 0.5}, {"min_instances", 5}, {"max_instances", 3}}));
  CHECK(r.outcome.err == only(r, at + "min_instances: must be at most max_instances (3), got 5"));
  r = refuse(with(Json{{"target", 1.5}, {"max_instances", 3}}));
  CHECK(r.outcome.err == only(r, at + "target: is a utilization, a fraction of the workers: must be at most 1, got 1.5"));
  r = refuse(with(Json{{"target", 0}, {"max_instances", 3}}));
  CHECK(r.outcome.err == only(r, at + "target: must be a number greater than 0, got 0"));
  r = refuse(with(Json{{"target", 0.5}, {"max_instances", 20000}}));
  CHECK(r.outcome.err == only(r, at + "max_instances: must be an integer of at most 10000, got 20000"));
  r = refuse(with(Json{{"target", 0.5}}));
  CHECK(r.outcome.err == only(r, "components[0].autoscaling: missing required key \"max_instances\" (Most instances "
                                 "serving or starting)"));
  r = refuse(with(Json{{"target", 0.5}, {"max_instances", 3}, {"interval_s", 1}, {"window_s", 2000}}));
  CHECK(r.outcome.err == only(r, at + "window_s: must be at most 1000 decision intervals (1000 s), got 2000"));
  r = refuse(with(Json{{"metric", "utilisation"}, {"target", 0.5}, {"max_instances", 3}}));
  CHECK(r.outcome.err == only(r, at + "metric: \"utilisation\" is not one of: utilization, queue_length, "
                                      "request_rate; did you mean \"utilization\"?"));
}

TEST_CASE("an autoscaling target with no headroom, and a window shorter than the interval, are warned about") {
  Json s = small_scenario();
  s["components"][0]["autoscaling"] =
      Json{{"target", 0.97}, {"max_instances", 3}, {"interval_s", 60}, {"window_s", 30}};
  TempDir dir("bad-scenarios");
  const auto file = dir.write("shop.json", s.dump());
  const Outcome o = run({"validate", file});
  CHECK(o.code == 0);
  CHECK(o.out == file + ": valid\n");
  CHECK(o.err == file + ": components[0].autoscaling.target: warning: a utilization target of 0.97 leaves no "
                        "headroom: queues build up before each scale-out takes effect\n" +
                     file + ": components[0].autoscaling.window_s: warning: is shorter than interval_s: what happens "
                            "between one window's end and the next decision's window is never measured\n");
}

TEST_CASE("bandwidths out of range, message sizes that are no sizes and a link entry that sets nothing are refused") {
  Json s = small_scenario();
  s["links"] = Json::array({Json{{"from", "web"}, {"to", "db-primary"}}});
  auto r = refuse(s);
  CHECK(r.outcome.err ==
        only(r, "links[0]: the link sets neither latency nor bandwidth_bytes_per_s: give one, or remove the entry"));
  s = small_scenario();
  s["components"][0]["bandwidth_bytes_per_s"] = 0;
  r = refuse(s);
  CHECK(r.outcome.err == only(r, "components[0].bandwidth_bytes_per_s: must be a number of at least 1, got 0"));
  s = small_scenario();
  s["network"] = Json{{"bandwidth_bytes_per_s", 2e15}};
  r = refuse(s);
  CHECK(r.outcome.err ==
        only(r, "network.bandwidth_bytes_per_s: must be a number of at most 1000000000000000, got 2e+15"));
  s = small_scenario();
  s["components"][0]["handlers"]["read"][1]["request_bytes"] = Json{{"type", "exponential"}, {"mean_bytes", -1}};
  r = refuse(s);
  CHECK(r.outcome.err ==
        only(r, "components[0].handlers.read[1].request_bytes.mean_bytes: must be a number greater than 0, got -1"));
  s = small_scenario();
  s["workloads"][0]["operations"][0]["reply_byte"] = Json{{"type", "constant"}, {"value_bytes", 10}};
  r = refuse(s);
  CHECK(r.outcome.err ==
        only(r, "workloads[0].operations[0]: unknown key \"reply_byte\"; did you mean \"reply_bytes\"?"));
}
