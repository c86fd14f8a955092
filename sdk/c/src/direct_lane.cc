#include "direct_lane.h"

#include <ferry/net/address.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cerrno>
#include <cstring>

#include "io.h"

namespace ferry::sdk {
namespace {

// Blocking calls wake at least this often to check the deadline, so a
// deadline is kept within one slice without a poll() before every read.
constexpr uint32_t kSliceMs = 20;
// A lane unused this long is checked for a close by the broker before use.
constexpr uint64_t kIdleCheckMs = 1000;
constexpr size_t kInitialBuffer = 4096;

std::string errno_text(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

bool would_block(int e) { return e == EAGAIN || e == EWOULDBLOCK; }

int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

void DirectLane::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  have_ = consumed_ = 0;
}

bool DirectLane::connect(uint64_t deadline_ms, std::string* why) {
  sockaddr_storage sa{};
  std::string err;
  if (!net::parse_address(addr_, &sa, &err)) {  // a host name: the I/O thread resolves those
    *why = "direct lane: " + err;
    return false;
  }
  int fd = ::socket(sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) {
    *why = errno_text("direct lane socket");
    return false;
  }
  socklen_t len = sa.ss_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), len) != 0 && errno != EINPROGRESS) {
    *why = errno_text(("direct lane connect to " + addr_).c_str());
    ::close(fd);
    return false;
  }
  uint64_t now = mono_ms();
  pollfd p{fd, POLLOUT, 0};
  int wait = static_cast<int>(deadline_ms > now ? deadline_ms - now : 0);
  int soerr = 0;
  socklen_t slen = sizeof soerr;
  if (::poll(&p, 1, wait) != 1 || ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &slen) != 0 || soerr != 0) {
    *why = "direct lane: cannot connect to " + addr_ + (soerr ? std::string(": ") + std::strerror(soerr) : "");
    ::close(fd);
    return false;
  }
  // Blocking from here on, with a slice timeout on both directions.
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  timeval tv{0, static_cast<suseconds_t>(kSliceMs * 1000)};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  fd_ = fd;
  have_ = consumed_ = 0;
  if (buf_.size() < kInitialBuffer) buf_.resize(kInitialBuffer);
  return true;
}

bool DirectLane::open_now(uint64_t deadline_ms, uint32_t connect_timeout_ms, std::string* why) {
  if (fd_ >= 0) return true;
  uint64_t now = mono_ms();
  if (!connect(std::min(deadline_ms, now + connect_timeout_ms), why)) return false;
  last_used_ms_ = mono_ms();  // fresh: the first round trip need not check it
  return true;
}

bool DirectLane::still_open() {
  char c;
  ssize_t n = ::recv(fd_, &c, 1, MSG_PEEK | MSG_DONTWAIT);
  // 0: closed by the broker; data: nothing is owed to us, so the stream is
  // not what we think it is — start a fresh one either way.
  return n < 0 && would_block(errno);
}

