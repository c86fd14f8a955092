#include "ferry/net/close_loop.h"

namespace ferry::net {

bool close_loop(uv_loop_t* loop) {
  if (uv_loop_close(loop) == 0) return true;
  // Someone left handles open: close them so the loop can be closed at all.
  uv_walk(
      loop,
      [](uv_handle_t* h, void*) {
        if (!uv_is_closing(h)) uv_close(h, nullptr);
      },
      nullptr);
  uv_run(loop, UV_RUN_DEFAULT);
  uv_loop_close(loop);
  return false;
}

}  // namespace ferry::net
