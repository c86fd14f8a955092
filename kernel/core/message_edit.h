#pragma once
// Pre-append hooks (delay, transaction plugins) and the edit handle they get.
// The core owns the ABI's opaque ferry_message_edit; the kernel points the
// host table's edit_* entries at the functions below.
#include <ferry/host.h>
#include <ferry/message.h>

#include <string>
#include <string_view>
#include <vector>

// Completes the ABI's opaque type. Valid only during one hook call chain.
struct ferry_message_edit {
  ferry_message msg{};         // what edit_message returns
  std::string topic;           // owned copies once edited
  std::string properties;
  bool topic_owned = false;
  bool properties_owned = false;
};

namespace ferry::core {

// Every message is passed through the hooks whose property it carries, in
// registration order, before storage assigns its queue offset.
class PreAppendHooks {
 public:
  void add(std::string property, ferry_pre_append_fn fn, void* user_data);
  bool empty() const { return hooks_.empty(); }
  // Runs the hooks that apply to *msg. When one edits it, *msg is replaced by
  // a message whose slices point into *edit (which must outlive its use).
  // Non-OK: the first refusal; *why names the property.
  ferry_status apply(ferry_message* msg, ferry_message_edit* edit, std::string* why) const;

 private:
  struct Hook {
    std::string property;
    ferry_pre_append_fn fn;
    void* user_data;
  };
  std::vector<Hook> hooks_;
};

namespace edit {
const ferry_message* message(ferry_message_edit* e);
ferry_bool get_property(ferry_message_edit* e, const char* name, ferry_slice* value);
ferry_status set_property(ferry_message_edit* e, const char* name, ferry_slice value);
ferry_status remove_property(ferry_message_edit* e, const char* name);
ferry_status set_topic(ferry_message_edit* e, ferry_slice topic);
ferry_status set_queue(ferry_message_edit* e, int32_t queue_id);
ferry_status set_sys_flag(ferry_message_edit* e, int32_t sys_flag);
}  // namespace edit

}  // namespace ferry::core
