#include "models/format/spec.h"

#include "models/format/json_text.h"

#include <algorithm>
#include <cassert>
#include <cctype>
#include <cmath>
#include <set>
#include <sstream>

namespace archsim::spec {
namespace {

bool is_identifier(std::string_view key) {
  if (key.empty()) return false;
  if (!(std::isalpha(static_cast<unsigned char>(key[0])) || key[0] == '_')) return false;
  return std::all_of(key.begin(), key.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  });
}

std::string quote_json(std::string_view s) { return Json(std::string(s)).dump(); }

// A value as the user wrote it: a number keeps the text of the file or of
// its --set assignment (`1e-400`, not `0.0`); anything else is printed.
std::string show(const Json& value, const Path& path, const Errors& errors) {
  std::string text;
  if (value.is_number() && errors.source()) {
    if (const auto literal = errors.source()->literal(path)) text = *literal;
  }
  if (text.empty()) text = value.dump();
  if (text.size() > 60) text = text.substr(0, 57) + "...";
  return text;
}

std::string json_type_name(const Json& value) {
  switch (value.type()) {
    case Json::value_t::null: return "null";
    case Json::value_t::boolean: return "a boolean";
    case Json::value_t::string: return "a string";
    case Json::value_t::array: return "an array";
    case Json::value_t::object: return "an object";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
    case Json::value_t::number_float: return "a number";
    default: return "a value";
  }
}

// What was found, said once: `null`, `true`, `a number 1e-400`,
// `a string "many"`, `an object {...}`.
std::string found(const Json& value, const Path& path, const Errors& errors) {
  if (value.is_null() || value.is_boolean()) return value.dump();
  return json_type_name(value) + " " + show(value, path, errors);
}

std::string number_text(double v) { return format_number(v); }

std::string join(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out += separator;
    out += items[i];
  }
  return out;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      const std::size_t cost = std::tolower(static_cast<unsigned char>(a[i - 1])) ==
                                       std::tolower(static_cast<unsigned char>(b[j - 1]))
                                   ? 0
                                   : 1;
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + cost});
      diagonal = up;
    }
  }
  return row[b.size()];
}

// Checks the range of a number against the node's bounds.
void check_range(double v, const Node& node, const Path& path, Errors& errors,
                 const std::string& what, const Json& input) {
  if (node.minimum) {
    if (node.exclusive_minimum && !(v > *node.minimum)) {
      errors.add(path, "must be " + what + " greater than " + number_text(*node.minimum) +
                           ", got " + show(input, path, errors));
      return;
    }
    if (!node.exclusive_minimum && v < *node.minimum) {
      errors.add(path, "must be " + what + " of at least " + number_text(*node.minimum) +
                           ", got " + show(input, path, errors));
      return;
    }
  }
  if (node.maximum && v > *node.maximum)
    errors.add(path, "must be " + what + " of at most " + number_text(*node.maximum) + ", got " +
                         show(input, path, errors));
}

std::vector<std::string> variant_names(const Node& node) {
  std::vector<std::string> names;
  for (const auto& [name, _] : node.variants) names.push_back(name);
  return names;
}

}  // namespace

// ---- Path -------------------------------------------------------------------

std::string format_number(double v) {
  if (v == std::floor(v) && std::fabs(v) < 1e18) return std::to_string(static_cast<long long>(v));
  std::ostringstream out;
  out.precision(15);
  out << v;
  return out.str();
}

Path Path::operator/(std::string_view key) const {
  Path p = *this;
  if (is_identifier(key)) {
    if (!p.text_.empty()) p.text_ += '.';
    p.text_ += key;
  } else {
    p.text_ += '[' + quote_json(key) + ']';
  }
  return p;
}

Path Path::operator[](std::size_t index) const {
  Path p = *this;
  p.text_ += '[' + std::to_string(index) + ']';
  return p;
}

