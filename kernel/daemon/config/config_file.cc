#include "config/config_file.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "config/units.h"

namespace ferry::config {
namespace {

Location location_of(const toml::source_region& src, const std::string& label) {
  Location loc;
  // Nodes made from a --set override carry "--set" as their path.
  loc.file = src.path ? *src.path : label;
  loc.line = src.begin.line;
  loc.column = src.begin.column;
  return loc;
}

// TOML text of a scalar, for messages.
std::string toml_text(const toml::node& node) {
  if (node.is_string()) return "\"" + *node.value<std::string>() + "\"";
  std::ostringstream out;
  node.visit([&](const auto& n) { out << n; });
  return out.str();
}

const char* node_type_name(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::table: return "table";
    case toml::node_type::array: return "array";
    case toml::node_type::string: return "string";
    case toml::node_type::integer: return "integer";
    case toml::node_type::floating_point: return "float";
    case toml::node_type::boolean: return "boolean";
    case toml::node_type::date: return "date";
    case toml::node_type::time: return "time";
    case toml::node_type::date_time: return "date-time";
    default: return "nothing";
  }
}

std::string join(const std::vector<std::string>& items, const char* sep) {
  std::string out;
  for (const std::string& s : items) out += (out.empty() ? "" : sep) + s;
  return out;
}

// What the operator may write for each type, for "must be a ..." messages.
std::string expected(ferry_config_type type) {
  switch (type) {
    case FERRY_CONFIG_DURATION: return "a duration (\"500ms\", \"30s\", \"2m\", \"1h\", \"3d\")";
    case FERRY_CONFIG_SIZE: return "a size (4096, \"64KiB\", \"1MiB\", \"1GiB\")";
    case FERRY_CONFIG_STRING_LIST: return "an array of strings";
    case FERRY_CONFIG_INT: return "an integer";
    case FERRY_CONFIG_ENUM: return "a string";
    case FERRY_CONFIG_DOUBLE: return "a number";
    default: return std::string("a ") + type_name(type);
  }
}

// Converts one TOML node to a value of spec's type; nullopt after adding an
// error that names `qualified` (the key with its section).
std::optional<Value> convert(const toml::node& node, const KeySpec& spec,
                             const std::string& qualified, const Location& loc,
                             ErrorList& errors) {
  auto wrong_type = [&] {
    errors.add(loc, "key '" + qualified + "' must be " + expected(spec.type) + ", got " +
                        node_type_name(node));
    return std::nullopt;
  };
  switch (spec.type) {
    case FERRY_CONFIG_STRING:
      if (auto s = node.value<std::string>(); s && node.is_string()) return Value{*s};
      return wrong_type();
    case FERRY_CONFIG_ENUM: {
      if (!node.is_string()) return wrong_type();
      std::string s = *node.value<std::string>();
      for (const std::string& e : spec.enum_values)
        if (e == s) return Value{s};
      errors.add(loc, "key '" + qualified + "' = \"" + s + "\" is not one of: " +
                          join(spec.enum_values, ", "));
      return std::nullopt;
    }
    case FERRY_CONFIG_INT:
      if (node.is_integer()) return Value{*node.value<int64_t>()};
      return wrong_type();
    case FERRY_CONFIG_BOOL:
      if (node.is_boolean()) return Value{*node.value<bool>()};
      return wrong_type();
    case FERRY_CONFIG_DOUBLE:
      if (node.is_number()) return Value{*node.value<double>()};
      return wrong_type();
    case FERRY_CONFIG_DURATION: {
      if (node.is_integer()) {
        int64_t ms = *node.value<int64_t>();
        if (ms >= 0) return Value{ms};
      } else if (node.is_string()) {
        if (auto ms = parse_duration_ms(*node.value<std::string>())) return Value{*ms};
      } else {
        return wrong_type();
      }
      errors.add(loc, "key '" + qualified + "' = " + toml_text(node) + " is not " +
                          expected(spec.type));
      return std::nullopt;
    }
    case FERRY_CONFIG_SIZE: {
      if (node.is_integer()) {
        int64_t b = *node.value<int64_t>();
        if (b >= 0) return Value{static_cast<uint64_t>(b)};
      } else if (node.is_string()) {
        if (auto b = parse_size_bytes(*node.value<std::string>())) return Value{*b};
      } else {
        return wrong_type();
      }
      errors.add(loc, "key '" + qualified + "' = " + toml_text(node) + " is not " +
                          expected(spec.type));
      return std::nullopt;
    }
    case FERRY_CONFIG_STRING_LIST: {
      const toml::array* arr = node.as_array();
      if (arr == nullptr) return wrong_type();
      std::vector<std::string> items;
      for (const toml::node& item : *arr) {
        if (!item.is_string()) {
          errors.add(loc, "key '" + qualified + "' must be an array of strings, got " +
                              node_type_name(item) + " " + toml_text(item) + " in the array");
          return std::nullopt;
        }
        items.push_back(*item.value<std::string>());
      }
      return Value{std::move(items)};
    }
  }
  return wrong_type();
}

bool in_range(const Value& v, const KeySpec& spec, const std::string& qualified,
              const Location& loc, ErrorList& errors) {
  if (spec.min_value && compare(v, *spec.min_value) < 0) {
    errors.add(loc, "key '" + qualified + "' = " + value_text(spec.type, v) +
                        " is below the minimum " + value_text(spec.type, *spec.min_value));
    return false;
  }
  if (spec.max_value && compare(v, *spec.max_value) > 0) {
    errors.add(loc, "key '" + qualified + "' = " + value_text(spec.type, v) +
                        " is above the maximum " + value_text(spec.type, *spec.max_value));
    return false;
  }
  return true;
}

std::string qualify(const std::string& prefix, std::string_view key) {
  return prefix.empty() ? std::string(key) : prefix + "." + std::string(key);
}

}  // namespace

