// ferryctl message send | consume | query-id | query-key | query-offset
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <thread>

#include "context.h"
#include "table.h"

namespace ferry::tools {

namespace {

using namespace std::chrono;

struct MessageArgs {
  std::string topic;
  std::string body = "hello from ferryctl";
  std::string tags;
  std::string keys;
  uint32_t count = 1;
  std::string id;
  std::string key;
  int64_t begin_ms = 0;
  int64_t end_ms = INT64_MAX;
  uint32_t max = 32;
  std::string broker;
  int32_t queue = 0;
  int64_t offset = 0;
  std::string from = "first";
  std::string group;
  bool commit = false;
  double wait_s = 10;
  size_t body_max = 64;
};

void print_messages(Ctx& ctx, const std::vector<MessagePtr>& msgs, size_t body_max) {
  if (ctx.json) {
    std::string out = "{\"count\":" + std::to_string(msgs.size()) + ",\"messages\":[";
    for (size_t i = 0; i < msgs.size(); ++i) out += (i ? "," : "") + message_json(msgs[i].get());
    std::printf("%s]}\n", out.c_str());
    return;
  }
  Table t(message_header());
  for (const auto& m : msgs) t.row(message_row(m.get(), body_max));
  t.print();
  std::printf("%zu message(s)\n", msgs.size());
}

int send(Ctx& ctx, const MessageArgs& a) {
  ConfigPtr conf = ctx.config({{"group", "ferryctl_producer"}});
  if (!conf) return ctx.rc;
  ferry_producer* raw = nullptr;
  char err[1024] = "";
  ferry_status s = ferry_producer_new(conf.get(), &raw, err, sizeof err);
  ProducerPtr p(raw);
  if (s == FERRY_OK) s = ferry_producer_start(p.get(), err, sizeof err);
  if (s != FERRY_OK) return ctx.fail("producer start", s, err);
  Table t({"MSG_ID", "OFFSET_MSG_ID", "BROKER", "QUEUE", "OFFSET"});
  std::string out = "{\"topic\":" + json_quote(a.topic) + ",\"sent\":[";
  for (uint32_t i = 0; i < a.count; ++i) {
    std::string body = a.count > 1 ? a.body + " #" + std::to_string(i) : a.body;
    ferry_client_message* mraw = nullptr;
    s = ferry_message_new(a.topic.c_str(), body.data(), body.size(), &mraw, err, sizeof err);
    MessagePtr m(mraw);
    if (s == FERRY_OK && !a.tags.empty()) s = ferry_message_set_tags(m.get(), a.tags.c_str(), err, sizeof err);
    if (s == FERRY_OK && !a.keys.empty()) s = ferry_message_set_keys(m.get(), a.keys.c_str(), err, sizeof err);
    if (s != FERRY_OK) {  // bad tags/keys: the user's input
      std::fprintf(stderr, "message refused: %s: %s\n", ferry_status_name(s), err);
      ctx.rc = kExitUsage;
      return ctx.rc;
    }
    ferry_send_result r = FERRY_STRUCT_INIT(ferry_send_result);
    s = ferry_producer_send(p.get(), m.get(), &r, err, sizeof err);
    if (s != FERRY_OK) return ctx.fail(("send #" + std::to_string(i)).c_str(), s, err);
    t.row({r.msg_id, r.offset_msg_id, r.broker_name, std::to_string(r.queue_id), std::to_string(r.queue_offset)});
    out += std::string(i ? "," : "") + "{\"msg_id\":" + json_quote(r.msg_id) + ",\"offset_msg_id\":" +
           json_quote(r.offset_msg_id) + ",\"broker\":" + json_quote(r.broker_name) +
           ",\"queue\":" + std::to_string(r.queue_id) + ",\"offset\":" + std::to_string(r.queue_offset) + "}";
  }
  if (ctx.json) {
    std::printf("%s]}\n", out.c_str());
  } else {
    t.print();
  }
  return kExitOk;
}

// A pull consumer for a one-off read: a group of its own unless named, and
// no commit unless asked (reading must not move anyone's offsets).
PullPtr start_reader(Ctx& ctx, const MessageArgs& a, const std::vector<ferry_queue_ref>& assign) {
  std::string group = a.group.empty() ? "ferryctl_" + std::to_string(::getpid()) : a.group;
  ConfigPtr conf = ctx.config({{"group", group},
                               {"consume_from", a.from},
                               {"enable_auto_commit", a.commit ? "true" : "false"},
                               {"long_poll_ms", "1000"}});
  if (!conf) return nullptr;
  ferry_pull_consumer* raw = nullptr;
  char err[1024] = "";
  ferry_status s = ferry_pull_consumer_new(conf.get(), &raw, err, sizeof err);
  PullPtr c(raw);
  if (s == FERRY_OK && assign.empty()) s = ferry_pull_consumer_subscribe(c.get(), a.topic.c_str(), "*", err, sizeof err);
  if (s == FERRY_OK && !assign.empty()) s = ferry_pull_consumer_assign(c.get(), assign.data(), assign.size(), err, sizeof err);
  if (s == FERRY_OK) s = ferry_pull_consumer_start(c.get(), err, sizeof err);
  if (s != FERRY_OK) {
    ctx.fail("consumer start", s, err);
    return nullptr;
  }
  return c;
}

// Polls until `want` messages or `wait_s`; returns what arrived.
std::vector<MessagePtr> poll_n(Ctx& ctx, ferry_pull_consumer* c, size_t want, double wait_s) {
  std::vector<MessagePtr> got;
  auto until = steady_clock::now() + duration_cast<steady_clock::duration>(duration<double>(wait_s));
  char err[1024] = "";
  while (got.size() < want && steady_clock::now() < until) {
    ferry_client_message* msgs[64];
    size_t n = 0;
    size_t max = std::min<size_t>(64, want - got.size());
    ferry_status s = ferry_pull_consumer_poll(c, 200, msgs, max, &n, err, sizeof err);
    if (s != FERRY_OK) {
      ctx.fail("poll", s, err);
      break;
    }
    for (size_t i = 0; i < n; ++i) got.emplace_back(msgs[i]);
  }
  return got;
}

int consume(Ctx& ctx, const MessageArgs& a) {
  PullPtr c = start_reader(ctx, a, {});
  if (!c) return ctx.rc;
  std::vector<MessagePtr> got = poll_n(ctx, c.get(), a.count, a.wait_s);
  char err[1024] = "";
  if (a.commit) ferry_pull_consumer_commit_sync(c.get(), err, sizeof err);
  print_messages(ctx, got, a.body_max);
  if (ctx.rc != kExitOk) return ctx.rc;
  if (got.size() < a.count) {
    std::fprintf(stderr, "only %zu of %u message(s) arrived within %.1f s (raise --wait, or --from first to read "
                 "from the start)\n", got.size(), a.count, a.wait_s);
    return kExitFailed;
  }
  return kExitOk;
}

int query_offset(Ctx& ctx, MessageArgs a) {
  if (a.broker.empty()) {  // the topic's first broker group
    auto doc = ctx.query("topic route", [&](ferry_admin* ad, char** o, char* e, size_t n) {
      return ferry_admin_topic_route(ad, a.topic.c_str(), o, e, n);
    });
    if (!doc) return ctx.rc;
    if ((*doc)["queues"].items().empty()) {
      std::fprintf(stderr, "topic %s has no queues; check `ferryctl topic route %s`\n", a.topic.c_str(), a.topic.c_str());
      return kExitFailed;
    }
    a.broker = (*doc)["queues"].items()[0]["broker"].as_string();
  }
  ferry_queue_ref ref = FERRY_STRUCT_INIT(ferry_queue_ref);
  ref.topic = a.topic.c_str();
  ref.broker_name = a.broker.c_str();
  ref.queue_id = a.queue;
  a.commit = false;
  PullPtr c = start_reader(ctx, a, {ref});
  if (!c) return ctx.rc;
  char err[1024] = "";
  ferry_status s = ferry_pull_consumer_seek(c.get(), &ref, a.offset, err, sizeof err);
  if (s != FERRY_OK) return ctx.fail("seek", s, err);
  std::vector<MessagePtr> got = poll_n(ctx, c.get(), a.count, a.wait_s);
  print_messages(ctx, got, a.body_max);
  if (ctx.rc != kExitOk) return ctx.rc;
  if (got.empty()) {
    std::fprintf(stderr, "no message at %s/%s/%d offset %lld (see `ferryctl topic status %s` for the valid range)\n",
                 a.topic.c_str(), a.broker.c_str(), a.queue, static_cast<long long>(a.offset), a.topic.c_str());
    return kExitFailed;
  }
  return kExitOk;
}

int query_id(Ctx& ctx, const MessageArgs& a) {
  ferry_admin* ad = ctx.admin();
  if (!ad) return ctx.rc;
  ferry_client_message* raw = nullptr;
  char err[1024] = "";
  ferry_status s = ferry_admin_query_by_offset_id(ad, a.id.c_str(), &raw, err, sizeof err);
  MessagePtr m(raw);
  if (s != FERRY_OK) return ctx.fail("query by id", s, err);
  std::vector<MessagePtr> got;
  got.push_back(std::move(m));
  print_messages(ctx, got, a.body_max);
  return kExitOk;
}

int query_key(Ctx& ctx, const MessageArgs& a) {
  ferry_admin* ad = ctx.admin();
  if (!ad) return ctx.rc;
  std::vector<ferry_client_message*> raw(a.max, nullptr);
  size_t n = 0;
  char err[1024] = "";
  ferry_status s = ferry_admin_query_by_key(ad, a.topic.c_str(), a.key.c_str(), raw.data(), raw.size(), &n, err, sizeof err);
  std::vector<MessagePtr> got;
  for (size_t i = 0; i < n; ++i) {
    MessagePtr m(raw[i]);
    int64_t ts = ferry_message_store_timestamp(m.get());
    // libferry has no time range on the wire: filter here, by store time.
    if (ts >= a.begin_ms && ts <= a.end_ms) got.push_back(std::move(m));
  }
  if (s != FERRY_OK) return ctx.fail("query by key", s, err);
  print_messages(ctx, got, a.body_max);
  return kExitOk;
}

}  // namespace

void add_message_commands(CLI::App& app, Ctx& ctx) {
  CLI::App* message = app.add_subcommand("message", "send, read and find messages");
  message->require_subcommand(1);
  auto a = std::make_shared<MessageArgs>();
  auto body_max = [a](CLI::App* sc) {
    sc->add_option("--body-max", a->body_max, "body characters shown in tables")->capture_default_str();
  };
  CLI::App* send_cmd = message->add_subcommand("send", "send test message(s) synchronously and print where they went");
  send_cmd->add_option("topic", a->topic, "topic")->required();
  send_cmd->add_option("-b,--body", a->body, "body text (with --count > 1, \" #i\" is appended)")->capture_default_str();
  send_cmd->add_option("--tags", a->tags, "tags");
  send_cmd->add_option("--keys", a->keys, "space-separated keys (query-key finds them)");
  send_cmd->add_option("-N,--count", a->count, "messages to send")->check(CLI::Range(1u, 100000u))->capture_default_str();
  send_cmd->callback([&ctx, a] { ctx.rc = send(ctx, *a); });

  CLI::App* consume_cmd = message->add_subcommand("consume", "read N messages of a topic with a pull consumer");
  consume_cmd->add_option("topic", a->topic, "topic")->required();
  consume_cmd->add_option("-N,--count", a->count, "messages to read")->check(CLI::Range(1u, 100000u))->capture_default_str();
  consume_cmd->add_option("--from", a->from, "first | last (where a new group starts)")
      ->check(CLI::IsMember({"first", "last"}))->capture_default_str();
  consume_cmd->add_option("-g,--group", a->group, "consumer group (default: a private one)");
  consume_cmd->add_flag("--commit", a->commit, "commit what was read for the group");
  consume_cmd->add_option("--wait", a->wait_s, "seconds to wait for the messages")->check(CLI::Range(0.1, 3600.0))->capture_default_str();
  body_max(consume_cmd);
  consume_cmd->callback([&ctx, a] { ctx.rc = consume(ctx, *a); });

  CLI::App* qid = message->add_subcommand("query-id", "the message with this offset message id");
  qid->add_option("offset_msg_id", a->id, "broker offset id (as `message send` prints)")->required();
  body_max(qid);
  qid->callback([&ctx, a] { ctx.rc = query_id(ctx, *a); });

  CLI::App* qkey = message->add_subcommand("query-key", "messages of a topic carrying a key, newest first");
  qkey->add_option("topic", a->topic, "topic")->required();
  qkey->add_option("key", a->key, "one key")->required();
  qkey->add_option("--max", a->max, "at most this many")->check(CLI::Range(1u, 10000u))->capture_default_str();
  qkey->add_option("--begin-ms", a->begin_ms, "stored at or after (epoch ms)");
  qkey->add_option("--end-ms", a->end_ms, "stored at or before (epoch ms)");
  body_max(qkey);
  qkey->callback([&ctx, a] { ctx.rc = query_key(ctx, *a); });

  CLI::App* qoff = message->add_subcommand("query-offset", "messages of one queue from an offset");
  qoff->add_option("topic", a->topic, "topic")->required();
  qoff->add_option("--broker", a->broker, "broker group name (default: the topic's first)");
  qoff->add_option("--queue", a->queue, "queue id")->check(CLI::Range(0, 65535))->capture_default_str();
  qoff->add_option("--offset", a->offset, "queue offset")->check(CLI::Range(int64_t{0}, INT64_MAX))->required();
  qoff->add_option("-N,--count", a->count, "messages to read")->check(CLI::Range(1u, 100000u))->capture_default_str();
  qoff->add_option("--wait", a->wait_s, "seconds to wait")->check(CLI::Range(0.1, 3600.0))->capture_default_str();
  body_max(qoff);
  qoff->callback([&ctx, a] { ctx.rc = query_offset(ctx, *a); });
}

}  // namespace ferry::tools