std::string Errors::format(std::string_view file) const {
  std::string out;
  for (const auto& e : list_) {
    out += file;
    if (e.has_position()) {
      out += ':';
      out += std::to_string(e.line);
      out += ':';
      out += std::to_string(e.column);
      out += ": ";
      out += e.message;
      out += '\n';
      out += e.excerpt;
      continue;
    }
    out += ": ";
    if (!e.path.empty()) out += e.path + ": ";
    out += e.message;
    out += '\n';
  }
  return out;
}

std::string Errors::format_warnings(std::string_view file) const {
  std::string out;
  for (const auto& w : warnings_) {
    out += file;
    out += ": ";
    if (!w.path.empty()) out += w.path + ": ";
    out += "warning: ";
    out += w.message;
    out += '\n';
  }
  return out;
}

std::optional<std::string> did_you_mean(std::string_view word, const std::vector<std::string>& candidates) {
  std::optional<std::string> best;
  std::size_t best_distance = 0;
  for (const auto& c : candidates) {
    const std::size_t d = edit_distance(word, c);
    if (!best || d < best_distance) {
      best = c;
      best_distance = d;
    }
  }
  // A typo changes a few letters: allow up to a third of the word, at least 2.
  const std::size_t allowed = std::max<std::size_t>(2, word.size() / 3);
  if (best && best_distance <= allowed && best_distance < word.size()) return best;
  return std::nullopt;
}

std::string did_you_mean_suffix(std::string_view word, const std::vector<std::string>& candidates) {
  if (auto m = did_you_mean(word, candidates)) return "; did you mean " + quote_json(*m) + "?";
  return "";
}

// ---- Spec -------------------------------------------------------------------

Spec::Spec(Kind kind, std::string doc) : node_(std::make_shared<Node>()) {
  node_->kind = kind;
  node_->doc = std::move(doc);
}

Spec Spec::integer(std::string doc) { return Spec(Kind::Integer, std::move(doc)); }
Spec Spec::number(std::string doc) { return Spec(Kind::Number, std::move(doc)); }
Spec Spec::boolean(std::string doc) { return Spec(Kind::Boolean, std::move(doc)); }
Spec Spec::string(std::string doc) { return Spec(Kind::String, std::move(doc)); }
Spec Spec::enumeration(std::string doc, std::vector<std::string> choices) {
  Spec s(Kind::Enum, std::move(doc));
  s.node_->choices = std::move(choices);
  return s;
}
Spec Spec::reference(std::string doc, std::string target_kind) {
  Spec s(Kind::Reference, std::move(doc));
  s.node_->reference_kind = std::move(target_kind);
  return s;
}
Spec Spec::object(std::string doc) { return Spec(Kind::Object, std::move(doc)); }
Spec Spec::array(std::string doc, NodeRef item) {
  Spec s(Kind::Array, std::move(doc));
  s.node_->item = std::move(item);
  return s;
}
Spec Spec::map(std::string doc, NodeRef value) {
  Spec s(Kind::Map, std::move(doc));
  s.node_->item = std::move(value);
  return s;
}
Spec Spec::variant(std::string doc, std::string tag) {
  Spec s(Kind::Variant, std::move(doc));
  s.node_->tag = std::move(tag);
  return s;
}

