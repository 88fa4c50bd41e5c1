#include "models/format/json_text.h"

#include <algorithm>
#include <array>
#include <cassert>
#include <cctype>
#include <charconv>
#include <cstring>
#include <numeric>
#include <system_error>

namespace archsim::spec {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

unsigned byte_at(const char* p) { return static_cast<unsigned char>(*p); }

// The length of the UTF-8 sequence at `p` (1 to 4), or 0 when the bytes there
// are not one: RFC 3629 allows no overlong form, no surrogate and nothing past
// U+10FFFF.
std::size_t utf8_sequence(const char* p, const char* end) {
  const unsigned c = byte_at(p);
  if (c < 0x80) return 1;
  auto follows = [&](std::size_t i, unsigned low, unsigned high) {
    return end - p > static_cast<std::ptrdiff_t>(i) && byte_at(p + i) >= low && byte_at(p + i) <= high;
  };
  if (c >= 0xC2 && c <= 0xDF) return follows(1, 0x80, 0xBF) ? 2 : 0;
  if (c == 0xE0) return follows(1, 0xA0, 0xBF) && follows(2, 0x80, 0xBF) ? 3 : 0;
  if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) return follows(1, 0x80, 0xBF) && follows(2, 0x80, 0xBF) ? 3 : 0;
  if (c == 0xED) return follows(1, 0x80, 0x9F) && follows(2, 0x80, 0xBF) ? 3 : 0;
  if (c == 0xF0) return follows(1, 0x90, 0xBF) && follows(2, 0x80, 0xBF) && follows(3, 0x80, 0xBF) ? 4 : 0;
  if (c >= 0xF1 && c <= 0xF3) return follows(1, 0x80, 0xBF) && follows(2, 0x80, 0xBF) && follows(3, 0x80, 0xBF) ? 4 : 0;
  if (c == 0xF4) return follows(1, 0x80, 0x8F) && follows(2, 0x80, 0xBF) && follows(3, 0x80, 0xBF) ? 4 : 0;
  return 0;
}

// One character of a line for display: a UTF-8 sequence, or a single byte
// that is not part of one.
std::size_t character_length(const char* p, const char* end) {
  const std::size_t n = utf8_sequence(p, end);
  return n == 0 ? 1 : n;
}

std::string hex_byte(unsigned c) {
  static const char* const digits = "0123456789ABCDEF";
  return std::string("0x") + digits[c >> 4] + digits[c & 15];
}

std::string code_point(unsigned c) {
  static const char* const digits = "0123456789ABCDEF";
  return std::string("U+00") + digits[c >> 4] + digits[c & 15];
}

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Bytes a string may hold as they are: everything but the quote, the
// backslash, control characters and the start of a multi-byte sequence,
// which need a closer look.
constexpr std::array<bool, 256> plain_string_bytes() {
  std::array<bool, 256> plain{};
  for (unsigned c = 0x20; c < 0x80; ++c) plain[c] = c != '"' && c != '\\';
  return plain;
}
constexpr std::array<bool, 256> kPlain = plain_string_bytes();

// A number's text in a message: as written, shortened if very long.
std::string shortened(std::string_view text) {
  if (text.size() <= 60) return std::string(text);
  return std::string(text.substr(0, 57)) + "...";
}

// Whether a number that std::from_chars found out of range is too large
// rather than too small: the power of ten of its first significant digit,
// plus its exponent, is positive (it is beyond ±308 either way).
bool too_large(const char* p, const char* end) {
  if (*p == '-') ++p;
  long long magnitude = 0;
  bool significant = false;
  for (; p != end && is_digit(*p); ++p) {
    if (significant) ++magnitude;
    else if (*p != '0') significant = true;
  }
  if (p != end && *p == '.') {
    for (++p; p != end && is_digit(*p); ++p) {
      if (significant) continue;
      --magnitude;
      if (*p != '0') significant = true;
    }
  }
  long long exponent = 0;
  if (p != end && (*p == 'e' || *p == 'E')) {
    ++p;
    const bool negative = *p == '-';
    if (*p == '-' || *p == '+') ++p;
    // Saturates: the text is at most 4 GiB, far below this bound.
    for (; p != end; ++p) exponent = std::min<long long>(exponent * 10 + (*p - '0'), 1'000'000'000'000LL);
    if (negative) exponent = -exponent;
  }
  return magnitude + exponent > 0;
}

