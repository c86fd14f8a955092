// The /metrics request-head parser (kernel/daemon/http/http_request.h): what
// a scraper sends parses; every malformed head is refused with a reason;
// partial heads ask for more until the byte limit.
#include <gtest/gtest.h>

#include "http/http_request.h"

namespace {

using ferry::http::parse_request;
using ferry::http::ParseStatus;
using ferry::http::Request;

ParseStatus parse(std::string_view in, Request* r, size_t limit = 8192) {
  std::string why;
  return parse_request(in, limit, r, &why);
}

TEST(HttpRequest, PrometheusScrapeParses) {
  std::string in =
      "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:9100\r\nUser-Agent: Prometheus/2.45.0\r\n"
      "Accept: application/openmetrics-text;version=1.0.0;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1\r\n"
      "Accept-Encoding: gzip\r\nX-Prometheus-Scrape-Timeout-Seconds: 10\r\n\r\nGET /next";
  Request r;
  ASSERT_EQ(ParseStatus::kOk, parse(in, &r));
  EXPECT_EQ("GET", r.method);
  EXPECT_EQ("/metrics", r.path);
  EXPECT_EQ(1, r.minor_version);
  EXPECT_TRUE(r.keep_alive);
  EXPECT_FALSE(r.has_body);
  EXPECT_EQ(in.find("GET /next"), r.head_bytes);  // the pipelined request stays
}

TEST(HttpRequest, QueryIsSplitFromPath) {
  Request r;
  ASSERT_EQ(ParseStatus::kOk, parse("GET /metrics?name[]=x HTTP/1.1\r\n\r\n", &r));
  EXPECT_EQ("/metrics", r.path);
  EXPECT_EQ("/metrics?name[]=x", r.target);
}

TEST(HttpRequest, ConnectionHandling) {
  Request r;
  ASSERT_EQ(ParseStatus::kOk, parse("GET / HTTP/1.1\r\nConnection: Close\r\n\r\n", &r));
  EXPECT_FALSE(r.keep_alive);
  ASSERT_EQ(ParseStatus::kOk, parse("GET / HTTP/1.0\r\n\r\n", &r));
  EXPECT_FALSE(r.keep_alive);
  ASSERT_EQ(ParseStatus::kOk, parse("GET / HTTP/1.0\r\nconnection: TE, keep-alive\r\n\r\n", &r));
  EXPECT_TRUE(r.keep_alive);
}

TEST(HttpRequest, BodiesAreFlagged) {
  Request r;
  ASSERT_EQ(ParseStatus::kOk, parse("POST /x HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello", &r));
  EXPECT_TRUE(r.has_body);
  ASSERT_EQ(ParseStatus::kOk, parse("GET /x HTTP/1.1\r\nContent-Length: 000\r\n\r\n", &r));
  EXPECT_FALSE(r.has_body);
  ASSERT_EQ(ParseStatus::kOk, parse("POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", &r));
  EXPECT_TRUE(r.has_body);
  EXPECT_EQ(ParseStatus::kBad, parse("GET /x HTTP/1.1\r\nContent-Length: 5x\r\n\r\n", &r));
}

TEST(HttpRequest, LeadingEmptyLinesAreSkipped) {
  Request r;
  ASSERT_EQ(ParseStatus::kOk, parse("\r\n\r\nGET /metrics HTTP/1.1\r\n\r\n", &r));
  EXPECT_EQ("/metrics", r.path);
}

TEST(HttpRequest, PartialHeadAsksForMore) {
  std::string full = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
  Request r;
  for (size_t n = 0; n < full.size(); ++n)
    EXPECT_EQ(ParseStatus::kIncomplete, parse(full.substr(0, n), &r)) << n;
  EXPECT_EQ(ParseStatus::kOk, parse(full, &r));
}

TEST(HttpRequest, MalformedHeadsAreRefused) {
  const char* bad[] = {
      "GET\r\n\r\n",
      "GET /metrics\r\n\r\n",
      "GET metrics HTTP/1.1\r\n\r\n",           // not origin-form
      "GET http://x/metrics HTTP/1.1\r\n\r\n",  // absolute-form is not served
      "GET /a b HTTP/1.1\r\n\r\n",
      "G(T /metrics HTTP/1.1\r\n\r\n",
      "GET /metrics HTTP/1.1 \r\n\r\n",
      "GET /metrics HTTQ/1.1\r\n\r\n",
      "GET /metrics HTTP/1.x\r\n\r\n",
      "GET /metrics HTTP/1.1\r\nNoColon\r\n\r\n",
      "GET /metrics HTTP/1.1\r\nBad Name: x\r\n\r\n",
      "GET /metrics HTTP/1.1\r\n: empty\r\n\r\n",
      "GET /metrics HTTP/1.1\r\nA: b\r\n folded\r\n\r\n",
      "GET /metrics HTTP/1.1\r\nA: b\x01\r\n\r\n",
      "GET /metrics HTTP/1.1\r\nA: b\rc\r\n\r\n",
      "GET /metrics HTTP/1.1\nHost: x\n\n",     // bare LF, refused before the limit
  };
  for (const char* in : bad) {
    Request r;
    std::string why;
    EXPECT_EQ(ParseStatus::kBad, parse_request(in, 8192, &r, &why)) << in;
    EXPECT_FALSE(why.empty()) << in;
  }
  Request r;
  std::string why;
  static const char kNul[] = "GET /metrics HTTP/1.1\r\nA: \0\r\n\r\n";
  std::string nul(kNul, sizeof kNul - 1);
  EXPECT_EQ(ParseStatus::kBad, parse_request(nul, 8192, &r, &why));
  EXPECT_EQ(ParseStatus::kBad, parse_request(std::string_view("GE\0", 3), 8192, &r, &why));
}

TEST(HttpRequest, OtherVersionsAreRefusedAs505) {
  Request r;
  EXPECT_EQ(ParseStatus::kVersion, parse("GET /metrics HTTP/2.0\r\n\r\n", &r));
  EXPECT_EQ(ParseStatus::kVersion, parse("GET /metrics HTTP/0.9\r\n\r\n", &r));
}

TEST(HttpRequest, HeadLimitHolds) {
  std::string big = "GET /metrics HTTP/1.1\r\nX: " + std::string(200, 'a') + "\r\n\r\n";
  Request r;
  EXPECT_EQ(ParseStatus::kOk, parse(big, &r, big.size()));
  EXPECT_EQ(ParseStatus::kTooLarge, parse(big, &r, big.size() - 1));
  // Incomplete but already at the limit: no point waiting for more.
  EXPECT_EQ(ParseStatus::kTooLarge, parse(std::string(100, 'A'), &r, 100));
  EXPECT_EQ(ParseStatus::kIncomplete, parse(std::string(99, 'A'), &r, 100));
}

TEST(HttpRequest, HeaderCountIsCapped) {
  std::string in = "GET /metrics HTTP/1.1\r\n";
  for (size_t i = 0; i <= ferry::http::kMaxHeaders; ++i) in += "A: b\r\n";
  Request r;
  EXPECT_EQ(ParseStatus::kBad, parse(in + "\r\n", &r));
}

}  // namespace
