// Reading scenario text: the value nlohmann's parser would build, a source
// map beside it, and messages that say where a problem is as a compiler does
// (`file:line:column: message`, then the line and a caret under the column).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "models/format/json_text.h"
#include "tests/cli/cli_helpers.h"

namespace {

using archsim::spec::Errors;
using archsim::spec::Json;
using archsim::spec::Path;
using archsim::spec::SourceMap;

struct Read {
  std::optional<Json> value;
  std::string errors;  // as formatted for t.json
  SourceMap source;
};

Read read(std::string_view text) {
  Read r;
  Errors errors;
  r.value = archsim::spec::read_json_text(text, errors, &r.source);
  r.errors = errors.format("t.json");
  CHECK(r.value.has_value() == errors.empty());
  return r;
}

// The messages for text that must be refused.
std::string refused(std::string_view text) {
  const Read r = read(text);
  CHECK_FALSE(r.value.has_value());
  return r.errors;
}

// Same value, and the same nlohmann type at every place (dump() alone does
// not tell an unsigned 5 from a signed one).
bool same(const Json& a, const Json& b) {
  if (a.type() != b.type()) return false;
  if (a.is_object()) {
    if (a.size() != b.size()) return false;
    auto i = a.begin();
    auto j = b.begin();
    for (; i != a.end(); ++i, ++j)
      if (i.key() != j.key() || !same(*i, *j)) return false;
    return true;
  }
  if (a.is_array()) {
    if (a.size() != b.size()) return false;
    for (std::size_t k = 0; k < a.size(); ++k)
      if (!same(a[k], b[k])) return false;
    return true;
  }
  return a.dump() == b.dump();
}

void check_like_nlohmann(const std::string& text) {
  CAPTURE(text);
  const Read r = read(text);
  REQUIRE_MESSAGE(r.value.has_value(), r.errors);
  CHECK(same(*r.value, Json::parse(text)));
}

}  // namespace

// ---- syntax errors ------------------------------------------------------------

TEST_CASE("a syntax error names its line and column and shows the line with a caret under the column") {
  CHECK(refused("{\n  \"workers\": 4\n  \"queue_capacity\": 10\n}\n") ==
        "t.json:3:3: expected ',' or '}' after an object member, got '\"'\n"
        "  \"queue_capacity\": 10\n"
        "  ^\n");
  CHECK(refused("{\n    \"workers\": 4 \"queue_capacity\": 10\n}") ==
        "t.json:2:18: expected ',' or '}' after an object member, got '\"'\n"
        "    \"workers\": 4 \"queue_capacity\": 10\n"
        "                 ^\n");
}

TEST_CASE("an error on a last line without a newline, and at the end of input, points past the last character") {
  CHECK(refused("{\"a\": [1, 2") ==
        "t.json:1:12: expected ',' or ']' after an array element, got end of input\n"
        "{\"a\": [1, 2\n"
        "           ^\n");
  CHECK(refused("{\n  \"a\":") ==
        "t.json:2:7: expected a value, got end of input\n"
        "  \"a\":\n"
        "      ^\n");
  // After the last newline the error is on an empty last line.
  CHECK(refused("{\n") == "t.json:2:1: expected a key in double quotes or '}', got end of input\n\n^\n");
  CHECK(refused("") == "t.json:1:1: expected a value, got end of input\n\n^\n");
  CHECK(refused("  \n ") == "t.json:2:2: expected a value, got end of input\n \n ^\n");
}

TEST_CASE("a tab counts as one column, and the caret line repeats the tabs so the caret sits under its character") {
  CHECK(refused("{\n\t\"a\":\t1\t\"b\"\n}") ==
        "t.json:2:9: expected ',' or '}' after an object member, got '\"'\n"
        "\t\"a\":\t1\t\"b\"\n"
        "\t    \t \t^\n");
}

TEST_CASE("a column counts characters, not bytes: the caret sits under the character after multi-byte UTF-8") {
  CHECK(refused("{\"café\": \"€ 5\", x}") ==
        "t.json:1:17: expected a key in double quotes after ',', got 'x'\n"
        "{\"café\": \"€ 5\", x}\n"
        "                ^\n");
}

