#pragma once
// Reading a SendRequest's topic before the request is verified: the net
// layer's look-ahead (Core::peek) uses it to prefetch the topic's index slot.
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace ferry::core {

// The topic string of the SendRequest in [b, b + len), or empty when the
// bytes do not lead to one inside that range. Never reads outside it, never
// fails: the bytes are untrusted (handle_send verifies them later). The view
// points into [b, b + len). Any thread; no allocation.
std::string_view peek_send_topic(const uint8_t* b, size_t len);

}  // namespace ferry::core
