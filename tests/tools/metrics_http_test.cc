// ferryd's Prometheus endpoint ([kernel] metrics_listen) scraped over real
// sockets: the metric families, keep-alive, and that every bad request gets
// its status code while ferryd keeps serving.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <chrono>
#include <csignal>
#include <memory>
#include <string>

#include <ferry_test/child_process.h>
#include <ferry_test/free_port.h>
#include <ferry_test/paths.h>
#include <ferry_test/temp_dir.h>

namespace {

using namespace std::chrono_literals;

// A blocking loopback socket with every wait bounded (5 s).
class Socket {
 public:
  explicit Socket(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ok_ = fd_ >= 0 && ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  }
  ~Socket() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool ok() const { return ok_; }
  bool send(std::string_view s) {
    while (!s.empty()) {
      ssize_t n = ::send(fd_, s.data(), s.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      s.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }
  // Reads until `done(buffer)` or EOF or 5 s; returns what was read.
  template <class Done>
  std::string read_until(Done done) {
    std::string out;
    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (!done(out) && std::chrono::steady_clock::now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      char buf[65536];
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) {
        eof_ = true;
        break;
      }
      out.append(buf, static_cast<size_t>(n));
    }
    return out;
  }
  // One whole response (head + Content-Length body).
  std::string response() {
    return read_until([](const std::string& s) {
      size_t end = s.find("\r\n\r\n");
      if (end == std::string::npos) return false;
      size_t cl = s.find("Content-Length: ");
      if (cl == std::string::npos || cl > end) return true;
      size_t len = std::stoul(s.substr(cl + 16));
      return s.size() >= end + 4 + len;
    });
  }
  // True when the server closed the connection within 5 s.
  bool closed_by_peer() {
    read_until([](const std::string&) { return false; });
    return eof_;
  }

 private:
  int fd_ = -1;
  bool ok_ = false;
  bool eof_ = false;
};

int status_of(const std::string& response) {
  if (response.rfind("HTTP/1.1 ", 0) != 0 || response.size() < 12) return -1;
  return std::stoi(response.substr(9, 3));
}

std::string body_of(const std::string& response) {
  size_t end = response.find("\r\n\r\n");
  return end == std::string::npos ? "" : response.substr(end + 4);
}

class MetricsHttp : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = std::make_unique<ferry::test::TempDir>("ferry-metrics");
    addr_ = "127.0.0.1:" + std::to_string(ferry::test::free_port());
    port_ = ferry::test::free_port();
    daemon_ = std::make_unique<ferry::test::ChildProcess>(
        std::vector<std::string>{
            ferry::test::bin_path("ferryd"), "--config",
            ferry::test::source_dir() + "/conf/standalone.toml", "--set",
            "kernel.data_dir=" + dir_->str() + "/data", "--set", "kernel.listen=" + addr_, "--set",
            "kernel.metrics_listen=127.0.0.1:" + std::to_string(port_), "--set",
            "plugins.registration.name_servers=[\"" + addr_ + "\"]", "--set",
            "plugins.registration.register_interval=1s", "--set",
            "plugins.registration.change_debounce=50ms"},
        dir_->str() + "/ferryd.log");
  }
  static void TearDownTestSuite() {
    if (daemon_) {
      daemon_->signal(SIGTERM);
      auto st = daemon_->wait_for(20s);
      EXPECT_TRUE(st.has_value());
      if (st) {
        EXPECT_TRUE(WIFEXITED(*st) && WEXITSTATUS(*st) == 0) << daemon_->log();
      }
    }
    daemon_.reset();
    dir_.reset();
  }
  void SetUp() override {
    ASSERT_TRUE(ferry::test::wait_until([] { return status_of(get("/metrics")) == 200; }, 20s, 50ms))
        << daemon_->log();
  }

