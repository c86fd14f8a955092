#include "message_edit.h"

#include <ferry/record.h>

namespace ferry::core {
namespace {

std::string_view view(ferry_slice s) {
  return s.len ? std::string_view(static_cast<const char*>(s.data), s.len) : std::string_view();
}

// Properties without the pair named `name`.
std::string without(std::string_view props, std::string_view name) {
  std::string out;
  out.reserve(props.size());
  while (!props.empty()) {
    size_t end = props.find(FERRY_PROP_SEP);
    std::string_view pair = props.substr(0, end);
    props.remove_prefix(end == std::string_view::npos ? props.size() : end + 1);
    size_t sep = pair.find(FERRY_PROP_NAME_VALUE_SEP);
    if (sep != std::string_view::npos && pair.substr(0, sep) == name) continue;
    out.append(pair);
    out.push_back(FERRY_PROP_SEP);
  }
  return out;
}

bool clean(std::string_view s) {
  return s.find(FERRY_PROP_NAME_VALUE_SEP) == std::string_view::npos &&
         s.find(FERRY_PROP_SEP) == std::string_view::npos;
}

}  // namespace

void MessageEdit::begin(const ferry_message& msg) {
  msg_ = msg;
  topic_owned_ = properties_owned_ = false;
}

void MessageEdit::own_properties() {
  if (!properties_owned_) {
    properties_ = std::string(view(msg_.properties));
    properties_owned_ = true;
  }
}

void MessageEdit::repoint() {
  if (properties_owned_) msg_.properties = {properties_.data(), properties_.size()};
  if (topic_owned_) msg_.topic = {topic_.data(), topic_.size()};
}

bool MessageEdit::get_property(const char* name, ferry_slice* value) const {
  return name && ferry_property_find(msg_.properties, name, value);
}

ferry_status MessageEdit::set_property(const char* name, ferry_slice value) {
  if (!name || !*name || !clean(name) || !clean(view(value))) return FERRY_E_INVALID_ARGUMENT;
  own_properties();
  properties_ = without(properties_, name);
  properties_.append(name);
  properties_.push_back(FERRY_PROP_NAME_VALUE_SEP);
  properties_.append(view(value));
  properties_.push_back(FERRY_PROP_SEP);
  repoint();
  return FERRY_OK;
}

ferry_status MessageEdit::remove_property(const char* name) {
  if (!name) return FERRY_E_INVALID_ARGUMENT;
  own_properties();
  properties_ = without(properties_, name);
  repoint();
  return FERRY_OK;
}

ferry_status MessageEdit::set_topic(ferry_slice topic) {
  if (topic.len == 0 || topic.len > FERRY_RECORD_MAX_TOPIC) return FERRY_E_INVALID_NAME;
  topic_ = std::string(view(topic));
  topic_owned_ = true;
  repoint();
  return FERRY_OK;
}

ferry_status MessageEdit::set_queue(int32_t queue_id) {
  if (queue_id < -1) return FERRY_E_INVALID_ARGUMENT;
  msg_.queue_id = queue_id;
  return FERRY_OK;
}

ferry_status MessageEdit::set_sys_flag(int32_t sys_flag) {
  msg_.sys_flag = sys_flag;
  return FERRY_OK;
}

void PreAppendHooks::add(std::string property, PreAppendHook hook) {
  hooks_.push_back(Hook{std::move(property), std::move(hook)});
}

ferry_status PreAppendHooks::apply(ferry_message* msg, MessageEdit* e, std::string* why) const {
  bool started = false;
  for (const auto& h : hooks_) {
    ferry_slice value;
    ferry_slice props = started ? e->message()->properties : msg->properties;
    if (!ferry_property_find(props, h.property.c_str(), &value)) continue;
    if (!started) {
      e->begin(*msg);
      started = true;
    }
    ferry_status s = FERRY_E_INTERNAL;
    try {
      s = h.fn(*e);
    } catch (...) {
      s = FERRY_E_INTERNAL;
    }
    if (s != FERRY_OK) {
      *why = "message refused by the pre-append hook for property " + h.property + ": " +
             ferry_status_str(s);
      return s;
    }
  }
  if (started) *msg = *e->message();
  return FERRY_OK;
}

}  // namespace ferry::core
