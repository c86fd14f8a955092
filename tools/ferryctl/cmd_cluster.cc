// ferryctl cluster list | broker status
#include <cstdio>

#include "context.h"
#include "table.h"

namespace ferry::tools {

namespace {

int cluster_list(Ctx& ctx) {
  auto doc = ctx.query("cluster list", [](ferry_admin* a, char** out, char* e, size_t n) {
    return ferry_admin_cluster_info(a, out, e, n);
  });
  if (!doc) return ctx.rc;
  if (ctx.json) {
    // Re-emit what the name server said, unchanged in meaning.
    std::printf("{\"clusters\":[");
    bool first_c = true;
    for (const Json& c : (*doc)["clusters"].items()) {
      std::printf("%s{\"name\":%s,\"brokers\":[", first_c ? "" : ",", json_quote(c["name"].as_string()).c_str());
      first_c = false;
      bool first_b = true;
      for (const Json& b : c["brokers"].items()) {
        std::printf("%s{\"broker\":%s,\"addresses\":{", first_b ? "" : ",", json_quote(b["broker"].as_string()).c_str());
        first_b = false;
        bool first_a = true;
        for (const auto& [id, addr] : b["addresses"].members()) {
          std::printf("%s%s:%s", first_a ? "" : ",", json_quote(id).c_str(), json_quote(addr.as_string()).c_str());
          first_a = false;
        }
        std::printf("}}");
      }
      std::printf("]}");
    }
    std::printf("]}\n");
    return kExitOk;
  }
  Table t({"CLUSTER", "BROKER", "ID", "ADDRESS", "ROLE"});
  for (const Json& c : (*doc)["clusters"].items()) {
    for (const Json& b : c["brokers"].items()) {
      for (const auto& [id, addr] : b["addresses"].members()) {
        t.row({c["name"].as_string(), b["broker"].as_string(), id, addr.as_string(), id == "0" ? "master" : "replica"});
      }
    }
  }
  t.print();
  return kExitOk;
}

// Every broker address the name servers know (when none is named).
std::vector<std::string> known_brokers(Ctx& ctx) {
  std::vector<std::string> out;
  auto doc = ctx.query("cluster list", [](ferry_admin* a, char** o, char* e, size_t n) {
    return ferry_admin_cluster_info(a, o, e, n);
  });
  if (!doc) return out;
  for (const Json& c : (*doc)["clusters"].items()) {
    for (const Json& b : c["brokers"].items()) {
      for (const auto& [id, addr] : b["addresses"].members()) out.push_back(addr.as_string());
    }
  }
  return out;
}

int broker_status(Ctx& ctx, std::vector<std::string> addrs) {
  if (addrs.empty()) {
    addrs = known_brokers(ctx);
    if (ctx.rc != kExitOk) return ctx.rc;
    if (addrs.empty()) {
      std::fprintf(stderr, "no broker is registered with the name servers; name one: ferryctl broker status host:port\n");
      return kExitFailed;
    }
  }
  std::string json_out = "{\"brokers\":[";
  for (size_t i = 0; i < addrs.size(); ++i) {
    const std::string& addr = addrs[i];
    auto doc = ctx.query(("broker status " + addr).c_str(), [&](ferry_admin* a, char** o, char* e, size_t n) {
      return ferry_admin_runtime_stats(a, addr.c_str(), o, e, n);
    });
    if (!doc) return ctx.rc;
    if (ctx.json) {
      json_out += (i ? "," : "") + std::string("{\"broker\":") + json_quote(addr) + ",\"stats\":{";
      bool first = true;
      for (const auto& [k, v] : (*doc)["stats"].members()) {
        json_out += (first ? "" : ",") + json_quote(k) + ":" +
                    (v.kind() == Json::Kind::Number ? v.raw_number() : json_quote(v.as_string()));
        first = false;
      }
      json_out += "}}";
      continue;
    }
    std::printf("broker %s\n", addr.c_str());
    Table t({"STAT", "VALUE"});
    for (const auto& [k, v] : (*doc)["stats"].members()) t.row({k, v.as_string()});
    t.print();
  }
  if (ctx.json) std::printf("%s]}\n", json_out.c_str());
  return kExitOk;
}

}  // namespace

void add_cluster_commands(CLI::App& app, Ctx& ctx) {
  CLI::App* cluster = app.add_subcommand("cluster", "clusters and their brokers");
  cluster->require_subcommand(1);
  cluster->add_subcommand("list", "every cluster, broker group and broker address the name servers know")
      ->callback([&ctx] { ctx.rc = cluster_list(ctx); });

  CLI::App* broker = app.add_subcommand("broker", "one broker's state");
  broker->require_subcommand(1);
  auto addrs = std::make_shared<std::vector<std::string>>();
  CLI::App* status = broker->add_subcommand("status", "a broker's runtime counters (every known broker if none named)");
  status->add_option("address", *addrs, "broker host:port");
  status->callback([&ctx, addrs] { ctx.rc = broker_status(ctx, *addrs); });
}

}  // namespace ferry::tools