// The length of the number whose text begins at `p` (the text is valid).
std::size_t number_length(const char* p, const char* end) {
  const char* q = p;
  while (q != end && (is_digit(*q) || *q == '-' || *q == '+' || *q == '.' || *q == 'e' || *q == 'E')) ++q;
  return static_cast<std::size_t>(q - p);
}

}  // namespace

// ---- JsonReader -----------------------------------------------------------------

// Reads one JSON text into a value and the source map's entries. Containers
// are followed with an explicit stack of the open arrays and objects; a value
// is written in place into the member or element made for it.
class JsonReader {
 public:
  JsonReader(SourceMap& map, Errors& errors, const JsonTextLimits& limits)
      : map_(map), errors_(errors), limits_(limits) {}

  std::optional<Json> read(std::string_view text);

 private:
  struct Frame {
    Json* value;
    std::uint32_t entry;
    bool object;
  };
  // A problem that stops the reading: a syntax error at `at`, or (without a
  // place) the nesting limit.
  struct Stop {
    const char* at;
    std::string message;
    bool positioned = true;
  };
  // A problem that does not stop it: a duplicate key, a number out of range.
  struct Problem {
    std::size_t offset;
    Path path;
    std::string message;
  };

  void parse(Json& root);
  void scalar(Json& out);
  void read_string(std::string& out);
  void read_escape(std::string& out, const char* open);
  std::uint32_t read_hex4();
  void read_number(Json& out);
  Json* begin_member(bool after_comma, std::uint32_t& key_offset);
  Json* begin_element();
  void close();
  void check_duplicates(const Frame& frame);