Spec& Spec::unit(std::string unit) {
  node_->unit = std::move(unit);
  return *this;
}
Spec& Spec::min(double value) {
  node_->minimum = value;
  node_->exclusive_minimum = false;
  return *this;
}
Spec& Spec::greater_than(double value) {
  node_->minimum = value;
  node_->exclusive_minimum = true;
  return *this;
}
Spec& Spec::max(double value) {
  node_->maximum = value;
  return *this;
}
Spec& Spec::default_value(Json value) {
  node_->default_value = std::move(value);
  return *this;
}
Spec& Spec::required(std::string name, NodeRef node) {
  node_->fields.push_back({std::move(name), std::move(node), true, nullptr, {}, nullptr});
  return *this;
}
Spec& Spec::optional(std::string name, NodeRef node, Json default_value) {
  node_->fields.push_back({std::move(name), std::move(node), false, std::move(default_value), {}, nullptr});
  return *this;
}
Spec& Spec::alternative(std::string name, NodeRef node) {
  node_->variants.emplace_back(std::move(name), std::move(node));
  return *this;
}
Spec& Spec::items(std::size_t min, std::size_t max) {
  node_->min_items = min;
  node_->max_items = max;
  return *this;
}
Spec& Spec::max_length(std::size_t n) {
  node_->max_length = n;
  return *this;
}
Spec& Spec::calls() {
  node_->is_call = true;
  return *this;
}
Spec& Spec::keys_reference(std::string target_kind) {
  node_->reference_kind = std::move(target_kind);
  return *this;
}
Spec& Spec::named(std::string type_name) {
  node_->type_name = std::move(type_name);
  return *this;
}
Spec& Spec::check(Check rule) {
  node_->checks.push_back(std::move(rule));
  return *this;
}

// ---- read ---------------------------------------------------------------------

void read_into(const Json& value, const Node& node, const void* config_type, void* config, std::string_view skip) {
  assert(node.kind == Kind::Object && value.is_object());
  for (const auto& [key, item] : value.items()) {
    if (key == skip) continue;
    const Field* field = nullptr;
    for (const auto& f : node.fields)
      if (f.name == key) field = &f;
    // Every key of a validated value is declared, and every declared key is
    // bound to the struct that reads it: nothing is left unread.
    assert(field != nullptr && field->assign && field->config_type == config_type);
    field->assign(item, *field->node, config);
  }
}

void read_part_into(const Json& value, const Node& node, const void* config_type, void* config, std::string_view skip) {
  assert(node.kind == Kind::Object && value.is_object());
  for (const auto& [key, item] : value.items()) {
    if (key == skip) continue;
    const Field* field = nullptr;
    for (const auto& f : node.fields)
      if (f.name == key) field = &f;
    // Bound to some part, so that some read takes it.
    assert(field != nullptr && field->assign);
    if (field->config_type == config_type) field->assign(item, *field->node, config);
  }
}

// ---- normalize --------------------------------------------------------------

namespace {

Json normalize_object(const Json& input, const Node& node, const Path& path, Errors& errors,
                      std::vector<ReferenceUse>& refs, std::string_view extra_key) {
  if (!input.is_object()) {
    errors.add(path, "must be an object, got " + json_type_name(input));
    return Json::object();
  }
  const std::size_t errors_before = errors.size();
  Json out = Json::object();
  if (!extra_key.empty() && input.contains(extra_key)) out[std::string(extra_key)] = input.at(std::string(extra_key));
  std::vector<std::string> known;
  for (const auto& field : node.fields) {
    known.push_back(field.name);
    auto it = input.find(field.name);
    if (it != input.end()) {
      out[field.name] = normalize(*it, *field.node, path / field.name, errors, refs);
    } else if (field.required) {
      errors.add(path, "missing required key " + quote_json(field.name) + " (" + field.node->doc + ")");
    } else if (!field.effective_default().is_null()) {
      out[field.name] = field.effective_default();
    }
  }
  for (const auto& [key, value] : input.items()) {
    if (key == "$schema" && path.empty()) continue;  // editors' schema pointer
    if (key == extra_key) continue;
    if (std::find(known.begin(), known.end(), key) != known.end()) continue;
    errors.add(path, "unknown key " + quote_json(key) + did_you_mean_suffix(key, known));
  }
  if (errors.size() == errors_before)
    for (const auto& rule : node.checks) rule(out, path, errors);
  return out;
}

}  // namespace

