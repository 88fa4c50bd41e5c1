// models/format/spec.h: parameter declarations for the scenario format.
//
// Every parameter of a scenario is declared once, as a node of a tree: name,
// type, unit, range, default and one line of meaning. The same tree drives
// validation (every error at once, with its JSON path), the defaults that a
// validated scenario is completed with, `--set`, the reference tables in docs/,
// `archsim describe` and the JSON Schema for editors. Nothing else may decide
// what a valid scenario is, except the cross-reference checks that need the
// whole file (names, calls, cycles), which live in scenario.cpp.
#pragma once

#include <cstddef>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <nlohmann/json.hpp>

namespace archsim::spec {

// Scenario text keeps the order of its keys, so errors and normalized output
// follow the file.
using Json = nlohmann::ordered_json;

// A JSON path as written in messages: `components[2].workers`.
class Path {
 public:
  Path() = default;
  Path operator/(std::string_view key) const;
  Path operator[](std::size_t index) const;
  const std::string& str() const { return text_; }
  bool empty() const { return text_.empty(); }

 private:
  std::string text_;
};

class SourceMap;

struct Error {
  std::string path;
  std::string message;
  // A syntax error has a place in the text instead of a path: its line and
  // column, and the excerpt to show under the message (the line of text, then
  // a caret under the column, each ending in a newline).
  std::size_t line = 0;
  std::size_t column = 0;
  std::string excerpt;
  bool has_position() const { return line > 0; }
};

class Errors {
 public:
  void add(const Path& path, std::string message) { list_.push_back({path.str(), std::move(message), 0, 0, {}}); }
  void add(std::string path, std::string message) { list_.push_back({std::move(path), std::move(message), 0, 0, {}}); }
  void add_at(std::size_t line, std::size_t column, std::string message, std::string excerpt) {
    list_.push_back({"", std::move(message), line, column, std::move(excerpt)});
  }
  bool empty() const { return list_.empty(); }
  std::size_t size() const { return list_.size(); }
  const std::vector<Error>& list() const { return list_; }
  // A warning: allowed, but likely not what was meant (a write retried).
  // Warnings do not refuse the scenario; they are printed before it runs.
  void warn(const Path& path, std::string message) { warnings_.push_back({path.str(), std::move(message), 0, 0, {}}); }
  const std::vector<Error>& warnings() const { return warnings_; }
  // One line per warning: `file: path: warning: message`.
  std::string format_warnings(std::string_view file) const;
  // One line per error: `file: path: message` (`file: message` at the root),
  // or `file:line:column: message` followed by its excerpt.
  std::string format(std::string_view file) const;

  // The source map of the text being checked, so that messages quote values
  // as they were written; null when the value was not read from text.
  const SourceMap* source() const { return source_; }
  void set_source(const SourceMap* source) { source_ = source; }