  void skip_whitespace() {
    while (p_ != end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
  }
  std::uint32_t add_entry(std::uint32_t key_offset) {
    map_.entries_.push_back({static_cast<std::uint32_t>(p_ - begin_), 0, key_offset});
    return static_cast<std::uint32_t>(map_.entries_.size() - 1);
  }
  // The path of the value being read inside the first `depth` open containers.
  Path path_at(std::size_t depth) const;
  // What is at `at`, for "got ...".
  std::string describe(const char* at) const;
  // A hint for a common mistake at `at`, or empty.
  std::string hint(const char* at) const;
  std::string unclosed_string(const char* open) const;
  std::string excerpt(std::size_t offset) const;

  SourceMap& map_;
  Errors& errors_;
  const JsonTextLimits& limits_;
  const char* begin_ = nullptr;
  const char* p_ = nullptr;
  const char* end_ = nullptr;
  bool after_comma_ = false;
  std::vector<Frame> stack_;
  std::vector<Problem> problems_;
};

std::optional<Json> JsonReader::read(std::string_view input) {
  map_.text_.assign(input);
  const std::string& text = map_.text_;
  begin_ = text.data();
  p_ = begin_;
  end_ = begin_ + text.size();
  // A byte-order mark says only that the text is UTF-8.
  if (text.size() >= 3 && text.compare(0, 3, "\xEF\xBB\xBF") == 0) p_ += 3;
  map_.line_starts_.push_back(static_cast<std::uint32_t>(p_ - begin_));
  for (const char* q = p_; (q = static_cast<const char*>(std::memchr(q, '\n', static_cast<std::size_t>(end_ - q))));)
    map_.line_starts_.push_back(static_cast<std::uint32_t>(++q - begin_));

  Json root;
  std::optional<Stop> stop;
  try {
    parse(root);
  } catch (Stop& s) {
    stop = std::move(s);
  }
  // Problems in file order; a duplicate key is found when its object closes.
  std::stable_sort(problems_.begin(), problems_.end(),
                   [](const Problem& a, const Problem& b) { return a.offset < b.offset; });
  for (auto& problem : problems_) errors_.add(problem.path, std::move(problem.message));
  if (stop) {
    if (!stop->positioned) {
      errors_.add(Path(), std::move(stop->message));
    } else {
      const std::size_t offset = static_cast<std::size_t>(stop->at - begin_);
      const TextPosition at = map_.locate(offset);
      errors_.add_at(at.line, at.column, std::move(stop->message), excerpt(offset));
    }
  }
  if (stop || !problems_.empty()) return std::nullopt;
  return root;
}

void JsonReader::parse(Json& root) {
  Json* target = &root;
  std::uint32_t key_offset = SourceMap::kNoKey;
  for (;;) {
    // A value, into *target.
    skip_whitespace();
    const std::uint32_t entry = add_entry(key_offset);
    if (p_ != end_ && (*p_ == '{' || *p_ == '[')) {
      const bool object = *p_ == '{';
      if (object) *target = Json::object();
      else *target = Json::array();
      stack_.push_back({target, entry, object});
      if (stack_.size() > static_cast<std::size_t>(limits_.max_depth))
        throw Stop{p_, "nests arrays and objects more than " + std::to_string(limits_.max_depth) + " deep", false};
      ++p_;
      after_comma_ = false;
      skip_whitespace();
      if (p_ == end_ || *p_ != (object ? '}' : ']')) {
        target = object ? begin_member(false, key_offset) : begin_element();
        if (!object) key_offset = SourceMap::kNoKey;
        continue;
      }
      ++p_;
      close();
    } else {
      scalar(*target);
      map_.entries_[entry].end = entry + 1;
    }
    // After a value: close what ends here, then go on to the next member.
    for (;;) {
      skip_whitespace();
      if (stack_.empty()) {
        if (p_ != end_) throw Stop{p_, "expected the end of the text after the value, got " + describe(p_) + hint(p_)};
        return;
      }
      const Frame& top = stack_.back();
      if (p_ != end_ && *p_ == ',') {
        ++p_;
        after_comma_ = true;
        target = top.object ? begin_member(true, key_offset) : begin_element();
        if (!top.object) key_offset = SourceMap::kNoKey;
        break;
      }
      if (p_ != end_ && *p_ == (top.object ? '}' : ']')) {
        ++p_;
        close();
        continue;
      }
      throw Stop{p_, std::string(top.object ? "expected ',' or '}' after an object member, got "
                                            : "expected ',' or ']' after an array element, got ") +
                         describe(p_) + hint(p_)};
    }
  }
}

Json* JsonReader::begin_member(bool after_comma, std::uint32_t& key_offset) {
  skip_whitespace();
  if (p_ == end_ || *p_ != '"') {
    std::string message = after_comma ? "expected a key in double quotes after ',', got "
                                      : "expected a key in double quotes or '}', got ";
    message += describe(p_);
    if (after_comma && p_ != end_ && *p_ == '}') message += "; JSON allows no ',' before '}'";
    else message += hint(p_);
    throw Stop{p_, message};
  }
  key_offset = static_cast<std::uint32_t>(p_ - begin_);
  std::string key;
  read_string(key);
  skip_whitespace();
  if (p_ == end_ || *p_ != ':')
    throw Stop{p_, "expected ':' after the key " + shortened(Json(key).dump()) + ", got " + describe(p_) + hint(p_)};
  ++p_;
  after_comma_ = false;
  // Straight into the ordered map's vector: duplicates are looked for once
  // the object is complete, not at every insertion.
  auto& members = static_cast<Json::object_t::Container&>(stack_.back().value->get_ref<Json::object_t&>());
  members.emplace_back(std::move(key), nullptr);
  return &members.back().second;
}

Json* JsonReader::begin_element() {
  auto& elements = stack_.back().value->get_ref<Json::array_t&>();
  elements.emplace_back();
  return &elements.back();
}

void JsonReader::close() {
  const Frame& frame = stack_.back();
  map_.entries_[frame.entry].end = static_cast<std::uint32_t>(map_.entries_.size());
  if (frame.object) check_duplicates(frame);
  stack_.pop_back();
  after_comma_ = false;
}

void JsonReader::scalar(Json& out) {
  if (p_ == end_) throw Stop{p_, "expected a value, got end of input"};
  switch (*p_) {
    case '"': {
      std::string s;
      read_string(s);
      out = std::move(s);
      return;
    }
    case 't':
      if (end_ - p_ >= 4 && std::memcmp(p_, "true", 4) == 0) {
        p_ += 4;
        out = true;
        return;
      }
      break;
    case 'f':
      if (end_ - p_ >= 5 && std::memcmp(p_, "false", 5) == 0) {
        p_ += 5;
        out = false;
        return;
      }
      break;
    case 'n':
      if (end_ - p_ >= 4 && std::memcmp(p_, "null", 4) == 0) {
        p_ += 4;
        return;
      }
      break;
    default:
      if (*p_ == '-' || is_digit(*p_)) {
        read_number(out);
        return;
      }
  }
  std::string message = "expected a value, got " + describe(p_);
  if (after_comma_ && (*p_ == ']' || *p_ == '}')) message += std::string("; JSON allows no ',' before '") + *p_ + "'";
  else message += hint(p_);
  throw Stop{p_, message};
}

void JsonReader::read_string(std::string& out) {
  const char* open = p_++;
  for (;;) {
    const char* run = p_;
    while (p_ != end_ && kPlain[byte_at(p_)]) ++p_;
    out.append(run, p_);
    if (p_ == end_) throw Stop{p_, unclosed_string(open)};
    const unsigned c = byte_at(p_);
    if (c == '"') {
      ++p_;
      return;
    }
    if (c == '\\') {
      read_escape(out, open);
      continue;
    }
    if (c == '\n' || (c == '\r' && end_ - p_ > 1 && p_[1] == '\n'))
      throw Stop{p_, unclosed_string(open) + " (a line break in a string is written \\n)"};
    if (c < 0x20) {
      static const char* const short_forms[0x20] = {nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr,
                                                    "\\b",   "\\t",   nullptr, nullptr, "\\f",   "\\r"};
      const std::string written = short_forms[c] ? short_forms[c] : "\\u00" + hex_byte(c).substr(2);
      throw Stop{p_, "control character " + code_point(c) + " in a string; write it as " + written};
    }
    const std::size_t n = utf8_sequence(p_, end_);
    if (n == 0) throw Stop{p_, "invalid UTF-8 byte " + hex_byte(c) + " in a string"};
    out.append(p_, n);
    p_ += n;
  }
}

void JsonReader::read_escape(std::string& out, const char* open) {
  const char* backslash = p_++;
  if (p_ == end_) throw Stop{p_, unclosed_string(open)};
  switch (*p_) {
    case '"': out += '"'; break;
    case '\\': out += '\\'; break;
    case '/': out += '/'; break;
    case 'b': out += '\b'; break;
    case 'f': out += '\f'; break;
    case 'n': out += '\n'; break;
    case 'r': out += '\r'; break;
    case 't': out += '\t'; break;
    case 'u': {
      ++p_;
      std::uint32_t cp = read_hex4();
      const std::string written(backslash, 6);
      if (cp >= 0xDC00 && cp <= 0xDFFF)
        throw Stop{backslash, "lone surrogate " + written + ": a low surrogate must follow a high one (\\uD800 to \\uDBFF)"};
      if (cp >= 0xD800 && cp <= 0xDBFF) {
        const char* second = p_;
        std::uint32_t low = 0;
        if (end_ - p_ >= 2 && p_[0] == '\\' && p_[1] == 'u') {
          p_ += 2;
          low = read_hex4();
        }
        if (low < 0xDC00 || low > 0xDFFF) {
          p_ = second;
          throw Stop{backslash, "lone surrogate " + written + ": a high surrogate must be followed by a low one (\\uDC00 to \\uDFFF)"};
        }
        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
      }
      append_utf8(out, cp);
      return;
    }
    default:
      throw Stop{backslash, "'\\' followed by " + describe(p_) +
                                " is not an escape; the escapes are \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX"};
  }
  ++p_;
}

std::uint32_t JsonReader::read_hex4() {
  std::uint32_t value = 0;
  for (int i = 0; i < 4; ++i, ++p_) {
    if (p_ == end_ || !std::isxdigit(static_cast<unsigned char>(*p_)))
      throw Stop{p_, "expected 4 hexadecimal digits after \\u, got " + describe(p_)};
    const char c = *p_;
    value = value * 16 + static_cast<std::uint32_t>(is_digit(c) ? c - '0' : (c | 0x20) - 'a' + 10);
  }
  return value;
}

void JsonReader::read_number(Json& out) {
  const char* start = p_;
  const bool negative = *p_ == '-';
  if (negative) ++p_;
  if (p_ == end_ || !is_digit(*p_)) throw Stop{p_, "expected a digit after '-', got " + describe(p_)};
  if (*p_ == '0' && end_ - p_ > 1 && is_digit(p_[1])) throw Stop{p_, "leading zeros are not allowed in a number"};
  while (p_ != end_ && is_digit(*p_)) ++p_;
  bool integer = true;
  if (p_ != end_ && *p_ == '.') {
    integer = false;
    ++p_;
    if (p_ == end_ || !is_digit(*p_)) throw Stop{p_, "expected a digit after the decimal point, got " + describe(p_)};
    while (p_ != end_ && is_digit(*p_)) ++p_;
  }
  if (p_ != end_ && (*p_ == 'e' || *p_ == 'E')) {
    integer = false;
    ++p_;
    if (p_ != end_ && (*p_ == '+' || *p_ == '-')) ++p_;
    if (p_ == end_ || !is_digit(*p_)) throw Stop{p_, "expected a digit in the exponent, got " + describe(p_)};
    while (p_ != end_ && is_digit(*p_)) ++p_;
  }
  // As nlohmann's parser: an integer that fits 64 bits keeps its sign's type.
  if (integer && negative) {
    std::int64_t v = 0;
    if (std::from_chars(start, p_, v).ec == std::errc()) {
      out = v;
      return;
    }
  } else if (integer) {
    std::uint64_t v = 0;
    if (std::from_chars(start, p_, v).ec == std::errc()) {
      out = v;
      return;
    }
  }
  double v = 0;
  if (std::from_chars(start, p_, v).ec == std::errc::result_out_of_range) {
    if (too_large(start, p_)) {
      problems_.push_back({static_cast<std::size_t>(start - begin_), path_at(stack_.size()),
                           shortened(std::string_view(start, static_cast<std::size_t>(p_ - start))) +
                               " is beyond the range of a number (about ±1.8e308)"});
      return;
    }
    v = negative ? -0.0 : 0.0;  // below the smallest double: it reads as zero
  }
  out = v;
}

void JsonReader::check_duplicates(const Frame& frame) {
  const auto& members = static_cast<const Json::object_t::Container&>(frame.value->get_ref<const Json::object_t&>());
  const std::size_t n = members.size();
  if (n < 2) return;
  // Members in order of key, then of appearance; few keys are compared pairwise.
  std::vector<std::uint32_t> order(n);
  std::iota(order.begin(), order.end(), 0u);
  bool repeated = false;
  if (n <= 16) {
    for (std::size_t i = 1; i < n && !repeated; ++i)
      for (std::size_t j = 0; j < i && !repeated; ++j) repeated = members[i].first == members[j].first;
    if (!repeated) return;
  }
  std::stable_sort(order.begin(), order.end(),
                   [&](std::uint32_t a, std::uint32_t b) { return members[a].first < members[b].first; });

  std::vector<std::uint32_t> key_offsets;
  key_offsets.reserve(n);
  const auto& entries = map_.entries_;
  for (std::uint32_t c = frame.entry + 1; c < entries[frame.entry].end; c = entries[c].end)
    key_offsets.push_back(entries[c].key_offset);

  std::vector<std::uint32_t> later;  // every appearance but the first, erased below
  Path path;
  bool have_path = false;
  for (std::size_t i = 0; i < n;) {
    std::size_t j = i + 1;
    while (j < n && members[order[j]].first == members[order[i]].first) ++j;
    if (j - i > 1) {
      if (!have_path) {
        path = path_at(stack_.size() - 1);
        have_path = true;
      }
      std::vector<TextPosition> at;
      for (std::size_t k = i; k < j; ++k) at.push_back(map_.locate(key_offsets[order[k]]));
      bool same_line = true, distinct_lines = true;
      for (std::size_t k = 1; k < at.size(); ++k) {
        same_line = same_line && at[k].line == at[0].line;
        distinct_lines = distinct_lines && at[k].line != at[k - 1].line;
      }
      std::string where;
      for (std::size_t k = 0; k < at.size(); ++k) {
        if (k) where += k + 1 == at.size() ? " and " : ", ";
        if (same_line) where += std::to_string(at[k].column);
        else if (distinct_lines) where += std::to_string(at[k].line);
        else where += std::to_string(at[k].line) + ":" + std::to_string(at[k].column);
      }
      where = same_line ? "on line " + std::to_string(at[0].line) + ", at columns " + where
              : distinct_lines ? "at lines " + where
                               : "at " + where;
      const std::string times = j - i == 2 ? "twice" : std::to_string(j - i) + " times";
      problems_.push_back({key_offsets[order[i + 1]], path,
                           "key " + shortened(Json(members[order[i]].first).dump()) + " appears " + times + ", " +
                               where + "; each key may appear once"});
      for (std::size_t k = i + 1; k < j; ++k) later.push_back(order[k]);
    }
    i = j;
  }
  // The value keeps the first appearance of each key, like the source map.
  std::sort(later.rbegin(), later.rend());
  auto& object = frame.value->get_ref<Json::object_t&>();
  for (const std::uint32_t k : later) object.erase(object.begin() + k);
}

Path JsonReader::path_at(std::size_t depth) const {
  Path path;
  for (std::size_t i = 0; i < depth; ++i) {
    const Frame& f = stack_[i];
    if (f.object) path = path / f.value->get_ref<const Json::object_t&>().back().first;
    else path = path[f.value->size() - 1];
  }
  return path;
}

std::string JsonReader::describe(const char* at) const {
  if (at == end_) return "end of input";
  const unsigned c = byte_at(at);
  if (c == '\n' || c == '\r') return "the end of the line";
  if (std::isalnum(c) || c == '_') {
    const char* word = at;
    while (at != end_ && at - word < 20 && (std::isalnum(byte_at(at)) || *at == '_')) ++at;
    return "'" + std::string(word, at) + "'";
  }
  if (c < 0x20 || c == 0x7F) return "control character " + code_point(c);
  if (c == '\'') return "\"'\"";
  if (c < 0x80) return std::string("'") + static_cast<char>(c) + "'";
  const std::size_t n = utf8_sequence(at, end_);
  if (n == 0) return "byte " + hex_byte(c);
  return "'" + std::string(at, n) + "'";
}

std::string JsonReader::hint(const char* at) const {
  if (at == end_) return "";
  if (*at == '\'') return "; strings and keys are written in double quotes";
  if (*at == '/') return "; JSON has no comments";
  if (*at == '+' || *at == '.') return "; a number begins with a digit or '-'";
  return "";
}

std::string JsonReader::unclosed_string(const char* open) const {
  const TextPosition at = map_.locate(static_cast<std::size_t>(open - begin_));
  return "missing '\"' at the end of the string that begins at line " + std::to_string(at.line) + ", column " +
         std::to_string(at.column);
}

// The line holding `offset` and a caret under it. A line wider than a screen
// is cut around the column and the cuts are marked with "...". Bytes that are
// not UTF-8 and control characters other than the tab show as U+FFFD; a tab
// stays a tab in both lines, so the caret sits under its character whatever
// the width of a tab on the terminal.
std::string JsonReader::excerpt(std::size_t offset) const {
  const TextPosition at = map_.locate(offset);
  const char* line = begin_ + map_.line_starts_[at.line - 1];
  const char* line_end = static_cast<const char*>(std::memchr(line, '\n', static_cast<std::size_t>(end_ - line)));
  if (!line_end) line_end = end_;
  if (line_end != line && line_end[-1] == '\r' && line_end != end_) --line_end;

  constexpr std::size_t kBefore = 60, kWidth = 120;
  const std::size_t first = at.column - 1 > kBefore ? at.column - 1 - kBefore : 0;
  std::string shown = first > 0 ? "..." : "";
  std::string caret = first > 0 ? "   " : "";
  std::size_t index = 0;
  const char* q = line;
  for (; q < line_end && index < first + kWidth; ++index) {
    const std::size_t n = utf8_sequence(q, line_end);
    const unsigned c = byte_at(q);
    if (index >= first) {
      if (n == 0 || (c < 0x20 && c != '\t') || c == 0x7F) shown += "\xEF\xBF\xBD";
      else shown.append(q, n);
      if (index < at.column - 1) caret += c == '\t' ? '\t' : ' ';
    }
    q += n == 0 ? 1 : n;
  }
  if (q < line_end) shown += "...";
  return shown + "\n" + caret + "^\n";
}

// ---- SourceMap ------------------------------------------------------------------

TextPosition SourceMap::locate(std::size_t offset) const {
  assert(!line_starts_.empty());
  const auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), offset);
  const std::size_t line = static_cast<std::size_t>(it - line_starts_.begin());
  const char* q = text_.data() + line_starts_[line - 1];
  const char* at = text_.data() + offset;
  std::size_t column = 1;
  for (; q < at; ++column) q += character_length(q, at);
  return {line, column};
}

