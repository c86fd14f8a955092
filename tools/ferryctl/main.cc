// ferryctl: operate a Ferry cluster through libferry's admin calls
// (docs/tools.md lists every subcommand and the exit codes).
#include <CLI/CLI.hpp>

#include <cstdlib>

#include "context.h"

int main(int argc, char** argv) {
  using namespace ferry::tools;
  Ctx ctx;
  if (const char* ns = std::getenv("FERRY_NAME_SERVERS")) ctx.name_servers = ns;
  CLI::App app{"ferryctl: administer Ferry. Exit codes: 0 ok, 1 operation failed, 2 usage error, 3 not reachable."};
  app.require_subcommand(1);
  app.fallthrough();  // global options may follow the subcommand
  app.add_option("-n,--name-servers", ctx.name_servers, "host:port;host:port (env FERRY_NAME_SERVERS)")
      ->capture_default_str();
  app.add_option("--timeout", ctx.timeout_ms, "ms per request and per connect")
      ->check(CLI::Range(1, 600000))->capture_default_str();
  app.add_flag("--json", ctx.json, "machine-readable output on stdout");
  add_cluster_commands(app, ctx);
  add_topic_commands(app, ctx);
  add_consumer_commands(app, ctx);
  add_message_commands(app, ctx);
  add_group_commands(app, ctx);
  add_dlq_commands(app, ctx);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? kExitOk : kExitUsage;
  }
  return ctx.rc;
}