TEST_CASE("line ends may be CRLF: the carriage return is not shown") {
  CHECK(refused("{\r\n\"a\" 1\r\n}") ==
        "t.json:2:5: expected ':' after the key \"a\", got '1'\n"
        "\"a\" 1\n"
        "    ^\n");
}

TEST_CASE("a very long line is shown cut around the column") {
  std::string text = "[";
  text.append(200, '1').append(", x").append(200, ' ').append("]");
  const std::string errors = refused(text);
  CHECK(errors.rfind("t.json:1:204: expected a value, got 'x'\n...", 0) == 0);
  const auto lines = errors.substr(errors.find('\n') + 1);
  const std::string shown = lines.substr(0, lines.find('\n'));
  const std::string caret = lines.substr(lines.find('\n') + 1);
  CHECK(shown.size() == 3 + 120 + 3);
  CHECK(shown[caret.find('^')] == 'x');
}

TEST_CASE("syntax errors say what was expected and what was found") {
  CHECK(refused("{\"a\": 1,}") ==
        "t.json:1:9: expected a key in double quotes after ',', got '}'; JSON allows no ',' before '}'\n{\"a\": 1,}\n        ^\n");
  CHECK(refused("[1, 2,]") == "t.json:1:7: expected a value, got ']'; JSON allows no ',' before ']'\n[1, 2,]\n      ^\n");
  CHECK(refused("{'a': 1}").rfind("t.json:1:2: expected a key in double quotes or '}', got \"'\"; strings and keys are written in double quotes\n", 0) == 0);
  CHECK(refused("[1] // one").rfind("t.json:1:5: expected the end of the text after the value, got '/'; JSON has no comments\n", 0) == 0);
  CHECK(refused("{\"a\" 1}").rfind("t.json:1:6: expected ':' after the key \"a\", got '1'\n", 0) == 0);
  CHECK(refused("[True]").rfind("t.json:1:2: expected a value, got 'True'\n", 0) == 0);
  CHECK(refused("[nul]").rfind("t.json:1:2: expected a value, got 'nul'\n", 0) == 0);
  CHECK(refused("{} {}").rfind("t.json:1:4: expected the end of the text after the value, got '{'\n", 0) == 0);
  CHECK(refused("[\x01]").rfind("t.json:1:2: expected a value, got control character U+0001\n", 0) == 0);
  CHECK(refused("[\xc3\xa9]").rfind("t.json:1:2: expected a value, got 'é'\n", 0) == 0);
  CHECK(refused("[\xff]") == "t.json:1:2: expected a value, got byte 0xFF\n[\xEF\xBF\xBD]\n ^\n");
}

// ---- numbers --------------------------------------------------------------------

TEST_CASE("integers get nlohmann's types: unsigned when not negative, signed when negative, else a double") {
  const Read r = read("[-0, 0, 5, -5, 9223372036854775807, 9223372036854775808, -9223372036854775808, "
                      "-9223372036854775809, 18446744073709551615, 18446744073709551616]");
  REQUIRE(r.value);
  const Json& v = *r.value;
  CHECK(v[0].type() == Json::value_t::number_integer);
  CHECK(v[0] == 0);
  CHECK(v[1].type() == Json::value_t::number_unsigned);
  CHECK(v[2].type() == Json::value_t::number_unsigned);
  CHECK(v[3].type() == Json::value_t::number_integer);
  CHECK(v[4].get<std::uint64_t>() == 9223372036854775807u);
  CHECK(v[5].type() == Json::value_t::number_unsigned);
  CHECK(v[5].get<std::uint64_t>() == 9223372036854775808u);
  CHECK(v[6].get<std::int64_t>() == INT64_MIN);
  CHECK(v[7].type() == Json::value_t::number_float);
  CHECK(v[8].get<std::uint64_t>() == UINT64_MAX);
  CHECK(v[9].type() == Json::value_t::number_float);
  CHECK(v[9].get<double>() == 18446744073709551616.0);
  CHECK(*r.source.literal(Path()[9]) == "18446744073709551616");
  check_like_nlohmann("[-0, 0, 5, -5, 9223372036854775807, 9223372036854775808, -9223372036854775808, "
                      "-9223372036854775809, 18446744073709551615, 18446744073709551616]");
}

