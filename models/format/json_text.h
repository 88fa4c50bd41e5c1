// models/format/json_text.h: reading scenario text (RFC 8259 JSON) the way a
// compiler reads source.
//
// The reader builds the same value nlohmann's parser builds (non-negative
// integers as number_unsigned, negative ones as number_integer, anything else
// or beyond 64 bits as a correctly rounded double; keys in file order) and,
// beside it, a source map: where each value begins and how each number was
// written, so that messages can quote the text rather than a re-printed
// double. It refuses what the RFC refuses (invalid UTF-8, lone surrogates,
// control characters in strings, leading zeros, trailing commas), a key that
// appears twice in one object, and a number beyond the range of a double.
// A syntax error stops the reading; duplicate keys and numbers out of range
// are all reported, and the reading goes on to the end or the first syntax
// error. Nesting is followed with an explicit stack, so deep input cannot
// exhaust the call stack.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "models/format/spec.h"

namespace archsim::spec {

// A place in a text: line and column from 1. A column counts characters
// (UTF-8 sequences), and a tab is one character.
struct TextPosition {
  std::size_t line = 0;
  std::size_t column = 0;
};

// Where the values of a JSON text came from, by JSON path.
class SourceMap {
 public:
  // Where the value at `path` begins in the text it was read from; nothing
  // for a value that does not come from that text (a default, or a `--set`
  // value, which comes from the command line).
  std::optional<TextPosition> position(const Path& path) const;
  // The number at `path` as it was written (`1e-400`, `2.50`,
  // `18446744073709551616`), in the file or in a `--set` assignment.
  std::optional<std::string_view> literal(const Path& path) const;
  // The value at `path` was replaced by one read from other text (an
  // override): `value` describes it from now on, and the old text is no
  // longer consulted for `path` or anything under it.
  void replace(const Path& path, SourceMap value);

  // The place of a byte offset in the text.
  TextPosition locate(std::size_t offset) const;

 private:
  friend class JsonReader;
  // One value, in document order: a container's members follow it and end
  // before `end`, so the tree costs 12 bytes a value. The kind of the value
  // and the length of a number are read back from the text.
  struct Entry {
    std::uint32_t offset = 0;      // first byte of the value
    std::uint32_t end = 0;         // index of the first entry after this value and its members
    std::uint32_t key_offset = 0;  // the opening quote of the member's key, or kNoKey
  };
  static constexpr std::uint32_t kNoKey = UINT32_MAX;

  // The entry of the value at `path` (in the syntax of messages), and the map
  // that holds it.
  std::optional<std::size_t> find(std::string_view path, const SourceMap*& owner) const;
  std::optional<std::size_t> member(std::size_t object, std::string_view key) const;
  std::optional<std::size_t> element(std::size_t array, std::size_t index) const;
  bool key_equals(std::uint32_t key_offset, std::string_view key) const;

  std::string text_;
  std::vector<std::uint32_t> line_starts_;
  std::vector<Entry> entries_;
  bool positions_ = true;  // false for text that is not a file (a --set value)
  std::vector<std::pair<std::string, SourceMap>> replaced_;  // by path; later ones override earlier ones
};

struct JsonTextLimits {
  std::size_t max_bytes = 64u << 20;
  int max_depth = 64;  // arrays and objects inside one another
};

// Reads `text` as one JSON value. Every problem is added to `errors`; a syntax
// error is added with its line, column and the line of text with a caret under
// the column. The value is returned only when there was no problem; `source`,
// when given, receives the source map.
std::optional<Json> read_json_text(std::string_view text, Errors& errors, SourceMap* source = nullptr,
                                   const JsonTextLimits& limits = {});

}  // namespace archsim::spec