Json normalize(const Json& input, const Node& node, const Path& path, Errors& errors,
               std::vector<ReferenceUse>& refs) {
  switch (node.kind) {
    case Kind::Integer: {
      double v;
      if (input.is_number_integer() || input.is_number_unsigned()) {
        if (input.is_number_unsigned() && input.get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX)) {
          errors.add(path, "must be an integer of at most " + number_text(node.maximum.value_or(9.2e18)) +
                               ", got " + show(input, path, errors));
          return input;
        }
        v = static_cast<double>(input.get<std::int64_t>());
      } else if (input.is_number_float()) {
        v = input.get<double>();
        // 1e6 is a common way to write a million: accept whole numbers.
        if (!std::isfinite(v) || v != std::floor(v) || std::fabs(v) > 9.0e15) {
          errors.add(path, "must be an integer, got " + show(input, path, errors));
          return input;
        }
      } else {
        errors.add(path, "must be an integer, got " + found(input, path, errors));
        return input;
      }
      check_range(v, node, path, errors, "an integer", input);
      return Json(static_cast<std::int64_t>(v));
    }
    case Kind::Number: {
      if (!input.is_number()) {
        errors.add(path, "must be a number, got " + found(input, path, errors));
        return input;
      }
      const double v = input.get<double>();
      if (!std::isfinite(v)) {
        errors.add(path, "must be a finite number, got " + show(input, path, errors));
        return input;
      }
      check_range(v, node, path, errors, "a number", input);
      return input;
    }
    case Kind::Boolean:
      if (!input.is_boolean()) errors.add(path, "must be true or false, got " + show(input, path, errors));
      return input;
    case Kind::String:
    case Kind::Reference: {
      if (!input.is_string()) {
        errors.add(path, "must be a string, got " + found(input, path, errors));
        return input;
      }
      const auto& s = input.get_ref<const std::string&>();
      if (s.empty()) {
        errors.add(path, "must not be empty");
      } else if (s.size() > node.max_length) {
        errors.add(path, "must be at most " + std::to_string(node.max_length) + " characters long, got " +
                             std::to_string(s.size()));
      } else if (node.kind == Kind::Reference) {
        refs.push_back({path.str(), node.reference_kind, s, node.is_call});
      }
      return input;
    }
    case Kind::Enum: {
      if (!input.is_string()) {
        errors.add(path, "must be one of " + join(node.choices, ", ") + "; got " + show(input, path, errors));
        return input;
      }
      const auto& s = input.get_ref<const std::string&>();
      if (std::find(node.choices.begin(), node.choices.end(), s) == node.choices.end()) {
        std::string message = quote_json(s) + " is not one of: " + join(node.choices, ", ");
        if (auto m = did_you_mean(s, node.choices)) message += "; did you mean " + quote_json(*m) + "?";
        errors.add(path, message);
      }
      return input;
    }
    case Kind::Object:
      return normalize_object(input, node, path, errors, refs, "");
    case Kind::Array: {
      if (!input.is_array()) {
        errors.add(path, "must be an array, got " + json_type_name(input));
        return Json::array();
      }
      if (input.size() < node.min_items)
        errors.add(path, "must have at least " + std::to_string(node.min_items) + " item" +
                             (node.min_items == 1 ? "" : "s") + ", got " + std::to_string(input.size()));
      if (input.size() > node.max_items) {
        errors.add(path, "must have at most " + std::to_string(node.max_items) + " items, got " +
                             std::to_string(input.size()));
        return Json::array();
      }
      const std::size_t errors_before = errors.size();
      Json out = Json::array();
      for (std::size_t i = 0; i < input.size(); ++i) out.push_back(normalize(input[i], *node.item, path[i], errors, refs));
      if (errors.size() == errors_before)
        for (const auto& rule : node.checks) rule(out, path, errors);
      return out;
    }
    case Kind::Map: {
      if (!input.is_object()) {
        errors.add(path, "must be an object, got " + json_type_name(input));
        return Json::object();
      }
      if (input.size() > node.max_items) {
        errors.add(path, "must have at most " + std::to_string(node.max_items) + " entries, got " +
                             std::to_string(input.size()));
        return Json::object();
      }
      if (input.size() < node.min_items) {
        errors.add(path, "must have at least " + std::to_string(node.min_items) + " entr" +
                             (node.min_items == 1 ? "y" : "ies") + ", got " + std::to_string(input.size()));
        return Json::object();
      }
      Json out = Json::object();
      for (const auto& [key, value] : input.items()) {
        if (key.empty() || key.size() > node.max_length) {
          errors.add(path, "key " + quote_json(key) + " must be 1 to " + std::to_string(node.max_length) +
                               " characters long");
          continue;
        }
        if (!node.reference_kind.empty()) refs.push_back({(path / key).str(), node.reference_kind, key, false});
        out[key] = normalize(value, *node.item, path / key, errors, refs);
      }
      return out;
    }
    case Kind::Variant: {
      const auto names = variant_names(node);
      if (!input.is_object()) {
        errors.add(path, "must be an object, got " + found(input, path, errors));
        return input;
      }
      if (!node.tag.empty()) {
        auto it = input.find(node.tag);
        if (it == input.end()) {
          errors.add(path, "missing required key " + quote_json(node.tag) + ", one of: " + join(names, ", "));
          return input;
        }
        if (!it->is_string()) {
          errors.add(path / node.tag, "must be a string, one of: " + join(names, ", "));
          return input;
        }
        const auto& tag = it->get_ref<const std::string&>();
        for (const auto& [name, variant] : node.variants)
          if (name == tag) return normalize_object(input, *variant, path, errors, refs, node.tag);
        errors.add(path / node.tag,
                   quote_json(tag) + " is not one of: " + join(names, ", ") + did_you_mean_suffix(tag, names));
        return input;
      }
      // Pick the variant by the key present.
      std::vector<std::string> present;
      for (const auto& name : names)
        if (input.contains(name)) present.push_back(name);
      if (present.size() != 1) {
        std::string message = present.empty() ? "must have one of the keys " + join(names, ", ")
                                              : "must have only one of the keys " + join(present, ", ");
        if (present.empty() && input.size() == 1) {
          const std::string key = input.begin().key();
          message += "; got " + quote_json(key) + did_you_mean_suffix(key, names);
        }
        errors.add(path, message);
        return input;
      }
      for (const auto& [name, variant] : node.variants)
        if (name == present[0]) {
          if (variant->kind == Kind::Object) return normalize_object(input, *variant, path, errors, refs, "");
          if (input.size() != 1) {
            for (const auto& [key, _] : input.items())
              if (key != name) errors.add(path, "unknown key " + quote_json(key) + " beside " + quote_json(name));
          }
          Json out = Json::object();
          out[name] = normalize(input.at(name), *variant, path / name, errors, refs);
          return out;
        }
      return input;
    }
  }
  return input;
}