TEST_CASE("floats are correctly rounded; -0.0 keeps its sign; an underflow reads as zero") {
  const Read r = read("[1e308, 1.7976931348623157e308, 4.9e-324, 2.2250738585072014e-308, 0.1, -0.0, 1e-400, -1e-400, "
                      "1E2, 1e+2, 123456789012345678901234567890e-10]");
  REQUIRE(r.value);
  const Json& v = *r.value;
  CHECK(v[0].get<double>() == 1e308);
  CHECK(v[1].get<double>() == std::numeric_limits<double>::max());
  CHECK(v[2].get<double>() == std::numeric_limits<double>::denorm_min());
  CHECK(v[3].get<double>() == std::numeric_limits<double>::min());
  CHECK(v[4].get<double>() == 0.1);
  CHECK(std::signbit(v[5].get<double>()));
  CHECK(v[6].get<double>() == 0.0);
  CHECK_FALSE(std::signbit(v[6].get<double>()));
  CHECK(std::signbit(v[7].get<double>()));
  CHECK(v[8].type() == Json::value_t::number_float);
  CHECK(v[9].get<double>() == 100.0);
  CHECK(v[10].get<double>() == 12345678901234567890.0);
  CHECK(*r.source.literal(Path()[6]) == "1e-400");
  CHECK(*r.source.literal(Path()[8]) == "1E2");
  check_like_nlohmann("[1e308, 1.7976931348623157e308, 4.9e-324, 0.1, -0.0, 1e-400, -1e-400, 1E2, 1e+2, "
                      "123456789012345678901234567890e-10, 2.4703282292062328e-324, 9007199254740993]");
}

TEST_CASE("a number beyond the range of a double is refused with its path; every one is listed") {
  CHECK(refused("{\"duration_s\": 1e309}") == "t.json: duration_s: 1e309 is beyond the range of a number (about ±1.8e308)\n");
  CHECK(refused("{\"a\": [1, -1e999, 1.8e308]}") ==
        "t.json: a[1]: -1e999 is beyond the range of a number (about ±1.8e308)\n"
        "t.json: a[2]: 1.8e308 is beyond the range of a number (about ±1.8e308)\n");
  std::string huge = "1";
  huge.append(400, '0');
  CHECK(refused(huge).rfind("t.json: 10000000000", 0) == 0);
  CHECK(refused("0.0000001e99999999999999999999999") ==
        "t.json: 0.0000001e99999999999999999999999 is beyond the range of a number (about ±1.8e308)\n");
  CHECK(read("1e-99999999999999999999999").value == Json(0.0));
  // A syntax error later is still reported, after the problems before it.
  CHECK(refused("[1e999, }") ==
        "t.json: [0]: 1e999 is beyond the range of a number (about ±1.8e308)\n"
        "t.json:1:9: expected a value, got '}'; JSON allows no ',' before '}'\n[1e999, }\n        ^\n");
}

TEST_CASE("numbers that RFC 8259 does not allow are syntax errors") {
  CHECK(refused("[012]") == "t.json:1:2: leading zeros are not allowed in a number\n[012]\n ^\n");
  CHECK(refused("[-01]").rfind("t.json:1:3: leading zeros are not allowed in a number\n", 0) == 0);
  CHECK(refused("[-]").rfind("t.json:1:3: expected a digit after '-', got ']'\n", 0) == 0);
  CHECK(refused("[-a]").rfind("t.json:1:3: expected a digit after '-', got 'a'\n", 0) == 0);
  CHECK(refused("[1.]").rfind("t.json:1:4: expected a digit after the decimal point, got ']'\n", 0) == 0);
  CHECK(refused("[1.e5]").rfind("t.json:1:4: expected a digit after the decimal point, got 'e5'\n", 0) == 0);
  CHECK(refused("[1e]").rfind("t.json:1:4: expected a digit in the exponent, got ']'\n", 0) == 0);
  CHECK(refused("[1e+]").rfind("t.json:1:5: expected a digit in the exponent, got ']'\n", 0) == 0);
  CHECK(refused("[.5]").rfind("t.json:1:2: expected a value, got '.'; a number begins with a digit or '-'\n", 0) == 0);
  CHECK(refused("[+1]").rfind("t.json:1:2: expected a value, got '+'; a number begins with a digit or '-'\n", 0) == 0);
  CHECK(refused("[0x10]").rfind("t.json:1:3: expected ',' or ']' after an array element, got 'x10'\n", 0) == 0);
  CHECK(refused("[NaN]").rfind("t.json:1:2: expected a value, got 'NaN'\n", 0) == 0);
  CHECK(refused("[-Infinity]").rfind("t.json:1:3: expected a digit after '-', got 'Infinity'\n", 0) == 0);
}

