/* Compiles ferry/client.h as strict C11 (-Wpedantic -Werror): the header
 * must stay plain C for every FFI. */
#include "ferry/client.h"

int ferry_client_header_check(void);
int ferry_client_header_check(void) {
  ferry_send_result r = FERRY_STRUCT_INIT(ferry_send_result);
  return (int)r.struct_size + (int)sizeof(ferry_queue_ref) + (int)sizeof(ferry_topic_settings);
}
