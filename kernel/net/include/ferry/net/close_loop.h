#pragma once
// close_loop: the end of a libuv loop whose run returned, for ferryd's loop
// and LoopThread alike.
#include <uv.h>

namespace ferry::net {

// [the loop's thread, after its run returned] uv_loop_close; handles someone
// left open are closed first (their close callbacks run), and then the
// answer is false: a leak in the caller worth reporting.
bool close_loop(uv_loop_t* loop);

}  // namespace ferry::net