// ---- strings --------------------------------------------------------------------

TEST_CASE("strings: every escape, surrogate pairs, and UTF-8 as it is") {
  const Read r = read(R"(["\" \\ \/ \b \f \n \r \t", "\u0041\u00e9\u20AC", "\ud83d\ude00", "\u0000", "café 😀"])");
  REQUIRE(r.value);
  CHECK((*r.value)[0] == "\" \\ / \b \f \n \r \t");
  CHECK((*r.value)[1] == "Aé€");
  CHECK((*r.value)[2] == "\xF0\x9F\x98\x80");
  CHECK((*r.value)[3] == std::string(1, '\0'));
  CHECK((*r.value)[4] == "café 😀");
  check_like_nlohmann(R"(["\" \\ \/ \b \f \n \r \t", "\u0041\u00e9\u20AC", "\ud83d\ude00", "\u0000", "café 😀", "\uDBFF\uDFFF"])");
}

TEST_CASE("lone surrogates and bad escapes are refused at the backslash") {
  CHECK(refused(R"(["\ud800"])") ==
        "t.json:1:3: lone surrogate \\ud800: a high surrogate must be followed by a low one (\\uDC00 to \\uDFFF)\n"
        "[\"\\ud800\"]\n  ^\n");
  CHECK(refused(R"(["\uD800\u0041"])").rfind("t.json:1:3: lone surrogate \\uD800: a high surrogate", 0) == 0);
  CHECK(refused(R"(["\uD800\uD800"])").rfind("t.json:1:3: lone surrogate \\uD800: a high surrogate", 0) == 0);
  CHECK(refused(R"(["x\uDC00"])").rfind("t.json:1:4: lone surrogate \\uDC00: a low surrogate must follow a high one", 0) == 0);
  CHECK(refused(R"(["\u12G4"])").rfind("t.json:1:7: expected 4 hexadecimal digits after \\u, got 'G4'\n", 0) == 0);
  CHECK(refused(R"(["\x"])").rfind("t.json:1:3: '\\' followed by 'x' is not an escape; the escapes are "
                                   "\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX\n", 0) == 0);
}

TEST_CASE("control characters in a string are refused with the escape to write instead") {
  CHECK(refused("[\"a\tb\"]") == "t.json:1:4: control character U+0009 in a string; write it as \\t\n[\"a\tb\"]\n   ^\n");
  CHECK(refused("[\"a\x01\"]").rfind("t.json:1:4: control character U+0001 in a string; write it as \\u0001\n", 0) == 0);
  CHECK(refused("{\"a\": \"one\n}") ==
        "t.json:1:11: missing '\"' at the end of the string that begins at line 1, column 7 (a line break in a "
        "string is written \\n)\n{\"a\": \"one\n          ^\n");
  CHECK(refused("{\"a\": \"one").rfind("t.json:1:11: missing '\"' at the end of the string that begins at line 1, column 7\n", 0) == 0);
}