 private:
  std::vector<Error> list_;
  std::vector<Error> warnings_;
  const SourceMap* source_ = nullptr;
};

// A number as a person writes it: 3, 0.25, 9007199254740991, 1e-09.
std::string format_number(double value);

// The closest candidate by edit distance, if close enough to be a likely typo.
std::optional<std::string> did_you_mean(std::string_view word, const std::vector<std::string>& candidates);
// ` did you mean "x"?` or empty.
std::string did_you_mean_suffix(std::string_view word, const std::vector<std::string>& candidates);

enum class Kind { Integer, Number, Boolean, String, Enum, Reference, Object, Array, Map, Variant };

// A name used in the scenario that must resolve against another part of it.
struct ReferenceUse {
  std::string path;
  std::string target_kind;  // "node" (component or workload), "component", "service", "operation"
  std::string name;
  bool is_call = false;     // an edge of the call graph (checked for cycles)
};

struct Node;
using NodeRef = std::shared_ptr<const Node>;
using Check = std::function<void(const Json& value, const Path& path, Errors& errors)>;

// Stores a validated value into a typed configuration (type-erased: `config`
// points to the struct the field was bound for; see Spec::to and read()).
using Assign = std::function<void(const Json& value, const Node& node, void* config)>;

struct Field {
  std::string name;
  NodeRef node;
  bool required = false;
  Json default_value;  // overrides the node's own default, for shared nodes
  Assign assign;                   // where read() puts the value; empty: not read
  const void* config_type = nullptr;  // the struct `assign` writes into
  const Json& effective_default() const;
};

// A tag per configuration struct, so that read() can check that a field was
// bound for the struct it fills.
template <class Config>
inline const char config_tag = 0;

// Turns a validated value into a C++ value of type T. Specialised for the
// plain types here and for the model types beside their declarations
// (models/format/params.h: distributions, populations).
template <class T, class Enable = void>
struct Reader;

struct Node {
  Kind kind = Kind::Object;
  std::string doc;          // one line of meaning
  std::string unit;         // "ms", "s", "qps", ... or empty
  std::string type_name;    // a named type ("distribution") documented once, referenced elsewhere
  std::optional<double> minimum;
  bool exclusive_minimum = false;
  std::optional<double> maximum;
  Json default_value;       // null: no default
  std::vector<std::string> choices;        // Enum
  std::string reference_kind;              // Reference (and Map keys, when set)
  bool is_call = false;                    // Reference: an edge of the call graph
  std::vector<Field> fields;               // Object
  NodeRef item;                            // Array item, Map value
  std::size_t min_items = 0;
  std::size_t max_items = std::numeric_limits<std::size_t>::max();
  std::size_t max_length = 256;            // String, Reference, Map keys
  std::string tag;                         // Variant: discriminating key, or "" to pick by key presence
  std::vector<std::pair<std::string, NodeRef>> variants;
  std::vector<Check> checks;               // cross-field rules, run when the fields are valid
};

inline const Json& Field::effective_default() const {
  return default_value.is_null() ? node->default_value : default_value;
}

// Fluent construction of a node. Copies share the node until build().
class Spec {
 public:
  static Spec integer(std::string doc);
  static Spec number(std::string doc);
  static Spec boolean(std::string doc);
  static Spec string(std::string doc);
  static Spec enumeration(std::string doc, std::vector<std::string> choices);
  static Spec reference(std::string doc, std::string target_kind);
  static Spec object(std::string doc);
  static Spec array(std::string doc, NodeRef item);
  static Spec map(std::string doc, NodeRef value);
  // A tagged union: the value of `tag` ("type") picks the variant; an empty
  // tag picks the variant whose name is present as a key.
  static Spec variant(std::string doc, std::string tag);

  Spec& unit(std::string unit);
  Spec& min(double value);
  Spec& greater_than(double value);
  Spec& max(double value);
  Spec& default_value(Json value);
  Spec& required(std::string name, NodeRef node);
  Spec& optional(std::string name, NodeRef node, Json default_value = nullptr);
  Spec& alternative(std::string name, NodeRef node);
  Spec& items(std::size_t min, std::size_t max);
  Spec& max_length(std::size_t n);
  Spec& calls();
  Spec& keys_reference(std::string target_kind);
  Spec& named(std::string type_name);
  Spec& check(Check rule);

  // Binds the field added last to a member of a configuration struct, or to
  // a function that stores it: read<Config>() then fills the struct. The
  // declaration and the typed configuration are thus written once, together.
  template <class Config, class T>
  Spec& to(T Config::*member) {
    return bind<Config>([member](const Json& value, const Node& node, void* config) {
      static_cast<Config*>(config)->*member = Reader<T>::read(value, node);
    });
  }
  // `store(value, config)` puts the value where it belongs (a nested
  // member, a parsed structure).
  template <class Config, class Store>
  Spec& store(Store store) {
    return bind<Config>([store](const Json& value, const Node&, void* config) {
      store(value, *static_cast<Config*>(config));
    });
  }

  NodeRef build() const { return node_; }
  operator NodeRef() const { return node_; }

