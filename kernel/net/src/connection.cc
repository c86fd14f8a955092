#include "connection.h"

#include <algorithm>
#include <cstring>

#include "ferry/net/address.h"

namespace ferry::net {

namespace {
// Room for the envelope's fixed fields when checking a frame against the limit
// before encoding it.
constexpr size_t kEnvelopeOverhead = 96;
// Free request states kept per connection. A pipelined producer has its
// whole window (256 sends in compare.sh) read and held within a loop turn
// or two: with 16, most of a turn's sends allocated a state and its copy
// buffer and freed both when answered. A quiet connection keeps only what
// it once had outstanding (each state's copy is at most request_copy_bytes).
constexpr size_t kPooledStates = 256;
}  // namespace

std::unique_ptr<detail::RequestState> Connection::take_state(
    const std::shared_ptr<ResponseGate>& gate) {
  if (!states_.empty()) {
    auto s = std::move(states_.back());
    states_.pop_back();
    return s;
  }
  auto s = std::make_unique<detail::RequestState>();
  ++states_allocated_;
  s->gate = gate;
  s->peer = peer_;
  return s;
}

void Connection::put_state(std::unique_ptr<detail::RequestState> s) {
  if (states_.size() >= kPooledStates || closing_) return;  // freed here
  s->block.reset();
  states_.push_back(std::move(s));
}

// Callbacks run inside libuv's C callbacks: nothing may unwind through them.
void Connection::deliver(ResponseFn& fn, const Response& r) {
  if (!fn) return;
  try {
    fn(r);
  } catch (const std::exception& e) {
    log(FERRY_LOG_ERROR, std::string("response callback threw: ") + e.what());
  } catch (...) {
    log(FERRY_LOG_ERROR, "response callback threw a non-exception");
  }
}

// Everything one uv_write carries: headers and small attachments copied into
// `bytes`, large attachments written from where they are and released when
// the write completes.
struct Connection::WriteBatch {
  // Growable bytes that are not zeroed first: the encoder sets every byte.
  struct Bytes {
    std::unique_ptr<uint8_t[]> data;
    size_t size = 0;
    size_t capacity = 0;
    uint8_t* grow(size_t n) {
      if (size + n > capacity) {
        const size_t cap = std::max(size + n, std::max<size_t>(capacity * 2, 4096));
        auto fresh = std::make_unique_for_overwrite<uint8_t[]>(cap);
        if (size > 0) std::memcpy(fresh.get(), data.get(), size);
        data = std::move(fresh);
        capacity = cap;
      }
      uint8_t* at = data.get() + size;
      size += n;
      return at;
    }
  };
  struct Piece {
    const uint8_t* external;  // null: bytes[offset, offset + len)
    size_t offset;
    size_t len;
  };
  uv_write_t req{};
  Connection* conn = nullptr;
  Bytes bytes;
  std::vector<Piece> pieces;
  std::vector<Attachment> attachments;
  std::vector<uv_buf_t> bufs;
  size_t total = 0;
  uint64_t frames = 0;

