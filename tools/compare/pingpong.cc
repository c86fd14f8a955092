// compare-pingpong: the raw loopback round trip workload 1 is held against —
// one TCP connection on 127.0.0.1, the client writes a --size body and waits
// for a 64-byte answer before the next, nothing else. Both ends in this
// process (two threads), TCP_NODELAY, blocking sockets: the floor any
// request/response broker pays per synchronous send.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <string>
#include <thread>

#include "gen_common.h"

namespace {

using namespace ferry::compare;

constexpr size_t kAnswerBytes = 64;

struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

bool io_all(int fd, char* p, size_t n, bool write) {
  while (n > 0) {
    ssize_t r = write ? ::send(fd, p, n, MSG_NOSIGNAL) : ::recv(fd, p, n, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    p += r;
    n -= static_cast<size_t>(r);
  }
  return true;
}

void nodelay(int fd) {
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

}  // namespace

int main(int argc, char** argv) {
  GenOptions o;
  o.mode = "pingpong";
  int rc = parse_options(argc, argv, "compare-pingpong", "pingpong", o);
  if (rc >= 0) return rc;
  Fd listener(::socket(AF_INET, SOCK_STREAM, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (listener.fd < 0 || ::bind(listener.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listener.fd, 1) != 0 || ::getsockname(listener.fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    std::perror("compare-pingpong: listen on 127.0.0.1");
    return 3;
  }
  const size_t size = o.size;
  // The server answers until the client closes.
  std::thread server([&listener, size] {
    Fd conn(::accept(listener.fd, nullptr, nullptr));
    if (conn.fd < 0) return;
    nodelay(conn.fd);
    std::string in(size, '\0');
    std::string answer(kAnswerBytes, 'a');
    while (io_all(conn.fd, in.data(), in.size(), false) && io_all(conn.fd, answer.data(), answer.size(), true)) {
    }
  });
  Counters c;
  double elapsed = 0;
  {
    Fd client(::socket(AF_INET, SOCK_STREAM, 0));
    if (client.fd < 0 || ::connect(client.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      std::perror("compare-pingpong: connect");
      ::shutdown(listener.fd, SHUT_RDWR);
      server.join();
      return 3;
    }
    nodelay(client.fd);
    std::string body(size, 'x');
    std::string answer(kAnswerBytes, '\0');
    uint64_t start = now_ns(), deadline = deadline_ns(o);
    for (uint64_t i = 0; now_ns() < deadline && (o.count == 0 || i < o.count); ++i) {
      uint64_t t0 = now_ns();
      if (!io_all(client.fd, body.data(), body.size(), true) ||
          !io_all(client.fd, answer.data(), answer.size(), false)) {
        c.failure();
        break;
      }
      c.success(1, size, now_ns() - t0);
    }
    elapsed = static_cast<double>(now_ns() - start) / 1e9;
  }  // closing the client ends the server loop
  server.join();
  return print_summary("compare-pingpong", o, c, elapsed, "raw TCP round trip, 64-byte answer");
}
