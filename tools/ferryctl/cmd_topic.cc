// ferryctl topic create | update | delete | list | route | status
#include <chrono>
#include <cstdio>
#include <memory>
#include <set>
#include <thread>

#include "context.h"
#include "table.h"

namespace ferry::tools {

namespace {

// libferry takes the ABI's perm bits (ferry/host.h); ferryctl includes only
// the SDK header, so the two values it needs are spelled here.
constexpr uint32_t kPermWrite = 0x2, kPermRead = 0x4, kTopicOrdered = 0x2;

struct TopicArgs {
  std::string name;
  std::string target = "DefaultCluster";
  uint32_t queues = 4;
  uint32_t read_queues = 0;   // 0: --queues
  uint32_t write_queues = 0;  // 0: --queues
  std::string perm = "rw";
  bool ordered = false;
  // create: seconds to wait until the name servers route the topic (a new
  // topic reaches them with the broker's next registration); 0 = return at once.
  double wait_s = 10;
};

// The masters' broker names of `cluster` (empty when the name servers do not
// know it as a cluster: then the target is one broker's address).
std::set<std::string> brokers_of_cluster(ferry_admin* a, const std::string& cluster) {
  std::set<std::string> out;
  char* raw = nullptr;
  char err[256] = "";
  if (ferry_admin_cluster_info(a, &raw, err, sizeof err) != FERRY_OK) return out;
  JsonString owned(raw);
  auto doc = Json::parse(raw ? raw : "");
  if (!doc) return out;
  for (const Json& c : (*doc)["clusters"].items()) {
    if (c["name"].as_string() != cluster) continue;
    for (const Json& b : c["brokers"].items()) out.insert(b["broker"].as_string());
  }
  return out;
}

// Whether the name servers route `topic` with a writable queue on every broker
// of `brokers` (on at least one when it is empty, i.e. an address target).
bool routed(ferry_admin* a, const std::string& topic, const std::set<std::string>& brokers) {
  char* raw = nullptr;
  char err[256] = "";
  if (ferry_admin_topic_route(a, topic.c_str(), &raw, err, sizeof err) != FERRY_OK) return false;
  JsonString owned(raw);
  auto doc = Json::parse(raw ? raw : "");
  if (!doc) return false;
  std::set<std::string> seen;
  for (const Json& q : (*doc)["queues"].items()) {
    if (q["write"].as_int() > 0) seen.insert(q["broker"].as_string());
  }
  if (brokers.empty()) return !seen.empty();
  for (const std::string& b : brokers) {
    if (!seen.count(b)) return false;
  }
  return true;
}

// Polls (every 50 ms, at most wait_s) until the new topic is routed, so a
// script's next command can send to it.
bool wait_routed(ferry_admin* a, const TopicArgs& t) {
  using namespace std::chrono;
  const auto until = steady_clock::now() + duration_cast<steady_clock::duration>(duration<double>(t.wait_s));
  const std::set<std::string> brokers = brokers_of_cluster(a, t.target);
  while (!routed(a, t.name, brokers)) {
    if (steady_clock::now() >= until) return false;
    std::this_thread::sleep_for(50ms);
  }
  return true;
}

int create_or_update(Ctx& ctx, const TopicArgs& t, bool update) {
  ferry_admin* a = ctx.admin();
  if (!a) return ctx.rc;
  ferry_topic_settings ts = FERRY_STRUCT_INIT(ferry_topic_settings);
  ts.name = t.name.c_str();
  ts.read_queues = t.read_queues ? t.read_queues : t.queues;
  ts.write_queues = t.write_queues ? t.write_queues : t.queues;
  ts.perm = (t.perm.find('r') != std::string::npos ? kPermRead : 0) | (t.perm.find('w') != std::string::npos ? kPermWrite : 0);
  ts.flags = t.ordered ? kTopicOrdered : 0;
  char err[1024] = "";
  ferry_status s = update ? ferry_admin_update_topic(a, t.target.c_str(), &ts, err, sizeof err)
                          : ferry_admin_create_topic(a, t.target.c_str(), &ts, err, sizeof err);
  const char* verb = update ? "updated" : "created";
  if (s != FERRY_OK) return ctx.fail(update ? "topic update" : "topic create", s, err);
  const bool waited = !update && t.wait_s > 0 && (ts.perm & kPermWrite);
  const bool is_routed = waited && wait_routed(a, t);
  if (ctx.json) {
    std::printf("{\"topic\":%s,\"target\":%s,\"%s\":true,\"read_queues\":%u,\"write_queues\":%u,\"perm\":%u%s}\n",
                json_quote(t.name).c_str(), json_quote(t.target).c_str(), verb, ts.read_queues, ts.write_queues, ts.perm,
                waited ? (is_routed ? ",\"routed\":true" : ",\"routed\":false") : "");
  } else {
    std::printf("topic %s %s on %s (read %u, write %u queues, perm %s)%s\n", t.name.c_str(), verb, t.target.c_str(),
                ts.read_queues, ts.write_queues, t.perm.c_str(), is_routed ? ", routed" : "");
  }
  if (waited && !is_routed) {
    std::fprintf(stderr,
                 "topic create: %s was created on %s, but the name servers do not route it after %.1f s; sends fail "
                 "with FERRY_E_NO_ROUTE until the broker's next registration reaches them.\n"
                 "  hint: check `ferryctl cluster list` (is the broker registered with these name servers?) and "
                 "`ferryctl topic route %s`; --wait sets the bound, --wait 0 returns at once.\n",
                 t.name.c_str(), t.target.c_str(), t.wait_s, t.name.c_str());
    return kExitFailed;
  }
  return kExitOk;
}

int topic_delete(Ctx& ctx, const TopicArgs& t) {
  ferry_admin* a = ctx.admin();
  if (!a) return ctx.rc;
  char err[1024] = "";
  ferry_status s = ferry_admin_delete_topic(a, t.target.c_str(), t.name.c_str(), err, sizeof err);
  if (s != FERRY_OK) return ctx.fail("topic delete", s, err);
  if (ctx.json) {
    std::printf("{\"topic\":%s,\"target\":%s,\"deleted\":true}\n", json_quote(t.name).c_str(), json_quote(t.target).c_str());
  } else {
    std::printf("topic %s deleted on %s\n", t.name.c_str(), t.target.c_str());
  }
  return kExitOk;
}

int topic_list(Ctx& ctx) {
  auto doc = ctx.query("topic list", [](ferry_admin* a, char** o, char* e, size_t n) {
    return ferry_admin_topic_list(a, o, e, n);
  });
  if (!doc) return ctx.rc;
  if (ctx.json) {
    std::string out = "{\"topics\":[";
    bool first = true;
    for (const Json& t : (*doc)["topics"].items()) {
      out += (first ? "" : ",") + json_quote(t.as_string());
      first = false;
    }
    std::printf("%s]}\n", out.c_str());
    return kExitOk;
  }
  Table t({"TOPIC"});
  for (const Json& name : (*doc)["topics"].items()) t.row({name.as_string()});
  t.print();
  return kExitOk;
}

std::optional<Json> route_of(Ctx& ctx, const std::string& topic) {
  return ctx.query(("topic route " + topic).c_str(), [&](ferry_admin* a, char** o, char* e, size_t n) {
    return ferry_admin_topic_route(a, topic.c_str(), o, e, n);
  });
}

int topic_route(Ctx& ctx, const TopicArgs& a) {
  auto doc = route_of(ctx, a.name);
  if (!doc) return ctx.rc;
  if (ctx.json) {
    std::string out = "{\"topic\":" + json_quote(a.name) + ",\"queues\":[";
    bool first = true;
    for (const Json& q : (*doc)["queues"].items()) {
      out += std::string(first ? "" : ",") + "{\"broker\":" + json_quote(q["broker"].as_string()) +
             ",\"read\":" + std::to_string(q["read"].as_int()) + ",\"write\":" + std::to_string(q["write"].as_int()) +
             ",\"perm\":" + std::to_string(q["perm"].as_int()) + "}";
      first = false;
    }
    out += "],\"brokers\":[";
    first = true;
    for (const Json& b : (*doc)["brokers"].items()) {
      out += std::string(first ? "" : ",") + "{\"cluster\":" + json_quote(b["cluster"].as_string()) +
             ",\"broker\":" + json_quote(b["broker"].as_string()) + ",\"addresses\":{";
      bool fa = true;
      for (const auto& [id, addr] : b["addresses"].members()) {
        out += (fa ? "" : ",") + json_quote(id) + ":" + json_quote(addr.as_string());
        fa = false;
      }
      out += "}}";
      first = false;
    }
    std::printf("%s]}\n", out.c_str());
    return kExitOk;
  }
  Table t({"BROKER", "READ_QUEUES", "WRITE_QUEUES", "PERM", "ADDRESSES"});
  for (const Json& q : (*doc)["queues"].items()) {
    std::string addrs;
    for (const Json& b : (*doc)["brokers"].items()) {
      if (b["broker"].as_string() != q["broker"].as_string()) continue;
      for (const auto& [id, addr] : b["addresses"].members()) addrs += (addrs.empty() ? "" : " ") + id + "=" + addr.as_string();
    }
    t.row({q["broker"].as_string(), std::to_string(q["read"].as_int()), std::to_string(q["write"].as_int()),
           std::to_string(q["perm"].as_int()), addrs});
  }
  t.print();
  return kExitOk;
}

int topic_status(Ctx& ctx, const TopicArgs& a) {
  auto doc = route_of(ctx, a.name);
  if (!doc) return ctx.rc;
  ferry_admin* admin = ctx.admin();
  Table t({"BROKER", "QUEUE", "MIN_OFFSET", "MAX_OFFSET", "MESSAGES"});
  std::string out = "{\"topic\":" + json_quote(a.name) + ",\"queues\":[";
  int64_t total = 0;
  bool first = true;
  for (const Json& q : (*doc)["queues"].items()) {
    std::string broker = q["broker"].as_string();
    for (int64_t id = 0; id < q["read"].as_int(); ++id) {
      ferry_queue_ref ref = FERRY_STRUCT_INIT(ferry_queue_ref);
      ref.topic = a.name.c_str();
      ref.broker_name = broker.c_str();
      ref.queue_id = static_cast<int32_t>(id);
      int64_t mn = 0, mx = 0;
      char err[1024] = "";
      ferry_status s = ferry_admin_queue_range(admin, &ref, &mn, &mx, err, sizeof err);
      if (s != FERRY_OK) return ctx.fail(("queue range of " + broker + "/" + std::to_string(id)).c_str(), s, err);
      total += mx - mn;
      t.row({broker, std::to_string(id), std::to_string(mn), std::to_string(mx), std::to_string(mx - mn)});
      out += std::string(first ? "" : ",") + "{\"broker\":" + json_quote(broker) + ",\"queue\":" + std::to_string(id) +
             ",\"min\":" + std::to_string(mn) + ",\"max\":" + std::to_string(mx) + "}";
      first = false;
    }
  }
  if (ctx.json) {
    std::printf("%s],\"messages\":%lld}\n", out.c_str(), static_cast<long long>(total));
  } else {
    t.print();
    std::printf("messages stored: %lld\n", static_cast<long long>(total));
  }
  return kExitOk;
}

void name_arg(CLI::App* sc, TopicArgs& a) { sc->add_option("topic", a.name, "topic name")->required(); }
void target_arg(CLI::App* sc, TopicArgs& a) {
  sc->add_option("--target", a.target, "broker host:port, or a cluster name (all its masters)")->capture_default_str();
}
void settings_args(CLI::App* sc, TopicArgs& a) {
  sc->add_option("-q,--queues", a.queues, "read and write queues")->check(CLI::Range(1u, 1024u))->capture_default_str();
  sc->add_option("--read-queues", a.read_queues, "read queues (overrides --queues)")->check(CLI::Range(1u, 1024u));
  sc->add_option("--write-queues", a.write_queues, "write queues (overrides --queues)")->check(CLI::Range(1u, 1024u));
  sc->add_option("--perm", a.perm, "r, w or rw")->check(CLI::IsMember({"r", "w", "rw"}))->capture_default_str();
  sc->add_flag("--ordered", a.ordered, "mark the topic ordered");
}

}  // namespace

void add_topic_commands(CLI::App& app, Ctx& ctx) {
  CLI::App* topic = app.add_subcommand("topic", "create, change, delete and inspect topics");
  topic->require_subcommand(1);
  auto args = std::make_shared<TopicArgs>();
  CLI::App* create = topic->add_subcommand("create", "create a topic on a broker or a cluster");
  name_arg(create, *args);
  target_arg(create, *args);
  settings_args(create, *args);
  create->add_option("--wait", args->wait_s,
                     "seconds to wait until the name servers route the new topic (0: return once the broker has it)")
      ->check(CLI::Range(0.0, 3600.0))
      ->capture_default_str();
  create->callback([&ctx, args] { ctx.rc = create_or_update(ctx, *args, false); });
  CLI::App* update = topic->add_subcommand("update", "change an existing topic's queues, perm or flags");
  name_arg(update, *args);
  target_arg(update, *args);
  settings_args(update, *args);
  update->callback([&ctx, args] { ctx.rc = create_or_update(ctx, *args, true); });
  CLI::App* del = topic->add_subcommand("delete", "delete a topic (its messages become unreachable)");
  name_arg(del, *args);
  target_arg(del, *args);
  del->callback([&ctx, args] { ctx.rc = topic_delete(ctx, *args); });
  topic->add_subcommand("list", "every topic the name servers know")->callback([&ctx] { ctx.rc = topic_list(ctx); });
  CLI::App* route = topic->add_subcommand("route", "which brokers serve a topic, with how many queues");
  name_arg(route, *args);
  route->callback([&ctx, args] { ctx.rc = topic_route(ctx, *args); });
  CLI::App* status = topic->add_subcommand("status", "min and max offset of every queue of a topic");
  name_arg(status, *args);
  status->callback([&ctx, args] { ctx.rc = topic_status(ctx, *args); });
}

}  // namespace ferry::tools
