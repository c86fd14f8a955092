// ferryctl consumer progress
#include <cstdio>
#include <memory>

#include "context.h"
#include "table.h"

namespace ferry::tools {

namespace {

struct ProgressArgs {
  std::string group;
  std::string topic;
};

int consumer_progress(Ctx& ctx, const ProgressArgs& a) {
  auto doc = ctx.query(("consumer progress of " + a.group).c_str(), [&](ferry_admin* ad, char** o, char* e, size_t n) {
    return ferry_admin_consumer_progress(ad, a.group.c_str(), a.topic.empty() ? nullptr : a.topic.c_str(), o, e, n);
  });
  if (!doc) return ctx.rc;
  if (ctx.json) {
    std::string out = "{\"group\":" + json_quote(a.group) + ",\"total_lag\":" + std::to_string((*doc)["total_lag"].as_int()) +
                      ",\"queues\":[";
    bool first = true;
    for (const Json& q : (*doc)["queues"].items()) {
      out += std::string(first ? "" : ",") + "{\"topic\":" + json_quote(q["topic"].as_string()) +
             ",\"broker\":" + json_quote(q["broker"].as_string()) + ",\"queue\":" + std::to_string(q["queue"].as_int()) +
             ",\"committed\":" + std::to_string(q["committed"].as_int()) + ",\"max\":" + std::to_string(q["max"].as_int()) +
             ",\"lag\":" + std::to_string(q["lag"].as_int()) + "}";
      first = false;
    }
    std::printf("%s]}\n", out.c_str());
    return kExitOk;
  }
  Table t({"TOPIC", "BROKER", "QUEUE", "COMMITTED", "MAX", "LAG"});
  for (const Json& q : (*doc)["queues"].items()) {
    t.row({q["topic"].as_string(), q["broker"].as_string(), std::to_string(q["queue"].as_int()),
           std::to_string(q["committed"].as_int()), std::to_string(q["max"].as_int()), std::to_string(q["lag"].as_int())});
  }
  t.print();
  std::printf("total lag: %lld\n", static_cast<long long>((*doc)["total_lag"].as_int()));
  return kExitOk;
}

}  // namespace

void add_consumer_commands(CLI::App& app, Ctx& ctx) {
  CLI::App* consumer = app.add_subcommand("consumer", "consumer groups");
  consumer->require_subcommand(1);
  auto args = std::make_shared<ProgressArgs>();
  CLI::App* progress = consumer->add_subcommand("progress", "a group's committed offset, max offset and lag per queue");
  progress->add_option("group", args->group, "consumer group")->required();
  progress->add_option("-t,--topic", args->topic, "only this topic (default: every topic the group committed)");
  progress->callback([&ctx, args] { ctx.rc = consumer_progress(ctx, *args); });
}

}  // namespace ferry::tools