Values validate_table(const toml::table& table, const Schema& schema, const std::string& prefix,
                      const std::set<std::string>& extra, const std::string& label,
                      ErrorList& errors) {
  Values values;
  for (auto&& [key, node] : table) {
    const std::string name(key.str());
    if (extra.count(name) != 0) continue;
    const KeySpec* spec = schema.find(name);
    Location loc = location_of(key.source(), label);
    if (spec == nullptr) {
      std::vector<std::string> valid(extra.begin(), extra.end());
      for (const KeySpec& k : schema.keys()) valid.push_back(k.name);
      errors.add(loc, "unknown key '" + qualify(prefix, name) + "'; valid keys: " +
                          (valid.empty() ? std::string("(none)") : join(valid, ", ")));
      continue;
    }
    auto v = convert(node, *spec, qualify(prefix, name), loc, errors);
    if (v && in_range(*v, *spec, qualify(prefix, name), loc, errors))
      values.set(name, spec->type, std::move(*v));
  }
  for (const KeySpec& spec : schema.keys()) {
    if (values.find(spec.name) != nullptr || table.contains(spec.name)) continue;
    if (spec.default_value) {
      values.set(spec.name, spec.type, *spec.default_value);
    } else {
      errors.add(location_of(table.source(), label),
                 "missing required key '" + qualify(prefix, spec.name) + "'");
    }
  }
  return values;
}

std::optional<ConfigFile> ConfigFile::parse(std::string_view text, const std::string& label,
                                            ErrorList& errors) {
  ConfigFile file;
  file.label_ = label;
  try {
    file.root_ = toml::parse(text, label);
  } catch (const toml::parse_error& e) {
    errors.add(location_of(e.source(), label), std::string(e.description()));
    return std::nullopt;
  }
  return file;
}

std::optional<ConfigFile> ConfigFile::load(const std::string& path, ErrorList& errors) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    errors.add({path, 0, 0}, "cannot open config file: " + std::string(std::strerror(errno)));
    return std::nullopt;
  }
  std::ostringstream text;
  text << in.rdbuf();
  return parse(text.str(), path, errors);
}

