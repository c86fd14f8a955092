#include "net_harness.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <thread>

#include "ferry_test/child_process.h"

namespace ferry::net::test {

LogFn LogSink::fn() {
  return [this](ferry_log_level, std::string_view line) {
    std::lock_guard lock(mu_);
    lines_.emplace_back(line);
  };
}

std::vector<std::string> LogSink::lines() const {
  std::lock_guard lock(mu_);
  return lines_;
}

bool LogSink::contains(const std::string& needle) const {
  std::lock_guard lock(mu_);
  for (const auto& l : lines_) {
    if (l.find(needle) != std::string::npos) return true;
  }
  return false;
}

ServerHarness::~ServerHarness() { stop(); }

void ServerHarness::start(ServerOptions opts) {
  loop_ = std::make_unique<LoopThread>();
  if (!opts.on_request) opts.on_request = [this](Request req) { handle(std::move(req)); };
  if (!opts.log) opts.log = log_.fn();
  std::string error;
  const ferry_status st = loop_->run_sync([&] {
    server_ = std::make_unique<Server>(loop_->loop(), std::move(opts));
    return server_->listen(&error);
  });
  if (st != FERRY_OK) throw std::runtime_error("listen failed: " + error);
  port_ = loop_->run_sync([&] { return server_->bound_port(); });
}

void ServerHarness::handle(Request req) {
  switch (req.code()) {
    case kEcho: {
      // Zero copy: the echoed attachment is borrowed from the request's read
      // buffer, kept alive until the write completes.
      auto keep = std::make_unique<std::shared_ptr<const void>>(req.retain_buffer());
      const auto att = req.attachment();
      const auto payload = req.payload();
      req.respond(FERRY_OK, {}, payload,
                  Attachment::borrow(
                      att,
                      [](void* ctx) {
                        std::unique_ptr<std::shared_ptr<const void>>(
                            static_cast<std::shared_ptr<const void>*>(ctx));
                      },
                      keep.release()));
      break;
    }
    case kHold: {
      std::lock_guard lock(held_mu_);
      held_.push_back(std::move(req));
      break;
    }
    case kOffThread: {
      std::thread([r = std::move(req)]() mutable {
        const auto p = r.payload();
        r.respond(FERRY_OK, "from a worker", p);
      }).detach();
      break;
    }
    case kBig: {
      const std::string n(reinterpret_cast<const char*>(req.payload().data()), req.payload().size());
      std::vector<uint8_t> body(std::stoul(n), 0xAB);
      req.respond(FERRY_OK, {}, body);
      break;
    }
    default:
      req.respond(FERRY_E_UNKNOWN_REQUEST, "unknown request code " + std::to_string(req.code()));
  }
}

ServerStats ServerHarness::stats() {
  return loop_->run_sync([&] { return server_->stats(); });
}

size_t ServerHarness::held_count() {
  std::lock_guard lock(held_mu_);
  return held_.size();
}

size_t ServerHarness::answer_held(ferry_status status) {
  std::vector<Request> held;
  {
    std::lock_guard lock(held_mu_);
    held.swap(held_);
  }
  for (auto& r : held) r.respond(status, {}, r.payload());
  return held.size();
}

bool ServerHarness::stop(std::chrono::milliseconds timeout) {
  if (stopped_ || !loop_) return true;
  stopped_ = true;
  auto done = std::make_shared<std::promise<void>>();
  auto fut = done->get_future();
  loop_->post([this, done] { server_->shutdown([done] { done->set_value(); }); });
  const bool finished = fut.wait_for(timeout) == std::future_status::ready;
  {
    // Requests the test still holds are dropped before the loop ends.
    std::lock_guard lock(held_mu_);
    held_.clear();
  }
  loop_->run_sync([&] { server_.reset(); });
  const bool clean = loop_->stop();
  return finished && clean;
}

RawConn::RawConn(uint16_t port, int rcvbuf) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd_ < 0) return;
  if (rcvbuf > 0) ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

RawConn::~RawConn() {
  if (fd_ >= 0) ::close(fd_);
}