std::optional<std::size_t> SourceMap::find(std::string_view path, const SourceMap*& owner) const {
  // The newest replacement at or above `path` answers for it.
  for (auto it = replaced_.rbegin(); it != replaced_.rend(); ++it) {
    const std::string& mount = it->first;
    if (path.substr(0, mount.size()) != mount) continue;
    std::string_view rest = path.substr(mount.size());
    if (!rest.empty() && rest[0] != '.' && rest[0] != '[') continue;
    if (!rest.empty() && rest[0] == '.') rest.remove_prefix(1);
    return it->second.find(rest, owner);
  }
  if (entries_.empty()) return std::nullopt;
  owner = this;
  std::optional<std::size_t> at = 0;
  std::size_t i = 0;
  while (at && i < path.size()) {
    if (path[i] == '.') {
      ++i;
    } else if (path[i] == '[' && i + 1 < path.size() && path[i + 1] == '"') {
      // A quoted key: `["a.b"]`, a JSON string.
      std::size_t close = i + 2;
      while (close < path.size() && path[close] != '"') close += path[close] == '\\' ? 2 : 1;
      if (close >= path.size()) return std::nullopt;
      Errors ignored;
      const auto key = read_json_text(path.substr(i + 1, close - i), ignored);
      if (!key || !key->is_string()) return std::nullopt;
      at = member(*at, key->get_ref<const std::string&>());
      i = close + 2;
    } else if (path[i] == '[') {
      const std::size_t close = path.find(']', i);
      std::size_t index = 0;
      if (close == std::string_view::npos ||
          std::from_chars(path.data() + i + 1, path.data() + close, index).ptr != path.data() + close)
        return std::nullopt;
      at = element(*at, index);
      i = close + 1;
    } else {
      const std::size_t end = std::min(path.find_first_of(".[", i), path.size());
      at = member(*at, path.substr(i, end - i));
      i = end;
    }
  }
  return at;
}

