// ferryctl dlq list | dlq resend — a consumer group's dead letters (the
// messages that failed more than the group's max_reconsume_times and sit in
// %DLQ%<group>), and their re-send to the topic they came from.
#include <cstdio>
#include <ctime>
#include <memory>

#include "context.h"
#include "table.h"

namespace ferry::tools {

namespace {

struct DlqArgs {
  std::string group;
  std::string id;
  bool all = false;
  size_t max = 1000;
};

std::string utc_ms(int64_t ms) {
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char date[32];
  std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
  std::string millis = std::to_string(1000 + ms % 1000).substr(1);  // 3 digits
  return std::string(date) + "." + millis + "Z";
}

int dlq_list(Ctx& ctx, const DlqArgs& a) {
  ferry_admin* ad = ctx.admin();
  if (!ad) return ctx.rc;
  char* raw = nullptr;
  char err[1024] = "";
  ferry_status s = ferry_admin_dlq_list(ad, a.group.c_str(), a.max, &raw, err, sizeof err);
  JsonString owned(raw);
  if (s == FERRY_E_NOT_FOUND) {  // no dead-letter topic: nothing ever failed that often
    if (ctx.json)
      std::printf("{\"group\":%s,\"messages\":[],\"more\":false}\n", json_quote(a.group).c_str());
    else
      std::printf("group %s has no dead letters\n", a.group.c_str());
    return kExitOk;
  }
  if (s != FERRY_OK) return ctx.fail(("dead letters of " + a.group).c_str(), s, err);
  if (ctx.json) {
    std::printf("%s\n", raw);
    return kExitOk;
  }
  std::string perr;
  auto doc = Json::parse(raw, &perr);
  if (!doc) {
    std::fprintf(stderr, "dead letters of %s: unreadable answer (%s)\n", a.group.c_str(), perr.c_str());
    return kExitFailed;
  }
  Table t({"OFFSET_MSG_ID", "MSG_ID", "ORIGINAL_TOPIC", "RECONSUMED", "STORED", "BROKER", "TAGS", "KEYS"});
  for (const Json& m : (*doc)["messages"].items())
    t.row({m["offset_msg_id"].as_string(), m["msg_id"].as_string(), m["original_topic"].as_string(),
           std::to_string(m["reconsume_times"].as_int()), utc_ms(m["store_timestamp_ms"].as_int()),
           m["broker"].as_string(), m["tags"].as_string(), m["keys"].as_string()});
  t.print();
  if (t.size() == 0) std::printf("group %s has no dead letters\n", a.group.c_str());
  if ((*doc)["more"].as_bool()) std::printf("(more than %zu; raise --max to see them)\n", a.max);
  return kExitOk;
}

int dlq_resend(Ctx& ctx, const DlqArgs& a) {
  if (a.all == !a.id.empty()) {
    std::fprintf(stderr, "dlq resend: give exactly one of --id ID or --all (see `ferryctl dlq list --group %s`)\n",
                 a.group.c_str());
    return kExitUsage;
  }
  auto doc = ctx.query(("re-send of dead letters of " + a.group).c_str(), [&](ferry_admin* ad, char** o, char* e, size_t n) {
    return ferry_admin_dlq_resend(ad, a.group.c_str(), a.all ? nullptr : a.id.c_str(), o, e, n);
  });
  if (!doc) return ctx.rc;
  if (ctx.json) {
    std::printf("%s\n", ctx.last_answer.c_str());
    return kExitOk;
  }
  Table t({"OFFSET_MSG_ID", "TOPIC", "NEW_OFFSET_MSG_ID"});
  for (const Json& r : (*doc)["resent"].items())
    t.row({r["offset_msg_id"].as_string(), r["topic"].as_string(), r["new_offset_msg_id"].as_string()});
  t.print();
  std::printf("%zu dead letter(s) of %s re-sent\n", t.size(), a.group.c_str());
  return kExitOk;
}

}  // namespace

void add_dlq_commands(CLI::App& app, Ctx& ctx) {
  CLI::App* dlq = app.add_subcommand("dlq", "dead letters: messages a group failed more than max_reconsume_times");
  dlq->require_subcommand(1);
  auto args = std::make_shared<DlqArgs>();
  CLI::App* list = dlq->add_subcommand("list", "the dead letters of a consumer group (%DLQ%<group>)");
  list->add_option("-g,--group", args->group, "consumer group")->required();
  list->add_option("--max", args->max, "list at most this many")->check(CLI::Range(size_t{1}, size_t{100000}))
      ->capture_default_str();
  list->callback([&ctx, args] { ctx.rc = dlq_list(ctx, *args); });
  CLI::App* resend = dlq->add_subcommand("resend", "store dead letters again in their original topic (reconsume times 0)");
  resend->add_option("-g,--group", args->group, "consumer group")->required();
  auto* id = resend->add_option("--id", args->id, "the dead letter's offset message id (OFFSET_MSG_ID of `dlq list`)");
  auto* all = resend->add_flag("--all", args->all, "every dead letter of the group");
  id->excludes(all);
  resend->callback([&ctx, args] { ctx.rc = dlq_resend(ctx, *args); });
}

}  // namespace ferry::tools