// ---- JSON Schema ------------------------------------------------------------

namespace {

std::string describe_for_schema(const Node& node) {
  std::string text = node.doc;
  if (!node.unit.empty()) text += " [" + node.unit + "]";
  return text;
}

Json schema_of(const Node& node, Json& definitions, bool allow_ref);

Json object_schema(const Node& node, Json& definitions, const std::string& tag_key, const std::string& tag_value) {
  Json s = {{"type", "object"}};
  Json properties = Json::object();
  Json required = Json::array();
  if (!tag_key.empty()) {
    properties[tag_key] = {{"const", tag_value}};
    required.push_back(tag_key);
  }
  for (const auto& field : node.fields) {
    properties[field.name] = schema_of(*field.node, definitions, true);
    if (!field.default_value.is_null()) {
      if (properties[field.name].contains("$ref"))
        properties[field.name] = {{"allOf", Json::array({properties[field.name]})}};
      properties[field.name]["default"] = field.default_value;
    }
    if (field.required) required.push_back(field.name);
  }
  s["description"] = describe_for_schema(node);
  s["properties"] = properties;
  if (!required.empty()) s["required"] = required;
  s["additionalProperties"] = false;
  return s;
}

Json schema_body(const Node& node, Json& definitions) {
  Json s = Json::object();
  switch (node.kind) {
    case Kind::Integer:
    case Kind::Number:
      s["type"] = node.kind == Kind::Integer ? "integer" : "number";
      if (node.minimum) s[node.exclusive_minimum ? "exclusiveMinimum" : "minimum"] = *node.minimum;
      if (node.maximum) s["maximum"] = *node.maximum;
      break;
    case Kind::Boolean: s["type"] = "boolean"; break;
    case Kind::String:
    case Kind::Reference:
      s["type"] = "string";
      s["minLength"] = 1;
      s["maxLength"] = node.max_length;
      break;
    case Kind::Enum: s["enum"] = node.choices; break;
    case Kind::Object: return object_schema(node, definitions, "", "");
    case Kind::Array:
      s["type"] = "array";
      s["items"] = schema_of(*node.item, definitions, true);
      if (node.min_items) s["minItems"] = node.min_items;
      if (node.max_items != std::numeric_limits<std::size_t>::max()) s["maxItems"] = node.max_items;
      break;
    case Kind::Map:
      s["type"] = "object";
      s["additionalProperties"] = schema_of(*node.item, definitions, true);
      break;
    case Kind::Variant: {
      Json one_of = Json::array();
      for (const auto& [name, variant] : node.variants) {
        if (!node.tag.empty()) {
          one_of.push_back(object_schema(*variant, definitions, node.tag, name));
        } else if (variant->kind == Kind::Object) {
          Json o = object_schema(*variant, definitions, "", "");
          o["required"] = Json::array({name});
          for (const auto& field : variant->fields)
            if (field.required && field.name != name) o["required"].push_back(field.name);
          one_of.push_back(o);
        } else {
          one_of.push_back({{"type", "object"},
                            {"properties", {{name, schema_of(*variant, definitions, true)}}},
                            {"required", {name}},
                            {"additionalProperties", false}});
        }
      }
      s["type"] = "object";
      s["oneOf"] = one_of;
      break;
    }
  }
  s["description"] = describe_for_schema(node);
  if (!node.default_value.is_null()) s["default"] = node.default_value;
  return s;
}

Json schema_of(const Node& node, Json& definitions, bool allow_ref) {
  if (allow_ref && !node.type_name.empty()) {
    if (!definitions.contains(node.type_name)) {
      definitions[node.type_name] = Json::object();  // placeholder against recursion
      definitions[node.type_name] = schema_body(node, definitions);
    }
    Json ref = {{"$ref", "#/definitions/" + node.type_name}};
    return ref;
  }
  return schema_body(node, definitions);
}

}  // namespace

