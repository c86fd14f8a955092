#pragma once
// The core's view of one incoming request, independent of the transport:
// the kernel adapts kernel/net's requests to this (and tests fake it).
//
// Ownership: the core takes a Request by unique_ptr and answers it exactly
// once with respond(); payload() and attachment() stay valid until then. A
// request held by the core (a long poll, a send waiting for its watermark)
// keeps its frame alive that long. After respond() the transport has taken
// its state back: payload() and attachment() are empty and conn_id() is 0 —
// read what the rest of the work needs before answering.
#include <ferry/abi.h>
#include <ferry/status.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ferry::core {

// Keeps bytes alive until the transport has written them (or dropped them
// when the connection closed): calls release(ctx) exactly once, on
// destruction, from whatever thread destroys it.
class Keep {
 public:
  using ReleaseFn = void (*)(void* ctx);
  Keep() = default;
  Keep(ReleaseFn release, void* ctx) : release_(release), ctx_(ctx) {}
  Keep(Keep&& o) noexcept : release_(std::exchange(o.release_, nullptr)), ctx_(o.ctx_) {}
  Keep& operator=(Keep&& o) noexcept {
    if (this != &o) {
      reset();
      release_ = std::exchange(o.release_, nullptr);
      ctx_ = o.ctx_;
    }
    return *this;
  }
  Keep(const Keep&) = delete;
  Keep& operator=(const Keep&) = delete;
  ~Keep() { reset(); }
  void reset() {
    if (auto fn = std::exchange(release_, nullptr)) fn(ctx_);
  }

 private:
  ReleaseFn release_ = nullptr;
  void* ctx_ = nullptr;
};

// An answer. payload and attachment are views; `keep` owns what they point
// at, so the transport can write them without copying (a pull's records are
// slices of the mapped log) and destroy the Response after the write.
// A payload no keep owns (a single-message send's answer, patched in one
// buffer per core) is valid only during respond(): the transport copies it.
struct Response {
  ferry_status status = FERRY_OK;
  std::string message;                 // human text; empty on success
  ferry_slice payload{};               // a core.fbs table, or empty
  std::vector<ferry_slice> attachment; // written after the payload, in order
  std::vector<Keep> keep;

  static Response error(ferry_status s, std::string text) {
    Response r;
    r.status = s;
    r.message = std::move(text);
    return r;
  }
};

class Request {
 public:
  virtual ~Request() = default;
  virtual uint32_t code() const = 0;
  virtual ferry_slice payload() const = 0;
  virtual ferry_slice attachment() const = 0;
  virtual uint64_t conn_id() const = 0;
  virtual std::string_view peer() const = 0;  // "ip:port"
  virtual bool oneway() const = 0;
  // What Core::peek returned for this request when the net layer showed it
  // ahead (a send: its topic's hash); 0 when it was not shown. A hint.
  virtual uint64_t peek_hint() const { return 0; }
  // Answer (a oneway request: only frees it). Called once, on the loop.
  virtual void respond(Response&& response) = 0;
};

using RequestPtr = std::unique_ptr<Request>;

}  // namespace ferry::core
