#pragma once
// Topic and group name rules (RocketMQ's): 1..127 bytes of [A-Za-z0-9_%|-].
// System topics use reserved prefixes that users may not create or send to.
#include <ferry/status.h>

#include <string>
#include <string_view>

namespace ferry::core {

inline constexpr size_t kMaxNameLength = 127;  // record TOPICLENGTH is one byte

// Reserved prefixes of system topics (retry, dead letters, delay, half messages).
inline constexpr std::string_view kRetryPrefix = "%RETRY%";
inline constexpr std::string_view kDlqPrefix = "%DLQ%";
inline constexpr std::string_view kSystemPrefix = "RMQ_SYS_";
inline constexpr std::string_view kScheduleTopic = "SCHEDULE_TOPIC_XXXX";

// FERRY_OK, FERRY_E_INVALID_NAME with *why filled ("topic name 'a b' has
// invalid character ' ' at 1; allowed: letters, digits, _ - % |").
ferry_status check_name(std::string_view kind, std::string_view name, std::string* why);

// True for names under a reserved prefix.
bool is_system_topic(std::string_view name);

}  // namespace ferry::core
