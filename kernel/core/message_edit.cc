#include "message_edit.h"

#include <ferry/record.h>

#include <cstring>

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

void own_properties(ferry_message_edit* e) {
  if (!e->properties_owned) {
    e->properties = std::string(view(e->msg.properties));
    e->properties_owned = true;
  }
}

void repoint(ferry_message_edit* e) {
  if (e->properties_owned) e->msg.properties = {e->properties.data(), e->properties.size()};
  if (e->topic_owned) e->msg.topic = {e->topic.data(), e->topic.size()};
}

bool clean(std::string_view s) {
  return s.find(FERRY_PROP_NAME_VALUE_SEP) == std::string_view::npos &&
         s.find(FERRY_PROP_SEP) == std::string_view::npos;
}

}  // namespace

void PreAppendHooks::add(std::string property, ferry_pre_append_fn fn, void* user_data) {
  hooks_.push_back(Hook{std::move(property), fn, user_data});
}

ferry_status PreAppendHooks::apply(ferry_message* msg, ferry_message_edit* e, std::string* why) const {
  bool started = false;
  for (const auto& h : hooks_) {
    ferry_slice value;
    ferry_slice props = started ? e->msg.properties : msg->properties;
    if (!ferry_property_find(props, h.property.c_str(), &value)) continue;
    if (!started) {
      e->msg = *msg;
      e->topic_owned = e->properties_owned = false;
      started = true;
    }
    ferry_status s = h.fn(h.user_data, e);
    if (s != FERRY_OK) {
      *why = "message refused by the pre-append hook for property " + h.property + ": " +
             ferry_status_str(s);
      return s;
    }
  }
  if (started) *msg = e->msg;
  return FERRY_OK;
}

namespace edit {

const ferry_message* message(ferry_message_edit* e) { return &e->msg; }

ferry_bool get_property(ferry_message_edit* e, const char* name, ferry_slice* value) {
  return ferry_property_find(e->msg.properties, name, value);
}

ferry_status set_property(ferry_message_edit* e, const char* name, ferry_slice value) {
  try {
    if (!name || !*name || !clean(name) || !clean(view(value))) return FERRY_E_INVALID_ARGUMENT;
    own_properties(e);
    e->properties = without(e->properties, name);
    e->properties.append(name);
    e->properties.push_back(FERRY_PROP_NAME_VALUE_SEP);
    e->properties.append(view(value));
    e->properties.push_back(FERRY_PROP_SEP);
    repoint(e);
    return FERRY_OK;
  } catch (...) {
    return FERRY_E_NO_MEMORY;
  }
}

ferry_status remove_property(ferry_message_edit* e, const char* name) {
  try {
    if (!name) return FERRY_E_INVALID_ARGUMENT;
    own_properties(e);
    e->properties = without(e->properties, name);
    repoint(e);
    return FERRY_OK;
  } catch (...) {
    return FERRY_E_NO_MEMORY;
  }
}

ferry_status set_topic(ferry_message_edit* e, ferry_slice topic) {
  try {
    if (topic.len == 0 || topic.len > FERRY_RECORD_MAX_TOPIC) return FERRY_E_INVALID_NAME;
    e->topic = std::string(view(topic));
    e->topic_owned = true;
    repoint(e);
    return FERRY_OK;
  } catch (...) {
    return FERRY_E_NO_MEMORY;
  }
}

ferry_status set_queue(ferry_message_edit* e, int32_t queue_id) {
  if (queue_id < -1) return FERRY_E_INVALID_ARGUMENT;
  e->msg.queue_id = queue_id;
  return FERRY_OK;
}

ferry_status set_sys_flag(ferry_message_edit* e, int32_t sys_flag) {
  e->msg.sys_flag = sys_flag;
  return FERRY_OK;
}

}  // namespace edit
}  // namespace ferry::core