std::optional<std::size_t> SourceMap::member(std::size_t object, std::string_view key) const {
  if (text_[entries_[object].offset] != '{') return std::nullopt;
  for (std::size_t c = object + 1; c < entries_[object].end; c = entries_[c].end)
    if (key_equals(entries_[c].key_offset, key)) return c;
  return std::nullopt;
}

std::optional<std::size_t> SourceMap::element(std::size_t array, std::size_t index) const {
  if (text_[entries_[array].offset] != '[') return std::nullopt;
  std::size_t c = array + 1;
  for (std::size_t k = 0; k < index && c < entries_[array].end; ++k) c = entries_[c].end;
  if (c >= entries_[array].end) return std::nullopt;
  return c;
}

bool SourceMap::key_equals(std::uint32_t key_offset, std::string_view key) const {
  const char* p = text_.data() + key_offset + 1;
  for (std::size_t k = 0;; ++p, ++k) {
    if (*p == '"') return k == key.size();
    if (*p == '\\') break;
    if (k >= key.size() || *p != key[k]) return false;
  }
  // An escaped key: decode it.
  std::size_t close = key_offset + 1;
  while (text_[close] != '"') close += text_[close] == '\\' ? 2 : 1;
  Errors ignored;
  const auto decoded = read_json_text(std::string_view(text_).substr(key_offset, close + 1 - key_offset), ignored);
  return decoded && decoded->get_ref<const std::string&>() == key;
}