 private:
  explicit Spec(Kind kind, std::string doc);
  template <class Config>
  Spec& bind(Assign assign) {
    node_->fields.back().assign = std::move(assign);
    node_->fields.back().config_type = &config_tag<Config>;
    return *this;
  }
  std::shared_ptr<Node> node_;
};

// Fills a configuration struct from a validated object of `node`'s shape
// (defaults already in place). Every key present must be bound to Config,
// except `skip` (a variant's tag): a value the model would not read is a
// programming error, caught here rather than silently ignored.
void read_into(const Json& value, const Node& node, const void* config_type, void* config, std::string_view skip);
template <class Config>
Config read(const Json& value, const Node& node, std::string_view skip = "type") {
  Config config{};
  read_into(value, node, &config_tag<Config>, &config, skip);
  return config;
}
// The same for one part of an object whose parts fill different structs (a
// fault's schedule and target, and its action's own parameters): fills
// Config from the fields bound to it and leaves the others. Every key
// present must still be bound to some struct.
void read_part_into(const Json& value, const Node& node, const void* config_type, void* config, std::string_view skip);
template <class Config>
Config read_part(const Json& value, const Node& node, std::string_view skip) {
  Config config{};
  read_part_into(value, node, &config_tag<Config>, &config, skip);
  return config;
}

template <>
struct Reader<std::int64_t> {
  static std::int64_t read(const Json& v, const Node&) { return v.get<std::int64_t>(); }
};
template <>
struct Reader<double> {
  static double read(const Json& v, const Node&) { return v.get<double>(); }
};
template <>
struct Reader<bool> {
  static bool read(const Json& v, const Node&) { return v.get<bool>(); }
};
template <>
struct Reader<std::string> {
  static std::string read(const Json& v, const Node&) { return v.get<std::string>(); }
};
// An enumeration declared with Spec::enumeration: the C++ enumerator whose
// value is the choice's position in the declaration.
template <class E>
struct Reader<E, std::enable_if_t<std::is_enum_v<E>>> {
  static E read(const Json& v, const Node& node) {
    const auto& s = v.get_ref<const std::string&>();
    for (std::size_t i = 0; i < node.choices.size(); ++i)
      if (node.choices[i] == s) return static_cast<E>(i);
    return E{};  // unreachable for a validated value
  }
};
template <class T>
struct Reader<std::optional<T>> {
  static std::optional<T> read(const Json& v, const Node& node) { return Reader<T>::read(v, node); }
};
template <class T>
struct Reader<std::vector<T>> {
  static std::vector<T> read(const Json& v, const Node& node) {
    std::vector<T> out;
    out.reserve(v.size());
    for (const auto& item : v) out.push_back(Reader<T>::read(item, *node.item));
    return out;
  }
};

// Validates `input` against `node`, returning it completed with defaults (in
// declaration order). Every problem is added to `errors`; names that must
// resolve elsewhere are appended to `references`.
Json normalize(const Json& input, const Node& node, const Path& path, Errors& errors,
               std::vector<ReferenceUse>& references);

// A JSON Schema (draft-07) of the tree; named types go to "definitions".
Json json_schema(const Node& root, std::string_view title);

// Markdown reference: one table per object, named types once.
std::string markdown_reference(const Node& node, std::string_view heading, int level);

// What a reference of a kind names, with its article: "a component with
// replicas" for "replicated". Kinds are "node" (a workload or component),
// "operation", and the capabilities of component types
// (models/runtime/component_type.h).
std::string reference_noun(const std::string& kind, bool with_article = true);

// A short human description of a node's type: `integer ≥ 1`, `one of a, b`.
std::string type_summary(const Node& node);

// Applies `path=value` to a scenario before validation. The path uses the
// syntax of error messages (`components[2].workers`); an array of named
// objects may also be indexed by name (`components.web.workers`). The value is
// read as JSON, or taken as a string when it is not JSON. Returns an error
// message, or empty on success. With `source`, the source map of the scenario,
// the new value's numbers are known there as written in the assignment.
std::string apply_override(Json& scenario, std::string_view assignment, SourceMap* source = nullptr);

}  // namespace archsim::spec