TEST_CASE("invalid UTF-8 in a string is refused at its first byte, shown as U+FFFD") {
  CHECK(refused("[\"a\xff\"]") == "t.json:1:4: invalid UTF-8 byte 0xFF in a string\n[\"a\xEF\xBF\xBD\"]\n   ^\n");
  CHECK(refused("[\"\xc0\xaf\"]").rfind("t.json:1:3: invalid UTF-8 byte 0xC0 in a string\n", 0) == 0);          // overlong
  CHECK(refused("[\"\xe0\x80\x80\"]").rfind("t.json:1:3: invalid UTF-8 byte 0xE0 in a string\n", 0) == 0);      // overlong
  CHECK(refused("[\"\xed\xa0\x80\"]").rfind("t.json:1:3: invalid UTF-8 byte 0xED in a string\n", 0) == 0);      // a surrogate
  CHECK(refused("[\"\xf4\x90\x80\x80\"]").rfind("t.json:1:3: invalid UTF-8 byte 0xF4 in a string\n", 0) == 0);  // past U+10FFFF
  CHECK(refused("[\"\xe2\x82\"]").rfind("t.json:1:3: invalid UTF-8 byte 0xE2 in a string\n", 0) == 0);          // cut short
  CHECK(refused("[\"\x80\"]").rfind("t.json:1:3: invalid UTF-8 byte 0x80 in a string\n", 0) == 0);
  // After a bad byte earlier on the line, the caret still counts characters.
  CHECK(refused("[\"é\xff\"]") == "t.json:1:4: invalid UTF-8 byte 0xFF in a string\n[\"é\xEF\xBF\xBD\"]\n   ^\n");
}

TEST_CASE("a byte-order mark at the start is skipped") {
  const Read r = read("\xEF\xBB\xBF{\"a\": 1}");
  REQUIRE(r.value);
  CHECK(*r.value == Json{{"a", 1}});
  CHECK(refused("\xEF\xBB\xBF{\"a\" 1}") == "t.json:1:6: expected ':' after the key \"a\", got '1'\n{\"a\" 1}\n     ^\n");
}

// ---- duplicate keys -------------------------------------------------------------

TEST_CASE("a key that appears twice is refused, naming both places, at the top and nested") {
  CHECK(refused("{\n  \"seed\": 1,\n  \"name\": \"x\",\n  \"seed\": 2\n}") ==
        "t.json: key \"seed\" appears twice, at lines 2 and 4; each key may appear once\n");
  CHECK(refused("{\"components\": [{}, {\n  \"workers\": 4,\n  \"workers\": 1}]}") ==
        "t.json: components[1]: key \"workers\" appears twice, at lines 2 and 3; each key may appear once\n");
  CHECK(refused("{\"a\": {\"b\": 1, \"b\": 2}}") ==
        "t.json: a: key \"b\" appears twice, on line 1, at columns 8 and 16; each key may appear once\n");
  CHECK(refused("{\"a\": 1,\n\"a\": 2, \"a\": 3}") ==
        "t.json: key \"a\" appears 3 times, at 1:2, 2:1 and 2:9; each key may appear once\n");
}

TEST_CASE("duplicates are found in large objects too, and all are listed in file order") {
  std::string text = "{";
  for (int i = 0; i < 100; ++i) text += "\"k" + std::to_string(i) + "\": " + std::to_string(i) + ",\n";
  text += "\"k7\": 0,\n\"k3\": 0}";
  CHECK(refused(text) == "t.json: key \"k7\" appears twice, at lines 8 and 101; each key may appear once\n"
                         "t.json: key \"k3\" appears twice, at lines 4 and 102; each key may appear once\n");
  CHECK(read(text.substr(0, text.size() - 19) + "}").value.has_value());
}

// ---- nesting and size -----------------------------------------------------------

// `depth` arrays inside one another, between `before` and `after`.
std::string nested(std::size_t depth, const std::string& before = "", const std::string& after = "") {
  std::string text = before;
  text.append(depth, '[').append(depth, ']').append(after);
  return text;
}