std::optional<TextPosition> SourceMap::position(const Path& path) const {
  const SourceMap* owner = nullptr;
  const auto entry = find(path.str(), owner);
  if (!entry || !owner->positions_) return std::nullopt;
  return owner->locate(owner->entries_[*entry].offset);
}

std::optional<std::string_view> SourceMap::literal(const Path& path) const {
  const SourceMap* owner = nullptr;
  const auto entry = find(path.str(), owner);
  if (!entry) return std::nullopt;
  const std::string& text = owner->text_;
  const std::size_t offset = owner->entries_[*entry].offset;
  if (!(text[offset] == '-' || is_digit(text[offset]))) return std::nullopt;
  return std::string_view(text).substr(offset, number_length(text.data() + offset, text.data() + text.size()));
}

void SourceMap::replace(const Path& path, SourceMap value) {
  value.positions_ = false;
  replaced_.emplace_back(path.str(), std::move(value));
}

std::optional<Json> read_json_text(std::string_view text, Errors& errors, SourceMap* source,
                                   const JsonTextLimits& limits) {
  // Offsets in the source map are 32 bits.
  assert(limits.max_bytes < UINT32_MAX);
  if (text.size() > limits.max_bytes) {
    errors.add(Path(), "is larger than " + std::to_string(limits.max_bytes) + " bytes, the limit for a scenario");
    return std::nullopt;
  }
  SourceMap local;
  SourceMap& map = source ? *source : local;
  map = SourceMap();
  JsonReader reader(map, errors, limits);
  return reader.read(text);
}

}  // namespace archsim::spec
