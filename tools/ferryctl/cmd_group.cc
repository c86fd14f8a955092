// ferryctl group list | consumer connections | consumer reset-offset |
// broker config — groups and settings as the brokers see them.
#include <cinttypes>
#include <climits>
#include <cstdio>
#include <ctime>
#include <memory>

#include "context.h"
#include "table.h"

namespace ferry::tools {

namespace {

std::string joined(const Json& arr, const char* sep = ",") {
  std::string out;
  for (const Json& v : arr.items()) out += (out.empty() ? "" : sep) + v.as_string();
  return out;
}

int group_list(Ctx& ctx, const std::string& broker) {
  auto doc = ctx.query("group list", [&](ferry_admin* a, char** o, char* e, size_t n) {
    return ferry_admin_group_list(a, broker.empty() ? nullptr : broker.c_str(), o, e, n);
  });
  if (!doc) return ctx.rc;
  if (ctx.json) {
    std::printf("%s\n", ctx.last_answer.c_str());
    return kExitOk;
  }
  Table t({"GROUP", "BROKER", "MEMBERS", "MODEL", "OFFSETS", "TOPICS"});
  for (const Json& g : (*doc)["groups"].items())
    t.row({g["group"].as_string(), g["broker"].as_string(), std::to_string(g["members"].as_int()),
           g["model"].as_string(), g["has_offsets"].as_bool() ? "yes" : "no", joined(g["topics"])});
  t.print();
  if (t.size() == 0) std::printf("no consumer group known\n");
  return kExitOk;
}

int consumer_connections(Ctx& ctx, const std::string& group) {
  auto doc = ctx.query(("consumer connections of " + group).c_str(), [&](ferry_admin* a, char** o, char* e, size_t n) {
    return ferry_admin_consumer_connections(a, group.c_str(), o, e, n);
  });
  if (!doc) return ctx.rc;
  if (ctx.json) {
    std::printf("%s\n", ctx.last_answer.c_str());
    return kExitOk;
  }
  Table t({"CLIENT", "ADDRESS", "LANGUAGE", "VERSION", "BROKER", "MODEL", "HEARD", "SUBSCRIPTIONS"});
  for (const Json& c : (*doc)["connections"].items()) {
    std::string subs;
    for (const Json& s : c["subscriptions"].items()) {
      std::string expr = s["expression"].as_string();
      subs += (subs.empty() ? "" : " ") + s["topic"].as_string() + "(" + (expr.empty() ? "*" : expr) + ")";
    }
    t.row({c["client_id"].as_string(), c["address"].as_string(), c["language"].as_string(), c["version"].as_string(),
           c["broker"].as_string(), c["model"].as_string(),
           std::to_string(c["last_heartbeat_ms_ago"].as_int() / 1000) + "s ago", subs});
  }
  t.print();
  return kExitOk;
}

// "now", "earliest", "latest", ms since the epoch, a UTC time
// "2026-11-28T06:00:00Z" (or with ".123"), or a relative "-30s/-10m/-2h/-1d".
bool parse_time(const std::string& s, int64_t* out, std::string* why) {
  auto now_ms = [] {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1'000'000;
  };
  if (s == "now") return *out = now_ms(), true;
  if (s == "earliest") return *out = 0, true;
  if (s == "latest") return *out = INT64_MAX, true;
  if (s.size() >= 3 && s[0] == '-') {
    char unit = s.back();
    int64_t per = unit == 's' ? 1000 : unit == 'm' ? 60'000 : unit == 'h' ? 3'600'000 : unit == 'd' ? 86'400'000 : 0;
    std::string digits = s.substr(1, s.size() - 2);
    if (per && !digits.empty() && digits.find_first_not_of("0123456789") == std::string::npos && digits.size() < 10)
      return *out = now_ms() - std::stoll(digits) * per, true;
  }
  if (!s.empty() && s.find_first_not_of("0123456789") == std::string::npos && s.size() < 19)
    return *out = std::stoll(s), true;
  std::tm tm{};
  int ms = 0;
  const char* rest = strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (rest && *rest == '.') {
    char* end = nullptr;
    long frac = std::strtol(rest + 1, &end, 10);
    if (end == rest + 4) ms = static_cast<int>(frac), rest = end;
    else rest = nullptr;
  }
  if (rest && std::string(rest) == "Z") return *out = static_cast<int64_t>(timegm(&tm)) * 1000 + ms, true;
  *why = "'" + s + "' is not a time: use now, earliest, latest, ms since the epoch, "
         "2026-11-28T06:00:00Z (UTC) or -30s / -10m / -2h / -1d";
  return false;
}

struct ResetArgs {
  std::string group, topic, time;
};

int reset_offset(Ctx& ctx, const ResetArgs& a) {
  int64_t ts = 0;
  std::string why;
  if (!parse_time(a.time, &ts, &why)) {
    std::fprintf(stderr, "consumer reset-offset: %s\n", why.c_str());
    return kExitUsage;
  }
  auto doc = ctx.query(("reset offsets of " + a.group + " on " + a.topic).c_str(),
                       [&](ferry_admin* ad, char** o, char* e, size_t n) {
                         return ferry_admin_reset_offset_by_time(ad, a.group.c_str(), a.topic.c_str(), ts, o, e, n);
                       });
  if (!doc) return ctx.rc;
  if (ctx.json) {
    std::printf("%s\n", ctx.last_answer.c_str());
    return kExitOk;
  }
  Table t({"BROKER", "QUEUE", "OFFSET"});
  for (const Json& q : (*doc)["queues"].items())
    t.row({q["broker"].as_string(), std::to_string(q["queue"].as_int()), std::to_string(q["offset"].as_int())});
  t.print();
  std::printf("group %s on %s reset to %" PRId64 " ms; %lld live member(s) notified\n", a.group.c_str(),
              a.topic.c_str(), ts, static_cast<long long>((*doc)["members_notified"].as_int()));
  return kExitOk;
}

int broker_config(Ctx& ctx, const std::string& addr) {
  auto doc = ctx.query(("broker config of " + addr).c_str(), [&](ferry_admin* a, char** o, char* e, size_t n) {
    return ferry_admin_broker_config(a, addr.c_str(), o, e, n);
  });
  if (!doc) return ctx.rc;
  if (ctx.json) {
    std::printf("%s\n", ctx.last_answer.c_str());
    return kExitOk;
  }
  // TOML again, so the output can be saved and edited as a config.
  for (const auto& [section, keys] : (*doc)["sections"].members()) {
    std::printf("[%s]\n", section.c_str());
    for (const auto& [k, v] : keys.members()) std::printf("%s = %s\n", k.c_str(), v.as_string().c_str());
    std::printf("\n");
  }
  return kExitOk;
}

}  // namespace

void add_group_commands(CLI::App& app, Ctx& ctx) {
  CLI::App* group = app.add_subcommand("group", "consumer groups");
  group->require_subcommand(1);
  auto broker = std::make_shared<std::string>();
  CLI::App* list = group->add_subcommand("list", "consumer groups each broker knows (live members or committed offsets)");
  list->add_option("-b,--broker", *broker, "only this broker (host:port); default every master");
  list->callback([&ctx, broker] { ctx.rc = group_list(ctx, *broker); });

  CLI::App* consumer = app.get_subcommand("consumer");
  auto group_name = std::make_shared<std::string>();
  CLI::App* conns = consumer->add_subcommand("connections", "live members of a group: address, language, version, subscriptions");
  conns->add_option("group", *group_name, "consumer group")->required();
  conns->callback([&ctx, group_name] { ctx.rc = consumer_connections(ctx, *group_name); });

  auto reset = std::make_shared<ResetArgs>();
  CLI::App* rs = consumer->add_subcommand(
      "reset-offset",
      "commit, for every queue of a topic, the first offset stored at or after a time; live members are told "
      "and pull from there");
  rs->add_option("group", reset->group, "consumer group")->required();
  rs->add_option("-t,--topic", reset->topic, "topic")->required();
  rs->add_option("--time", reset->time,
                 "now | earliest | latest | ms since the epoch | 2026-11-28T06:00:00Z (UTC) | -30s/-10m/-2h/-1d")
      ->required();
  rs->callback([&ctx, reset] { ctx.rc = reset_offset(ctx, *reset); });

  CLI::App* brk = app.get_subcommand("broker");
  auto addr = std::make_shared<std::string>();
  CLI::App* config = brk->add_subcommand("config", "a broker's running configuration (every key, defaults applied), as TOML");
  config->add_option("address", *addr, "broker host:port")->required();
  config->callback([&ctx, addr] { ctx.rc = broker_config(ctx, *addr); });
}

}  // namespace ferry::tools