TEST_CASE("nesting is allowed up to the limit and refused beyond it, without recursion") {
  CHECK(read(nested(64)).value.has_value());
  CHECK(read(nested(63, "{\"a\":", "}")).value.has_value());
  CHECK(refused(nested(64, "{\"a\":", "}")) == "t.json: nests arrays and objects more than 64 deep\n");
  CHECK(refused(nested(65)) == "t.json: nests arrays and objects more than 64 deep\n");
  // Far deeper than any call stack would survive, and never closed.
  CHECK(refused(std::string(1'000'000, '[')) == "t.json: nests arrays and objects more than 64 deep\n");
  archsim::spec::JsonTextLimits deep;
  deep.max_depth = 100'000;
  Errors errors;
  const std::string text = nested(100'000);
  CHECK(archsim::spec::read_json_text(text, errors, nullptr, deep).has_value());
}

TEST_CASE("text larger than the limit is refused before it is read") {
  archsim::spec::JsonTextLimits small;
  small.max_bytes = 10;
  Errors errors;
  CHECK_FALSE(archsim::spec::read_json_text("[1, 2, 3, 4, 5]", errors, nullptr, small));
  CHECK(errors.format("t.json") == "t.json: is larger than 10 bytes, the limit for a scenario\n");
}

// ---- the source map -------------------------------------------------------------

TEST_CASE("the source map gives each path its line and column, and each number its text") {
  const Read r = read("{\n  \"components\": [\n    {\"workers\": 4.50, \"a.b\": -0, \"q\\\"\": 1e-400},\n    7\n  ]\n}");
  REQUIRE(r.value);
  const Path components = Path() / "components";
  CHECK(r.source.position(Path())->line == 1);
  CHECK(r.source.position(components)->line == 2);
  CHECK(r.source.position(components)->column == 17);
  CHECK(r.source.position(components[0] / "workers")->column == 17);
  CHECK(*r.source.literal(components[0] / "workers") == "4.50");
  CHECK(*r.source.literal(components[0] / "a.b") == "-0");
  CHECK((components[0] / "a.b").str() == "components[0][\"a.b\"]");
  CHECK(*r.source.literal(components[0] / "q\"") == "1e-400");
  CHECK(*r.source.literal(components[1]) == "7");
  CHECK(r.source.position(components[1])->line == 4);
  CHECK_FALSE(r.source.literal(components[2]));
  CHECK_FALSE(r.source.literal(components[0] / "missing"));
  CHECK_FALSE(r.source.literal(components));  // not a number
  CHECK_FALSE(r.source.position(components[1] / "x"));
}

TEST_CASE("a replaced value is described by its new text, and nothing under it by the old") {
  Read r = read("{\"a\": {\"b\": 1.0, \"c\": 2.0}, \"d\": 3.0}");
  REQUIRE(r.value);
  Errors errors;
  SourceMap value;
  REQUIRE(archsim::spec::read_json_text("{\"b\": 1e-400}", errors, &value));
  r.source.replace(Path() / "a", std::move(value));
  CHECK(*r.source.literal(Path() / "a" / "b") == "1e-400");
  CHECK_FALSE(r.source.literal(Path() / "a" / "c"));
  CHECK_FALSE(r.source.position(Path() / "a" / "b"));  // from the command line, not the file
  CHECK(*r.source.literal(Path() / "d") == "3.0");
  SourceMap later;
  REQUIRE(archsim::spec::read_json_text("5e0", errors, &later));
  r.source.replace(Path() / "a" / "c", std::move(later));
  CHECK(*r.source.literal(Path() / "a" / "c") == "5e0");
  CHECK(*r.source.literal(Path() / "a" / "b") == "1e-400");
}

// ---- the same value as nlohmann's parser ----------------------------------------

TEST_CASE("every shipped scenario reads to exactly what nlohmann's parser reads") {
  namespace fs = std::filesystem;
  int files = 0;
  for (const auto& entry : fs::directory_iterator(archsim::test_cli::source_dir() / "scenarios")) {
    if (entry.path().extension() != ".json") continue;
    ++files;
    check_like_nlohmann(archsim::test_cli::read_file(entry.path()));
  }
  CHECK(files >= 10);
}

TEST_CASE("tricky inputs read to exactly what nlohmann's parser reads") {
  for (const char* text : {
           "0", "-0", "\"\"", "[]", "{}", " \t\r\n[ ] ", "[[[]]]", "{\"\": {\"\": []}}", "true", "[false, null]",
           "{\"b\": 1, \"a\": 2, \"c\": {\"z\": [], \"y\": {}}}", "[1.0, 1, -1, 1e0, 1.5e-3, -2.5E+3, 100e-2]",
           "[0.30000000000000004, 2.718281828459045, 1e23, 8.98846567431158e307, 5e-324]",
           "[\"\\u00e9\", \"\\uD834\\uDD1E\", \"\\/\", \"\\u007f\\u0080\\u07FF\\u0800\\uFFFF\"]",
           "{\"\xe2\x82\xac\": \"\xf0\x90\x80\x80\", \"\\u0000\": 1}",
       })
    check_like_nlohmann(text);
}