Json json_schema(const Node& root, std::string_view title) {
  Json definitions = Json::object();
  Json body = schema_of(root, definitions, false);
  Json s = {{"$schema", "http://json-schema.org/draft-07/schema#"}, {"title", std::string(title)}};
  for (auto& [key, value] : body.items()) s[key] = value;
  if (s.contains("properties")) s["properties"]["$schema"] = {{"type", "string"}, {"description", "Path of this schema, for editors"}};
  s["definitions"] = definitions;
  return s;
}

// ---- Markdown reference ----

std::string reference_noun(const std::string& kind, bool with_article) {
  std::string noun = kind == "node"         ? "workload or component"
                     : kind == "callable"   ? "component"
                     : kind == "replicated" ? "component with replicas"
                                            : kind;
  if (!with_article) return noun;
  return (noun[0] == 'o' || noun[0] == 'a' ? "an " : "a ") + noun;
}

std::string type_summary(const Node& node) {
  auto range = [&](const std::string& base) {
    std::string s = base;
    if (node.minimum) s += (node.exclusive_minimum ? " > " : " ≥ ") + number_text(*node.minimum);
    if (node.maximum) s += (node.minimum ? ", ≤ " : " ≤ ") + number_text(*node.maximum);
    return s;
  };
  if (!node.type_name.empty() && node.kind != Kind::Enum) return "*" + node.type_name + "*";
  switch (node.kind) {
    case Kind::Integer: return range("integer");
    case Kind::Number: return range("number");
    case Kind::Boolean: return "boolean";
    case Kind::String: return "string";
    case Kind::Enum: return "one of `" + join(node.choices, "`, `") + "`";
    case Kind::Reference: return "name of " + reference_noun(node.reference_kind);
    case Kind::Object: return "object";
    case Kind::Array: {
      std::string s = "array of " + type_summary(*node.item);
      if (node.min_items > 0) s += " (at least " + std::to_string(node.min_items) + ")";
      return s;
    }
    case Kind::Map:
      return "object: " + (node.reference_kind.empty() ? std::string("name") : node.reference_kind) + " → " +
             type_summary(*node.item);
    case Kind::Variant: return node.tag.empty() ? "one of the forms below" : "object, by `" + node.tag + "`";
  }
  return "";
}

