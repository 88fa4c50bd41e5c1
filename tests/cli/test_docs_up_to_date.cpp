// The generated documents in docs/ are what the program generates today, byte
// for byte; a failure says the command that regenerates them. The schema is
// valid JSON and knows every key the example scenarios use.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "tests/cli/cli_helpers.h"

namespace {

using archsim::spec::Json;
using namespace archsim::test_cli;
namespace fs = std::filesystem;

std::vector<fs::path> scenario_files() {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(source_dir() / "scenarios"))
    if (entry.path().extension() == ".json") files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  return files;
}

// The first line where two texts differ, to show in a failure.
std::string first_difference(const std::string& a, const std::string& b) {
  std::size_t line = 1, start = 0;
  for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
    if (a[i] != b[i]) {
      const auto end_a = a.find('\n', start), end_b = b.find('\n', start);
      return "line " + std::to_string(line) + ":\n  in docs:   " + a.substr(start, end_a - start) +
             "\n  generated: " + b.substr(start, end_b - start);
    }
    if (a[i] == '\n') {
      ++line;
      start = i + 1;
    }
  }
  return a.size() == b.size() ? "none" : "one is a prefix of the other (" + std::to_string(a.size()) + " vs " +
                                             std::to_string(b.size()) + " bytes)";
}

std::vector<std::string> keys_of(const Json& object) {
  std::vector<std::string> keys;
  for (const auto& [key, _] : object.items()) keys.push_back(key);
  return keys;
}

}  // namespace

TEST_CASE("docs/reference.md is the output of archsim describe --markdown") {
  const Outcome o = run({"describe", "--markdown"});
  REQUIRE(o.code == 0);
  const std::string docs = read_file(source_dir() / "docs/reference.md");
  INFO("docs/reference.md is out of date; regenerate it with:\n"
       "  ./build/archsim describe --markdown > docs/reference.md\n"
       "first difference: "
       << first_difference(docs, o.out));
  const bool up_to_date = docs == o.out;  // not CHECK(docs == o.out): that would print both documents
  CHECK(up_to_date);
}

TEST_CASE("docs/scenario.schema.json is the output of archsim schema") {
  const Outcome o = run({"schema"});
  REQUIRE(o.code == 0);
  const std::string docs = read_file(source_dir() / "docs/scenario.schema.json");
  INFO("docs/scenario.schema.json is out of date; regenerate it with:\n"
       "  ./build/archsim schema > docs/scenario.schema.json\n"
       "first difference: "
       << first_difference(docs, o.out));
  const bool up_to_date = docs == o.out;  // not CHECK(docs == o.out): that would print both documents
  CHECK(up_to_date);
}

TEST_CASE("the JSON Schema is valid JSON of draft-07 and resolves its own references") {
  const std::string text = read_file(source_dir() / "docs/scenario.schema.json");
  Json schema;
  REQUIRE_NOTHROW(schema = Json::parse(text));
  CHECK(schema["$schema"] == "http://json-schema.org/draft-07/schema#");
  CHECK(schema["type"] == "object");
  CHECK(schema["additionalProperties"] == false);
  CHECK(schema["required"] == Json::array({"workloads", "components"}));
  // Every "$ref" points into "definitions".
  std::vector<std::string> refs;
  std::function<void(const Json&)> scan = [&](const Json& v) {
    if (v.is_object()) {
      if (v.contains("$ref") && v["$ref"].is_string()) refs.push_back(v["$ref"].get<std::string>());
      for (const auto& [_, x] : v.items()) scan(x);
    } else if (v.is_array()) {
      for (const auto& x : v) scan(x);
    }
  };
  scan(schema);
  CHECK(!refs.empty());
  for (const auto& ref : refs) {
    CAPTURE(ref);
    REQUIRE(ref.rfind("#/definitions/", 0) == 0);
    CHECK(schema["definitions"].contains(ref.substr(std::string("#/definitions/").size())));
  }
}

TEST_CASE("every scenario in scenarios/ uses only keys the schema knows") {
  const Json schema = Json::parse(read_file(source_dir() / "docs/scenario.schema.json"));
  const auto top_keys = keys_of(schema["properties"]);
  const auto workload_keys = keys_of(schema["properties"]["workloads"]["items"]["properties"]);
  const auto files = scenario_files();
  REQUIRE(!files.empty());
  for (const auto& file : files) {
    CAPTURE(file.filename().string());
    const Json scenario = Json::parse(read_file(file));
    for (const auto& [key, _] : scenario.items()) {
      CAPTURE(key);
      CHECK(std::find(top_keys.begin(), top_keys.end(), key) != top_keys.end());
    }
    for (const auto& workload : scenario["workloads"])
      for (const auto& [key, _] : workload.items()) {
        CAPTURE(key);
        CHECK(std::find(workload_keys.begin(), workload_keys.end(), key) != workload_keys.end());
      }
    // Each component's keys are those of its type's form in the schema.
    for (const auto& component : scenario["components"]) {
      const Json* form = nullptr;
      for (const auto& f : schema["definitions"]["component"]["oneOf"])
        if (f["properties"]["type"]["const"] == component["type"]) form = &f;
      CAPTURE(component["name"].dump());
      REQUIRE(form != nullptr);
      const auto known = keys_of((*form)["properties"]);
      for (const auto& [key, _] : component.items()) {
        CAPTURE(key);
        CHECK(std::find(known.begin(), known.end(), key) != known.end());
      }
    }
  }
}