  // One request on a fresh connection; the whole response.
  static std::string request(const std::string& raw) {
    Socket s(port_);
    if (!s.ok() || !s.send(raw)) return "";
    return s.response();
  }
  static std::string get(const std::string& path) {
    return request("GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  }
  // Runs ferryctl against the broker; its exit code.
  static int ctl(std::vector<std::string> args) {
    args.insert(args.begin(), {ferry::test::bin_path("ferryctl"), "-n", addr_, "--timeout", "2000"});
    ferry::test::ChildProcess child(args, dir_->str() + "/ctl.log");
    auto st = child.wait_for(30s);
    return st && WIFEXITED(*st) ? WEXITSTATUS(*st) : -1;
  }

  static inline std::unique_ptr<ferry::test::TempDir> dir_;
  static inline std::unique_ptr<ferry::test::ChildProcess> daemon_;
  static inline std::string addr_;
  static inline int port_ = 0;
};

TEST_F(MetricsHttp, ScrapeHasKernelAndPluginFamilies) {
  std::string r = get("/metrics");
  ASSERT_EQ(200, status_of(r)) << r;
  EXPECT_NE(std::string::npos, r.find("Content-Type: text/plain; version=0.0.4")) << r;
  std::string body = body_of(r);
  for (const char* family :
       {"# TYPE ferry_connections_open gauge", "# TYPE ferry_connections_accepted_total counter",
        "# TYPE ferry_requests_total counter", "# TYPE ferry_watermark_offset gauge",
        "ferry_watermark_offset{watermark=\"durable\"}",
        // the sync flush plugin's histogram: flush latency
        "# TYPE ferry_flush_sync_micros histogram", "ferry_flush_sync_micros_bucket{"})
    EXPECT_NE(std::string::npos, body.find(family)) << family << "\n" << body;
}

TEST_F(MetricsHttp, CountersMoveWithTraffic) {
  auto value = [](const std::string& body, const std::string& series) -> double {
    size_t at = body.find("\n" + series + " ");
    if (at == std::string::npos) return -1;
    return std::stod(body.substr(at + series.size() + 2));
  };
  double before = value(body_of(get("/metrics")), "ferry_requests_total");
  ASSERT_GE(before, 0);
  ASSERT_EQ(0, ctl({"topic", "create", "MetricsTopic", "--target", addr_, "-q", "2"}));
  // Sends go where the name server routes the topic: wait for the route.
  ASSERT_TRUE(ferry::test::wait_until([] { return ctl({"topic", "route", "MetricsTopic"}) == 0; }, 20s, 100ms));
  ASSERT_EQ(0, ctl({"message", "send", "MetricsTopic", "--body", "x", "-N", "5"}));
  std::string body = body_of(get("/metrics"));
  EXPECT_GT(value(body, "ferry_requests_total"), before) << body;
  EXPECT_GT(value(body, "ferry_connections_accepted_total"), 0) << body;
  EXPECT_GT(value(body, "ferry_watermark_offset{watermark=\"write\"}"), 0) << body;
  // The core's per-topic series (docs/core.md, "Metrics"): the five sends.
  EXPECT_EQ(5, value(body, "ferry_core_messages_in_total{topic=\"MetricsTopic\"}")) << body;
}

TEST_F(MetricsHttp, KeepAliveServesSeveralRequestsOnOneConnection) {
  Socket s(port_);
  ASSERT_TRUE(s.ok());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(s.send("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"));
    std::string r = s.response();
    EXPECT_EQ(200, status_of(r)) << i;
    EXPECT_EQ(std::string::npos, r.find("Connection: close"));
  }
  // Pipelined: two requests in one write, two answers in order.
  ASSERT_TRUE(s.send("HEAD /metrics HTTP/1.1\r\n\r\nGET /nope HTTP/1.1\r\n\r\n"));
  std::string both = s.read_until([](const std::string& x) { return x.find("HTTP/1.1 404") != std::string::npos && x.find("/metrics\n") != std::string::npos; });
  ASSERT_EQ(200, status_of(both)) << both;
  EXPECT_NE(std::string::npos, both.find("HTTP/1.1 404 Not Found")) << both;
  EXPECT_EQ(std::string::npos, both.find("# TYPE")) << "HEAD must carry no body";
}

TEST_F(MetricsHttp, BadRequestsGetTheirStatusAndFerrydKeepsServing) {
  EXPECT_EQ(404, status_of(get("/other")));
  EXPECT_EQ(405, status_of(request("POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n")));
  EXPECT_EQ(505, status_of(request("GET /metrics HTTP/2.0\r\n\r\n")));
  {
    Socket s(port_);
    ASSERT_TRUE(s.send("\x16\x03\x01 garbage that is not HTTP\r\n\r\n"));
    std::string r = s.response();
    EXPECT_EQ(400, status_of(r)) << r;
    EXPECT_TRUE(s.closed_by_peer());
  }
  {
    Socket s(port_);
    ASSERT_TRUE(s.send("GET /metrics HTTP/1.1\r\nX: " + std::string(10000, 'a')));
    std::string r = s.response();
    EXPECT_EQ(431, status_of(r)) << r;
    EXPECT_TRUE(s.closed_by_peer());
  }
  {
    // A request with a body: answered, then closed (the body is never parsed).
    Socket s(port_);
    ASSERT_TRUE(s.send("GET /metrics HTTP/1.1\r\nContent-Length: 4\r\n\r\nGET "));
    EXPECT_EQ(200, status_of(s.response()));
    EXPECT_TRUE(s.closed_by_peer());
  }
  {
    // A client that connects and vanishes mid-head costs nothing.
    Socket s(port_);
    ASSERT_TRUE(s.send("GET /met"));
  }
  EXPECT_EQ(200, status_of(get("/metrics")));
  EXPECT_TRUE(daemon_->running());
}

TEST(MetricsHttpConfig, OffByDefaultAndShownInTheSchema) {
  ferry::test::TempDir dir("ferry-metrics-schema");
  ferry::test::ChildProcess p({ferry::test::bin_path("ferryd"), "--print-schema"}, dir.str() + "/out");
  auto st = p.wait_for(30s);
  ASSERT_TRUE(st && WIFEXITED(*st) && WEXITSTATUS(*st) == 0);
  std::string log = p.log();
  EXPECT_NE(std::string::npos, log.find("metrics_listen = \"\"")) << log;  // off by default
  EXPECT_NE(std::string::npos, log.find("GET /metrics")) << log;
}

}  // namespace