namespace {

void markdown_node(const Node& node, const std::string& heading, int level, std::string& out,
                   std::set<std::string>& done);

void markdown_fields(const Node& node, int level, std::string& out, std::set<std::string>& done) {
  if (node.fields.empty()) return;
  out += "| key | type | unit | default | meaning |\n|---|---|---|---|---|\n";
  std::vector<std::pair<std::string, const Node*>> nested;
  for (const auto& field : node.fields) {
    const Node& f = *field.node;
    const Json& d = field.effective_default();
    std::string def = field.required ? "required" : (d.is_null() ? "—" : "`" + d.dump() + "`");
    out += "| `" + field.name + "` | " + type_summary(f) + " | " + (f.unit.empty() ? "" : f.unit) + " | " + def +
           " | " + f.doc + " |\n";
    const Node* inner = &f;
    std::string inner_heading = "`" + field.name + "`";
    while ((inner->kind == Kind::Array || inner->kind == Kind::Map) && inner->item) {
      inner_heading += inner->kind == Kind::Array ? " items" : " values";
      inner = inner->item.get();
    }
    if (inner->kind == Kind::Object || inner->kind == Kind::Variant) nested.emplace_back(inner_heading, inner);
  }
  out += "\n";
  for (const auto& [heading, inner] : nested) markdown_node(*inner, heading, level + 1, out, done);
}

void markdown_node(const Node& node, const std::string& heading, int level, std::string& out,
                   std::set<std::string>& done) {
  if (!node.type_name.empty()) {
    if (done.count(node.type_name)) return;
    done.insert(node.type_name);
  }
  const std::string title = node.type_name.empty() ? heading : "*" + node.type_name + "*";
  out += std::string(static_cast<std::size_t>(std::min(level, 6)), '#') + " " + title + "\n\n";
  if (!node.doc.empty()) out += node.doc + ".\n\n";
  if (node.kind == Kind::Object) {
    markdown_fields(node, level, out, done);
  } else if (node.kind == Kind::Variant) {
    for (const auto& [name, variant] : node.variants) {
      const std::string form = node.tag.empty() ? "`" + name + "`" : "`\"" + node.tag + "\": \"" + name + "\"`";
      out += std::string(static_cast<std::size_t>(std::min(level + 1, 6)), '#') + " " + form + "\n\n";
      if (!variant->doc.empty()) out += variant->doc + ".\n\n";
      if (variant->kind == Kind::Object) {
        markdown_fields(*variant, level + 1, out, done);
      } else {
        out += "Value: " + type_summary(*variant) + (variant->unit.empty() ? "" : " (" + variant->unit + ")") + ".\n\n";
        if (variant->kind == Kind::Array && variant->item &&
            (variant->item->kind == Kind::Object || variant->item->kind == Kind::Variant))
          markdown_node(*variant->item, "`" + name + "` items", level + 2, out, done);
      }
    }
  }
}

}  // namespace

std::string markdown_reference(const Node& node, std::string_view heading, int level) {
  std::string out;
  std::set<std::string> done;
  markdown_node(node, std::string(heading), level, out, done);
  return out;
}

