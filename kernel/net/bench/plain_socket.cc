#include "plain_socket.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <stdexcept>
#include <thread>

#include "ferry/net/frame.h"

namespace ferry::net::bench {
namespace {

// Frame: u32 total_len (big-endian, bytes after it) | u64 id | padding.
struct Conn {
  int fd = -1;
  std::vector<uint8_t> in;
  size_t in_len = 0;
  std::vector<uint8_t> out;
  size_t out_off = 0;
  std::vector<uint64_t> sent;  // client: send time by id % window
  uint64_t next_id = 0;
  int outstanding = 0;
};

void set_nonblock(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }
void set_nodelay(int fd) {
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

void append_frame(Conn& c, uint64_t id, size_t frame_bytes) {
  const size_t at = c.out.size();
  c.out.resize(at + frame_bytes, 0);
  store_be32(c.out.data() + at, static_cast<uint32_t>(frame_bytes - 4));
  std::memcpy(c.out.data() + at + 4, &id, sizeof(id));
}

// Writes what the socket takes; false on error.
bool flush(Conn& c) {
  while (c.out_off < c.out.size()) {
    const ssize_t n = ::send(c.fd, c.out.data() + c.out_off, c.out.size() - c.out_off, MSG_NOSIGNAL);
    if (n > 0) {
      c.out_off += static_cast<size_t>(n);
    } else if (n < 0 && errno == EAGAIN) {
      break;
    } else {
      return false;
    }
  }
  if (c.out_off == c.out.size()) {
    c.out.clear();
    c.out_off = 0;
  }
  return true;
}

// Reads what is there; calls on_frame(id) per whole frame. false on EOF/error.
template <class F>
bool drain(Conn& c, size_t frame_bytes, F on_frame) {
  for (;;) {
    if (c.in.size() - c.in_len < 65536) c.in.resize(c.in_len + 65536);
    const ssize_t n = ::recv(c.fd, c.in.data() + c.in_len, c.in.size() - c.in_len, 0);
    if (n == 0) return false;
    if (n < 0) return errno == EAGAIN;
    c.in_len += static_cast<size_t>(n);
    size_t off = 0;
    while (c.in_len - off >= frame_bytes) {
      uint64_t id;
      std::memcpy(&id, c.in.data() + off + 4, sizeof(id));
      on_frame(id);
      off += frame_bytes;
    }
    std::memmove(c.in.data(), c.in.data() + off, c.in_len - off);
    c.in_len -= off;
  }
}

}  // namespace

RunResult run_plain(const Scenario& s, size_t frame_bytes, double seconds) {
  const int lfd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(sa);
  if (::bind(lfd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0 || ::listen(lfd, 64) != 0 ||
      ::getsockname(lfd, reinterpret_cast<sockaddr*>(&sa), &len) != 0) {
    throw std::runtime_error("baseline listen failed");
  }
  std::atomic<bool> stop{false};

  // Server: one epoll thread answering every frame with a frame of the same size.
  std::thread server([&] {
    const int ep = ::epoll_create1(0);
    std::vector<Conn> conns(static_cast<size_t>(s.connections));
    for (auto& c : conns) {
      c.fd = ::accept(lfd, nullptr, nullptr);
      set_nonblock(c.fd);
      set_nodelay(c.fd);
      epoll_event ev{EPOLLIN, {.ptr = &c}};
      ::epoll_ctl(ep, EPOLL_CTL_ADD, c.fd, &ev);
    }
    epoll_event evs[64];
    while (!stop.load(std::memory_order_relaxed)) {
      const int n = ::epoll_wait(ep, evs, 64, 50);
      for (int i = 0; i < n; ++i) {
        Conn& c = *static_cast<Conn*>(evs[i].data.ptr);
        drain(c, frame_bytes, [&](uint64_t id) { append_frame(c, id, frame_bytes); });
        flush(c);
      }
    }
    for (auto& c : conns) ::close(c.fd);
    ::close(ep);
  });

  // Client: one epoll thread keeping `window` requests in flight per connection.
  std::vector<Conn> conns(static_cast<size_t>(s.connections));
  const int ep = ::epoll_create1(0);
  for (auto& c : conns) {
    c.fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (::connect(c.fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0) {
      throw std::runtime_error("baseline connect failed");
    }
    set_nonblock(c.fd);
    set_nodelay(c.fd);
    c.sent.resize(static_cast<size_t>(s.window));
    epoll_event ev{EPOLLIN, {.ptr = &c}};
    ::epoll_ctl(ep, EPOLL_CTL_ADD, c.fd, &ev);
  }
  RunResult r;
  r.rtt_ns.reserve(static_cast<size_t>(seconds * 2e6));
  const uint64_t start = now_ns();
  const uint64_t end = start + static_cast<uint64_t>(seconds * 1e9);
  for (auto& c : conns) {
    for (int i = 0; i < s.window; ++i) {
      c.sent[c.next_id % c.sent.size()] = now_ns();
      append_frame(c, c.next_id++, frame_bytes);
      ++c.outstanding;
    }
    flush(c);
  }
  int open = s.connections;
  epoll_event evs[64];
  while (open > 0 && now_ns() < end + 2000000000ull) {
    const int n = ::epoll_wait(ep, evs, 64, 50);
    for (int i = 0; i < n; ++i) {
      Conn& c = *static_cast<Conn*>(evs[i].data.ptr);
      const uint64_t t = now_ns();
      drain(c, frame_bytes, [&](uint64_t id) {
        r.rtt_ns.push_back(static_cast<uint32_t>(t - c.sent[id % c.sent.size()]));
        --c.outstanding;
        if (t < end) {
          c.sent[c.next_id % c.sent.size()] = t;
          append_frame(c, c.next_id++, frame_bytes);
          ++c.outstanding;
        }
      });
      flush(c);
      if (t >= end && c.outstanding == 0) {
        ::epoll_ctl(ep, EPOLL_CTL_DEL, c.fd, nullptr);
        --open;
      }
    }
  }
  r.seconds = (now_ns() - start) / 1e9;
  r.completed = r.rtt_ns.size();
  stop = true;
  server.join();
  for (auto& c : conns) ::close(c.fd);
  ::close(ep);
  ::close(lfd);
  return r;
}

}  // namespace ferry::net::bench