DirectLane::Result DirectLane::round_trip(uint32_t code, std::span<const uint8_t> payload,
                                          std::span<const uint8_t> attachment, uint64_t deadline_ms,
                                          uint32_t connect_timeout_ms, net::FrameView* answer, std::string* why) {
  uint64_t now = mono_ms();
  if (fd_ >= 0 && now - last_used_ms_ >= kIdleCheckMs && !still_open()) close();
  if (fd_ < 0 && !connect(std::min(deadline_ms, now + connect_timeout_ms), why)) return Result::kNotSent;
  uint64_t id = next_id_++;
  net::EnvelopeFields f;
  f.request_id = id;
  f.code = code;
  f.payload = payload;
  if (net::FrameEncoder::encoded_bytes(f) + attachment.size() > net::kDefaultMaxFrameBytes) {
    *why = "direct lane: request too large";  // the I/O thread's transport reports it properly
    return Result::kNotSent;
  }
  header_.resize(net::FrameEncoder::encoded_bytes(f));
  net::FrameEncoder::write(f, attachment.size(), header_.data());

  iovec iov[2] = {{header_.data(), header_.size()},
                  {const_cast<uint8_t*>(attachment.data()), attachment.size()}};
  size_t total = header_.size() + attachment.size(), written = 0;
  while (written < total) {
    size_t skip = written;
    iovec v[2];
    int n = 0;
    for (const iovec& part : iov) {
      if (skip >= part.iov_len) {
        skip -= part.iov_len;
        continue;
      }
      v[n++] = {static_cast<uint8_t*>(part.iov_base) + skip, part.iov_len - skip};
      skip = 0;
    }
    msghdr m{};
    m.msg_iov = v;
    m.msg_iovlen = static_cast<size_t>(n);
    ssize_t w = ::sendmsg(fd_, &m, MSG_NOSIGNAL);
    if (w > 0) {
      written += static_cast<size_t>(w);
      continue;
    }
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && would_block(errno) && mono_ms() < deadline_ms) continue;
    bool timed_out = w < 0 && would_block(errno);
    *why = timed_out ? "direct lane: write to " + addr_ + " timed out" : errno_text(("direct lane write to " + addr_).c_str());
    close();
    if (written == 0 && !timed_out) return Result::kNotSent;
    return timed_out ? Result::kTimedOut : Result::kLost;
  }
  return read_answer(id, deadline_ms, answer, why);
}

ssize_t DirectLane::read_some(uint8_t* p, size_t n, int64_t spin_until_ns) {
  if (spin_until_ns > 0) {
    for (;;) {
      ssize_t r = ::recv(fd_, p, n, MSG_DONTWAIT);
      if (r >= 0 || !would_block(errno)) return r;
      if (steady_ns() >= spin_until_ns) break;
    }
  }
  return ::recv(fd_, p, n, 0);
}

DirectLane::Result DirectLane::read_answer(uint64_t request_id, uint64_t deadline_ms, net::FrameView* answer,
                                           std::string* why) {
  // Bytes after the previous answer (none in practice: one request at a time).
  if (consumed_ > 0) {
    std::memmove(buf_.data(), buf_.data() + consumed_, have_ - consumed_);
    have_ -= consumed_;
    consumed_ = 0;
  }
  // The spin window starts once the request is written; how soon the
  // answer came tells the gate whether the next one is worth a spin.
  const uint32_t window_us = gate_.next_window();
  const int64_t start_ns = steady_ns();
  const int64_t spin_until_ns = window_us > 0 ? start_ns + int64_t{window_us} * 1000 : 0;
  for (;;) {
    net::DecodeStatus st = decoder_.decode(buf_.data(), have_, answer);
    if (st == net::DecodeStatus::kError) {
      *why = "direct lane: bad frame from " + addr_ + ": " + decoder_.error();
      close();
      return Result::kLost;
    }
    if (st == net::DecodeStatus::kFrame) {
      if (answer->is_response() && answer->request_id == request_id) {
        consumed_ = answer->frame_bytes;
        const int64_t now_ns = steady_ns();  // mono_ms()'s clock
        gate_.record(static_cast<uint64_t>(now_ns - start_ns) / 1000);
        last_used_ms_ = static_cast<uint64_t>(now_ns / 1'000'000);
        return Result::kAnswered;
      }
      // Not ours (the broker sends this connection no requests: it never
      // heartbeats): skip it.
      std::memmove(buf_.data(), buf_.data() + answer->frame_bytes, have_ - answer->frame_bytes);
      have_ -= answer->frame_bytes;
      continue;
    }
    if (buf_.size() < decoder_.needed()) buf_.resize(decoder_.needed());
    ssize_t n = read_some(buf_.data() + have_, buf_.size() - have_, spin_until_ns);
    if (n > 0) {
      have_ += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && would_block(errno)) {
      if (mono_ms() < deadline_ms) continue;
      *why = "direct lane: no answer from " + addr_ + " by the deadline";
      close();
      return Result::kTimedOut;
    }
    *why = n == 0 ? "direct lane: " + addr_ + " closed the connection" : errno_text(("direct lane read from " + addr_).c_str());
    close();
    return Result::kLost;
  }
}

}  // namespace ferry::sdk