// ---- --set ------------------------------------------------------------------

std::string apply_override(Json& scenario, std::string_view assignment, SourceMap* source) {
  const auto eq = assignment.find('=');
  if (eq == std::string_view::npos || eq == 0) return "expected PATH=VALUE, got \"" + std::string(assignment) + "\"";
  const std::string path(assignment.substr(0, eq));
  const std::string text(assignment.substr(eq + 1));
  // The value's numbers are known as written in the assignment. Text that is
  // not JSON (a syntax error) is a string; a duplicate key or a number out of
  // range is a problem.
  Errors value_errors;
  SourceMap value_source;
  Json value;
  if (auto read = read_json_text(text, value_errors, &value_source)) {
    value = std::move(*read);
  } else if (std::any_of(value_errors.list().begin(), value_errors.list().end(),
                         [](const Error& e) { return e.has_position(); })) {
    value = text;
    value_source = SourceMap();
  } else {
    const Error& e = value_errors.list().front();
    return e.path.empty() ? e.message : e.path + ": " + e.message;
  }

  // Split `a.b[2]["c.d"].e` into segments.
  std::vector<std::pair<bool, std::string>> segments;  // (is_index, text)
  std::size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '.') {
      ++i;
      continue;
    }
    if (path[i] == '[') {
      const auto close = path.find(']', i);
      if (close == std::string::npos) return "unbalanced [ in path \"" + path + "\"";
      std::string inner = path.substr(i + 1, close - i - 1);
      if (!inner.empty() && inner.front() == '"') {
        Json key = Json::parse(inner, nullptr, false);
        if (!key.is_string()) return "bad quoted key in path \"" + path + "\"";
        segments.emplace_back(false, key.get<std::string>());
      } else {
        segments.emplace_back(true, inner);
      }
      i = close + 1;
      continue;
    }
    const auto end = path.find_first_of(".[", i);
    segments.emplace_back(false, path.substr(i, end == std::string::npos ? std::string::npos : end - i));
    i = end == std::string::npos ? path.size() : end;
  }
  for (std::size_t k = 0; k + 1 < path.size(); ++k)
    if (path[k] == '.' && (path[k + 1] == '.' || path[k + 1] == '['))
      return "empty key in path \"" + path + "\"";
  if (path.front() == '.' || path.back() == '.') return "empty key in path \"" + path + "\"";
  if (segments.empty()) return "empty path in \"" + std::string(assignment) + "\"";

  Json* at = &scenario;
  std::string walked;
  Path at_path;
  for (std::size_t s = 0; s < segments.size(); ++s) {
    const auto& [is_index, text_segment] = segments[s];
    const bool last = s + 1 == segments.size();
    if (at->is_array()) {
      std::size_t index = 0;
      bool found = false;
      const bool numeric = !text_segment.empty() &&
                           std::all_of(text_segment.begin(), text_segment.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
      if (numeric) {
        // Indexes longer than 9 digits are past any array a scenario may hold.
        found = text_segment.size() <= 9 && (index = std::stoul(text_segment)) < at->size();
      } else {
        for (std::size_t k = 0; k < at->size(); ++k)
          if ((*at)[k].is_object() && (*at)[k].value("name", "") == text_segment) {
            index = k;
            found = true;
            break;
          }
      }
      if (!found) return walked + ": no item " + quote_json(text_segment) + " in the array";
      walked += "[" + std::to_string(index) + "]";
      at_path = at_path[index];
      at = &(*at)[index];
    } else {
      if (is_index) return walked + ": is not an array";
      if (at->is_null()) *at = Json::object();
      if (!at->is_object()) return walked + ": is not an object";
      walked += (walked.empty() ? "" : ".") + text_segment;
      at_path = at_path / text_segment;
      at = &(*at)[text_segment];
    }
    if (last) {
      *at = value;
      if (source) source->replace(at_path, std::move(value_source));
    }
  }
  return "";
}

}  // namespace archsim::spec
