#pragma once
// Pre-append hooks (delay, transaction plugins) and the edit they work on.
// The ABI's opaque ferry_message_edit belongs to the kernel (its host table
// hands plugins an object that forwards to a core::MessageEdit); the core only
// knows this class, so it never defines an ABI type.
#include <ferry/message.h>
#include <ferry/status.h>

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace ferry::core {

// One message being edited. Edits copy what they change; msg's slices then
// point into this object, which must outlive the append.
class MessageEdit {
 public:
  void begin(const ferry_message& msg);
  const ferry_message* message() const { return &msg_; }
  bool get_property(const char* name, ferry_slice* value) const;
  ferry_status set_property(const char* name, ferry_slice value);
  ferry_status remove_property(const char* name);
  ferry_status set_topic(ferry_slice topic);
  ferry_status set_queue(int32_t queue_id);
  ferry_status set_sys_flag(int32_t sys_flag);

 private:
  void own_properties();
  void repoint();

  ferry_message msg_{};
  std::string topic_;
  std::string properties_;
  bool topic_owned_ = false;
  bool properties_owned_ = false;
};

// A hook: non-OK refuses the message with that status.
using PreAppendHook = std::function<ferry_status(MessageEdit&)>;

// Every message is passed through the hooks whose property it carries, in
// registration order, before storage assigns its queue offset.
class PreAppendHooks {
 public:
  void add(std::string property, PreAppendHook hook);
  bool empty() const { return hooks_.empty(); }
  // Runs the hooks that apply to *msg. When one ran, *msg is replaced by the
  // edited message, whose slices may point into *edit. Non-OK: the first
  // refusal; *why names the property.
  ferry_status apply(ferry_message* msg, MessageEdit* edit, std::string* why) const;

 private:
  struct Hook {
    std::string property;
    PreAppendHook fn;
  };
  std::vector<Hook> hooks_;
};

}  // namespace ferry::core