  void add_bytes(size_t offset, size_t len) {
    if (!pieces.empty() && pieces.back().external == nullptr &&
        pieces.back().offset + pieces.back().len == offset) {
      pieces.back().len += len;
    } else {
      pieces.push_back(Piece{nullptr, offset, len});
    }
  }
  void clear() {
    bytes.size = 0;
    pieces.clear();
    attachments.clear();  // releases borrowed slices
    bufs.clear();
    total = 0;
    frames = 0;
  }
};

Connection::Connection(uv_loop_t* loop, ConnectionHost& host, uint64_t id,
                       const ConnectionLimits& limits)
    : loop_(loop),
      host_(host),
      id_(id),
      limits_(limits),
      peer_(std::make_shared<const std::string>("?")),
      rbuf_(limits.read_buffer_bytes),
      decoder_(limits.max_frame_bytes),
      peeker_(limits.max_frame_bytes) {
  uv_tcp_init(loop_, &tcp_);
  uv_timer_init(loop_, &timer_);
  tcp_.data = this;
  timer_.data = this;
  open_handles_ = 2;
  last_activity_ms_ = uv_now(loop_);
}

Connection::~Connection() = default;

int Connection::start() {
  sockaddr_storage sa{};
  int len = sizeof(sa);
  if (uv_tcp_getpeername(&tcp_, reinterpret_cast<sockaddr*>(&sa), &len) == 0) {
    peer_ = std::make_shared<const std::string>(format_address(reinterpret_cast<sockaddr*>(&sa)));
  }
  uv_tcp_nodelay(&tcp_, 1);
  started_ = true;
  last_activity_ms_ = uv_now(loop_);
  const int rc = uv_read_start(stream(), &Connection::on_alloc, &Connection::on_read);
  reading_ = rc == 0;
  return rc;
}

void Connection::log(ferry_log_level level, const std::string& line) {
  host_.conn_log(level, "conn " + std::to_string(id_) + " peer " + *peer_ + ": " + line);
}

bool Connection::may_dispatch() const {
  return inflight_ < limits_.max_inflight_requests &&
         pending_write_bytes() < limits_.max_pending_write_bytes;
}

void Connection::on_alloc(uv_handle_t* h, size_t, uv_buf_t* buf) {
  auto* c = static_cast<Connection*>(h->data);
  size_t frame = 0;
  if (c->rbuf_.size() >= 4) {
    frame = std::min<size_t>(size_t{load_be32(c->rbuf_.data())} + 4, c->limits_.max_frame_bytes);
  }
  *buf = c->rbuf_.prepare(frame);
}

void Connection::on_read(uv_stream_t* s, ssize_t nread, const uv_buf_t*) {
  auto* c = static_cast<Connection*>(s->data);
  if (nread > 0) {
    c->rbuf_.commit(static_cast<size_t>(nread));
    c->last_activity_ms_ = uv_now(c->loop_);
    c->process();
    // Answers (and, on a client, the requests its callbacks sent) produced
    // by this read go out now, not at the end of the loop iteration: the
    // peer starts on them while this loop reads its other connections. Still
    // one write for all of them; anything queued later in the iteration
    // goes with the check-phase flush.
    if (c->staged_ && !c->closing_) c->flush();
    return;
  }
  if (nread == 0) return;  // EAGAIN
  if (c->rbuf_.size() > 0) {
    c->bad_frame_ = true;
    c->close("bad frame: truncated (stream ended " + std::to_string(c->rbuf_.size()) +
                 " bytes into a frame)",
             FERRY_LOG_WARN);
  } else if (nread == UV_EOF) {
    c->close("closed by peer", FERRY_LOG_DEBUG);
  } else {
    c->close(std::string("read failed: ") + uv_strerror(static_cast<int>(nread)), FERRY_LOG_INFO);
  }
}

void Connection::process() {
  if (in_process_) return;
  in_process_ = true;
  // A read of several requests: the host sees up to `ahead` of them before
  // each is handled (conn_peek), so their cold loads overlap the handling of
  // the ones before. `peeked` bytes / `in_window` frames from data() on have
  // been shown (the frame being handled included). The look-ahead's views of
  // the frames after the one handled are kept (`views` of them in
  // ahead_views_ from `next_view`) and handled as they are, with what the
  // host said of them (peek_hint): each frame is decoded once (same limits;
  // the bytes do not move while process() runs).
  const uint32_t ahead = host_.peek_ahead();
  // One slot more than the window: the frame being handled keeps its slot
  // while the look-ahead fills the others.
  if (ahead > 0 && ahead_views_.size() < size_t{ahead} + 1) ahead_views_.resize(size_t{ahead} + 1);
  const size_t ring = ahead_views_.size();
  size_t peeked = 0;
  uint32_t in_window = 0;
  size_t next_view = 0;  // ring slot of the next frame's view
  uint32_t views = 0;    // views kept, from next_view on
  FrameView decoded;
  while (!closing_ && !stopped_ && rbuf_.size() > 0) {
    const FrameView* fp = &decoded;
    if (views > 0) {
      fp = &ahead_views_[next_view];
      next_view = next_view + 1 == ring ? 0 : next_view + 1;
      --views;
    } else {
      const DecodeStatus st = decoder_.decode(rbuf_.data(), rbuf_.size(), &decoded);
      decoded.peek_hint = 0;
      if (st == DecodeStatus::kNeedMore) break;
      if (st == DecodeStatus::kError) {
        in_process_ = false;
        bad_frame_ = true;
        close("bad frame: " + decoder_.error(), FERRY_LOG_WARN);
        return;
      }
    }
    const FrameView& f = *fp;
    // Requests wait in the buffer while the caps are reached; answers to
    // our own requests never do (they free, not take, resources).
    if (!f.is_response() && !may_dispatch()) break;
    if (ahead > 0 && (in_window > 0 || rbuf_.size() > f.frame_bytes)) {
      if (in_window == 0) {  // the frame being handled needs no look
        peeked = f.frame_bytes;
        in_window = 1;
      }
      // views = in_window - 1 < ahead: the slot written is neither a kept
      // view nor f's (ring = ahead + 1).
      for (; in_window <= ahead && peeked < rbuf_.size(); ++in_window) {
        size_t slot = next_view + views;
        if (slot >= ring) slot -= ring;
        FrameView& next = ahead_views_[slot];
        if (peeker_.decode(rbuf_.data() + peeked, rbuf_.size() - peeked, &next) !=
            DecodeStatus::kFrame)
          break;
        ++views;
        next.peek_hint = next.is_response() ? 0 : host_.conn_peek(*this, next);
        peeked += next.frame_bytes;
      }
    }
    rbuf_.consume(f.frame_bytes);
    if (in_window > 0) {
      --in_window;
      peeked -= f.frame_bytes;
    }
    if (f.is_response()) {
      ResponseFn fn;
      if (pending_.take(f.request_id, &fn)) {
        Response r;
        r.status = static_cast<ferry_status>(f.status);
        r.message = f.message;
        r.payload = f.payload;
        r.attachment = f.attachment;
        r.buffer = &rbuf_;
        deliver(fn, r);
      } else {
        log(FERRY_LOG_DEBUG, "answer to unknown request " + std::to_string(f.request_id) +
                                 " (timed out?) ignored");
      }
    } else {
      if (!f.is_oneway()) ++inflight_;
      ++dispatched_;
      host_.conn_request(*this, f);
    }
  }
  in_process_ = false;
  if (!closing_) set_reading(!stopped_ && may_dispatch());
}

void Connection::set_reading(bool want) {
  if (want == reading_ || closing_ || !started_) return;
  if (want) {
    reading_ = uv_read_start(stream(), &Connection::on_alloc, &Connection::on_read) == 0;
  } else {
    uv_read_stop(stream());
    reading_ = false;
    if (!stopped_) ++read_pauses_;
  }
}

void Connection::update_reading() {
  if (closing_ || !started_ || in_process_) return;
  if (!stopped_ && may_dispatch() && rbuf_.size() > 0) {
    process();  // requests left in the buffer by backpressure; ends with set_reading
    return;
  }
  set_reading(!stopped_ && may_dispatch());
}

void Connection::note_pending() {
  max_pending_seen_ = std::max(max_pending_seen_, pending_write_bytes());
}

void Connection::stage_frame(const EnvelopeFields& f, Attachment&& attachment) {
  if (!staged_) {
    if (!spare_.empty()) {
      staged_ = std::move(spare_.back());
      spare_.pop_back();
    } else {
      staged_ = std::make_unique<WriteBatch>();
    }
  }
  WriteBatch& b = *staged_;
  const size_t at = b.bytes.size;
  const size_t head = FrameEncoder::encoded_bytes(f);
  FrameEncoder::write(f, attachment.size(), b.bytes.grow(head));
  b.add_bytes(at, head);
  const size_t att = attachment.size();
  if (att > 0 && att <= limits_.attachment_copy_threshold) {
    for (size_t i = 0; i < attachment.slice_count(); ++i) {
      const auto& s = attachment.slice(i);
      if (s.iov_len == 0) continue;
      const size_t off = b.bytes.size;
      std::memcpy(b.bytes.grow(s.iov_len), s.iov_base, s.iov_len);
      b.add_bytes(off, s.iov_len);
    }
    attachment.reset();
  } else if (att > 0) {
    for (size_t i = 0; i < attachment.slice_count(); ++i) {
      const auto& s = attachment.slice(i);
      b.pieces.push_back(WriteBatch::Piece{static_cast<const uint8_t*>(s.iov_base), 0, s.iov_len});
    }
    b.attachments.push_back(std::move(attachment));
  }
  b.total += head + att;
  ++b.frames;
  staged_bytes_ += head + att;
  note_pending();
  if (!dirty) host_.conn_dirty(*this);
}

void Connection::queue_response(uint64_t request_id, uint32_t code, ferry_status status,
                                std::string_view message, std::span<const uint8_t> payload,
                                Attachment&& attachment) {
  if (closing_) return;  // the attachment is released on return
  if (inflight_ > 0) --inflight_;
  if (kFramePrefixBytes + kEnvelopeOverhead + message.size() + payload.size() + attachment.size() >
      limits_.max_frame_bytes) {
    log(FERRY_LOG_WARN, "answer to request code " + std::to_string(code) + " exceeds max_frame_bytes (" +
                            std::to_string(limits_.max_frame_bytes) + "); sent FERRY_E_TOO_LARGE");
    attachment.reset();
    status = FERRY_E_TOO_LARGE;
    message = "answer exceeds max_frame_bytes";
    payload = {};
  }
  stage_frame(EnvelopeFields{request_id, code, kFlagResponse, status, message, payload},
              std::move(attachment));
  update_reading();
}

ferry_status Connection::send_request(uint32_t code, std::span<const uint8_t> payload,
                                      Attachment&& attachment, uint32_t timeout_ms, bool oneway,
                                      ResponseFn fn) {
  if (closing_ || !started_) return FERRY_E_NOT_CONNECTED;
  if (kFramePrefixBytes + kEnvelopeOverhead + payload.size() + attachment.size() >
      limits_.max_frame_bytes) {
    return FERRY_E_TOO_LARGE;
  }
  if (oneway) {
    stage_frame(EnvelopeFields{0, code, kFlagOneway, 0, {}, payload}, std::move(attachment));
    return FERRY_OK;
  }
  const uint64_t deadline = uv_now(loop_) + timeout_ms;
  const uint64_t id = pending_.add(std::move(fn), deadline);
  stage_frame(EnvelopeFields{id, code, 0, 0, {}, payload}, std::move(attachment));
  // Usually a later deadline than the armed one: nothing to do.
  if (armed_deadline_ == 0 || deadline < armed_deadline_) arm_timer();
  return FERRY_OK;
}

void Connection::flush() {
  if (!staged_ || closing_) return;
  std::unique_ptr<WriteBatch> b = std::move(staged_);
  b->bufs.reserve(b->pieces.size());
  for (const auto& p : b->pieces) {
    const uint8_t* base = p.external ? p.external : b->bytes.data.get() + p.offset;
    b->bufs.push_back(uv_buf_init(const_cast<char*>(reinterpret_cast<const char*>(base)),
                                  static_cast<unsigned>(p.len)));
  }
  staged_bytes_ -= b->total;
  ++writes_;
  frames_written_ += b->frames;
  // Nothing queued in libuv: try the socket directly. A completed uv_write
  // costs a deferred callback and an epoll_ctl on its way out; most
  // batches fit in the socket buffer and need neither.
  size_t skip = 0;
  if (writing_bytes_ == 0) {
    const int n = uv_try_write(stream(), b->bufs.data(), static_cast<unsigned>(b->bufs.size()));
    if (n == static_cast<int>(b->total)) {
      b->clear();  // releases borrowed attachments: the socket has the bytes
      if (spare_.size() < 4) spare_.push_back(std::move(b));
      update_reading();
      return;
    }
    if (n > 0) skip = static_cast<size_t>(n);
    // A hard error (the peer reset, ...): the connection is dead. Writing
    // the batch again through uv_write would only hit the socket a second
    // time — after a reset that second write is the one that raises SIGPIPE.
    if (n < 0 && n != UV_EAGAIN && n != UV_ENOSYS) {
      b->clear();
      close(std::string("write failed: ") + uv_strerror(n), FERRY_LOG_INFO);
      return;
    }
  }
  if (skip > 0) {
    // Drop what the socket took; the rest goes through uv_write.
    size_t first = 0;
    while (skip >= b->bufs[first].len) skip -= b->bufs[first++].len;
    b->bufs.erase(b->bufs.begin(), b->bufs.begin() + static_cast<long>(first));
    b->bufs[0].base += skip;
    b->bufs[0].len -= skip;
    b->total = 0;
    for (const auto& buf : b->bufs) b->total += buf.len;
  }
  writing_bytes_ += b->total;
  b->conn = this;
  b->req.data = b.get();
  const int rc = uv_write(&b->req, stream(), b->bufs.data(), static_cast<unsigned>(b->bufs.size()),
                          &Connection::on_write);
  if (rc != 0) {
    writing_bytes_ -= b->total;
    close(std::string("write failed: ") + uv_strerror(rc), FERRY_LOG_INFO);
    return;  // b released here: the callback is never called on error
  }
  b.release();  // owned by the write request until on_write
}

void Connection::on_write(uv_write_t* req, int status) {
  std::unique_ptr<WriteBatch> b(static_cast<WriteBatch*>(req->data));
  Connection* c = b->conn;
  c->writing_bytes_ -= b->total;
  b->clear();
  if (c->spare_.size() < 4) c->spare_.push_back(std::move(b));
  if (status < 0) {
    if (!c->closing_) c->close(std::string("write failed: ") + uv_strerror(status), FERRY_LOG_INFO);
    return;
  }
  c->update_reading();
}

void Connection::arm_timer() {
  if (closing_) return;
  uint64_t next = 0;
  if (!pending_.next_deadline(&next)) {
    if (armed_deadline_ != 0) uv_timer_stop(&timer_);
    armed_deadline_ = 0;
    return;
  }
  if (armed_deadline_ != 0 && armed_deadline_ <= next) return;
  const uint64_t now = uv_now(loop_);
  uv_timer_start(&timer_, &Connection::on_timer, next > now ? next - now : 0, 0);
  armed_deadline_ = next;
}

void Connection::on_timer(uv_timer_t* t) {
  auto* c = static_cast<Connection*>(t->data);
  c->armed_deadline_ = 0;
  std::vector<ResponseFn> expired;
  c->pending_.take_expired(uv_now(c->loop_), &expired);
  for (auto& fn : expired) {
    Response r;
    r.status = FERRY_E_TIMEOUT;
    r.message = "no answer within the request timeout";
    c->deliver(fn, r);
  }
  c->arm_timer();
}

void Connection::fail_pending(ferry_status status) {
  std::vector<ResponseFn> all;
  pending_.take_all(&all);
  for (auto& fn : all) {
    Response r;
    r.status = status;
    r.message = "connection closed before the answer arrived";
    deliver(fn, r);
  }
}

void Connection::stop_reading() {
  stopped_ = true;
  if (reading_ && !closing_) {
    uv_read_stop(stream());
    reading_ = false;
  }
}

void Connection::close(std::string_view reason, ferry_log_level level) {
  if (closing_) return;
  closing_ = true;
  if (level != FERRY_LOG_OFF) log(level, "closing: " + std::string(reason));
  if (staged_) {
    staged_bytes_ -= staged_->total;
    staged_.reset();  // releases attachments never written
  }
  reading_ = false;
  uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), &Connection::on_close);
  uv_close(reinterpret_cast<uv_handle_t*>(&timer_), &Connection::on_close);
  fail_pending(FERRY_E_CONNECTION_CLOSED);
}

void Connection::on_close(uv_handle_t* h) {
  auto* c = static_cast<Connection*>(h->data);
  if (--c->open_handles_ == 0) c->host_.conn_closed(*c);
}

}  // namespace ferry::net