bool RawConn::send_all(const std::vector<uint8_t>& bytes) {
  size_t off = 0;
  while (off < bytes.size()) {
    const ssize_t n = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

bool RawConn::read_exact(uint8_t* p, size_t n, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  size_t got = 0;
  while (got < n) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd pfd{fd_, POLLIN, 0};
    if (::poll(&pfd, 1, static_cast<int>(left.count())) <= 0) return false;
    const ssize_t r = ::recv(fd_, p + got, n - got, 0);
    if (r <= 0) return false;
    got += static_cast<size_t>(r);
  }
  return true;
}

std::optional<std::vector<uint8_t>> RawConn::read_frame(std::chrono::milliseconds timeout) {
  std::vector<uint8_t> f(4);
  if (!read_exact(f.data(), 4, timeout)) return std::nullopt;
  const uint32_t total = load_be32(f.data());
  f.resize(4 + size_t{total});
  if (!read_exact(f.data() + 4, total, timeout)) return std::nullopt;
  return f;
}

bool RawConn::wait_closed(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  uint8_t buf[4096];
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd pfd{fd_, POLLIN, 0};
    if (::poll(&pfd, 1, 50) <= 0) continue;
    const ssize_t r = ::recv(fd_, buf, sizeof(buf), 0);
    if (r <= 0) return true;  // EOF or reset
  }
  return false;
}

std::vector<uint8_t> request_frame(uint64_t id, uint32_t code, std::string_view payload,
                                   std::string_view attachment, bool oneway) {
  EnvelopeFields f;
  f.request_id = id;
  f.code = code;
  f.flags = oneway ? kFlagOneway : 0;
  f.payload = std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(payload.data()),
                                       payload.size());
  return encode_frame(f, std::span<const uint8_t>(
                             reinterpret_cast<const uint8_t*>(attachment.data()), attachment.size()));
}

Result call(Client& client, uint32_t code, std::string_view payload, std::string_view attachment,
            uint32_t timeout_ms) {
  auto p = std::make_shared<std::promise<Result>>();
  auto fut = p->get_future();
  const ferry_status st = client.submit(
      code, std::vector<uint8_t>(payload.begin(), payload.end()),
      Attachment::copy(std::span<const uint8_t>(
          reinterpret_cast<const uint8_t*>(attachment.data()), attachment.size())),
      timeout_ms, false, [p](const Response& r) {
        Result res;
        res.status = r.status;
        res.message = std::string(r.message);
        res.payload.assign(r.payload.begin(), r.payload.end());
        res.attachment.assign(r.attachment.begin(), r.attachment.end());
        p->set_value(std::move(res));
      });
  if (st != FERRY_OK) return Result{st, "submit refused", {}, {}};
  if (fut.wait_for(std::chrono::seconds(20)) != std::future_status::ready) {
    return Result{FERRY_E_INTERNAL, "no callback within 20 s", {}, {}};
  }
  return fut.get();
}

ClientHarness::ClientHarness(ClientOptions opts) : loop_(std::make_unique<LoopThread>()) {
  loop_->run_sync([&] {
    client_ = std::make_unique<Client>(loop_->loop(), std::move(opts));
    std::string error;
    if (client_->start(&error) != FERRY_OK) throw std::runtime_error(error);
  });
}

ClientHarness::~ClientHarness() { stop(); }

bool ClientHarness::connected() {
  return loop_->run_sync([&] { return client_->connected(); });
}

bool ClientHarness::wait_connected(std::chrono::milliseconds timeout) {
  return ferry::test::wait_until([&] { return connected(); }, timeout);
}

bool ClientHarness::stop() {
  if (stopped_) return true;
  stopped_ = true;
  auto done = std::make_shared<std::promise<void>>();
  auto fut = done->get_future();
  loop_->post([this, done] { client_->close([done] { done->set_value(); }); });
  const bool finished = fut.wait_for(std::chrono::seconds(10)) == std::future_status::ready;
  loop_->run_sync([&] { client_.reset(); });
  return loop_->stop() && finished;
}

}  // namespace ferry::net::test