namespace {

// Merges src into dst; src's keys and nodes keep their source ("--set ...").
void merge(toml::table& dst, const toml::table& src) {
  for (auto&& [key, node] : src) {
    toml::table* into = dst[key.str()].as_table();
    if (into != nullptr && node.is_table()) {
      merge(*into, *node.as_table());
    } else {
      // erase first: insert_or_assign would keep the file's key position
      dst.erase(key.str());
      dst.insert(key, node);
    }
  }
}

std::string toml_quote(const std::string& raw) {
  std::string out = "\"";
  for (char c : raw) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

void ConfigFile::apply_override(std::string_view assignment, ErrorList& errors) {
  const std::string label = "--set " + std::string(assignment);
  size_t eq = assignment.find('=');
  if (eq == std::string_view::npos || eq == 0) {
    errors.add({label, 0, 0}, "expected section.key=value");
    return;
  }
  std::string path(assignment.substr(0, eq));
  std::string raw(assignment.substr(eq + 1));
  // A value that is valid TOML keeps its type (3, true, "x"); anything else
  // (/tmp/data, 127.0.0.1:0) is a string.
  try {
    (void)toml::parse("v = " + raw);
  } catch (const toml::parse_error&) {
    raw = toml_quote(raw);
  }
  try {
    merge(root_, toml::parse(path + " = " + raw, label));
  } catch (const toml::parse_error& e) {
    errors.add({label, 0, 0}, std::string(e.description()));
  }
}

void ConfigFile::validate_structure(const Schema& kernel, const Schema& broker,
                                    const Schema& core, ErrorList& errors) {
  static const std::vector<std::string> kSections{"kernel", "broker", "core", "plugins"};
  auto section = [&](const char* name) -> const toml::table* {
    const toml::node* n = root_.get(name);
    if (n == nullptr) return nullptr;
    if (!n->is_table()) {
      errors.add(location_of(n->source(), label_),
                 "key '" + std::string(name) + "' must be a table, got " + node_type_name(*n));
      return nullptr;
    }
    return n->as_table();
  };
  for (auto&& [key, node] : root_) {
    std::string name(key.str());
    if (std::find(kSections.begin(), kSections.end(), name) == kSections.end())
      errors.add(location_of(key.source(), label_),
                 "unknown key '" + name + "'; valid keys: " + join(kSections, ", "));
  }
  const toml::table empty;
  const toml::table* k = section("kernel");
  kernel_ = validate_table(k ? *k : empty, kernel, "kernel", {}, label_, errors);
  const toml::table* b = section("broker");
  broker_ = validate_table(b ? *b : empty, broker, "broker", {}, label_, errors);
  const toml::table* c = section("core");
  core_ = validate_table(c ? *c : empty, core, "core", {}, label_, errors);

  plugins_.clear();
  const toml::table* p = section("plugins");
  if (p == nullptr) return;
  for (auto&& [key, node] : *p) {
    PluginBlock block;
    block.instance = std::string(key.str());
    block.where = location_of(node.source(), label_);
    const toml::table* t = node.as_table();
    if (t == nullptr) {
      errors.add(block.where, "key 'plugins." + block.instance + "' must be a table, got " +
                                  node_type_name(node));
      continue;
    }
    const toml::node* lib = t->get("library");
    if (lib == nullptr) {
      errors.add(block.where, "missing required key 'plugins." + block.instance + ".library'");
      continue;
    }
    block.library_where = location_of(lib->source(), label_);
    if (!lib->is_string() || lib->value<std::string>()->empty()) {
      errors.add(block.library_where, "key 'plugins." + block.instance +
                                          ".library' must be a non-empty string, got " +
                                          toml_text(*lib));
      continue;
    }
    block.library = *lib->value<std::string>();
    plugins_.push_back(std::move(block));
  }
  // TOML tables iterate by key; the file's order is the operator's intent
  // (and the start order between instances that do not require each other).
  std::stable_sort(plugins_.begin(), plugins_.end(), [](const PluginBlock& x, const PluginBlock& y) {
    return x.where.line < y.where.line;
  });
}

Values ConfigFile::validate_plugin(const PluginBlock& block, const Schema& schema,
                                   ErrorList& errors) const {
  const toml::table* t = root_["plugins"][block.instance].as_table();
  static const toml::table empty;
  return validate_table(t ? *t : empty, schema, "plugins." + block.instance, {"library"}, label_,
                        errors);
}

std::string ConfigFile::directory() const {
  std::filesystem::path p(label_);
  return p.has_parent_path() ? p.parent_path().string() : std::string(".");
}

}  // namespace ferry::config
