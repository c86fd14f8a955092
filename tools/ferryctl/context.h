#pragma once
// What every ferryctl subcommand shares: the global options, one lazily
// started admin handle, and how a failure becomes a message and exit code.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <optional>

#include <string>

#include "json.h"
#include "sdk_util.h"

namespace ferry::tools {

struct Ctx {
  std::string name_servers = "127.0.0.1:10911";
  int timeout_ms = 3000;
  bool json = false;
  int rc = kExitOk;  // set by the subcommand that ran
  std::string last_answer;  // the JSON text of the last query() (printed as is by --json)

  // Config with the global options (+ extra keys); nullptr after reporting.
  ConfigPtr config(const std::vector<std::pair<std::string, std::string>>& extra = {});
  // The started admin handle; nullptr after reporting the failure.
  ferry_admin* admin();
  // Reports a failed call on stderr and returns its exit code.
  int fail(const char* what, ferry_status s, const char* err);
  // Runs a JSON-answering admin call and parses its answer.
  template <class Call>
  std::optional<Json> query(const char* what, Call call) {
    ferry_admin* a = admin();
    if (!a) return std::nullopt;
    char* raw = nullptr;
    char err[1024] = "";
    ferry_status s = call(a, &raw, err, sizeof err);
    JsonString owned(raw);
    last_answer = raw ? raw : "";
    if (s != FERRY_OK) {
      fail(what, s, err);
      return std::nullopt;
    }
    std::string perr;
    auto doc = Json::parse(raw ? raw : "", &perr);
    if (!doc) {
      std::fprintf(stderr, "%s: unreadable answer (%s)\n", what, perr.c_str());
      rc = kExitFailed;
    }
    return doc;
  }

 private:
  AdminPtr admin_;
};

// Registration of each command group on the top-level app.
void add_cluster_commands(CLI::App& app, Ctx& ctx);
void add_topic_commands(CLI::App& app, Ctx& ctx);
void add_consumer_commands(CLI::App& app, Ctx& ctx);
void add_message_commands(CLI::App& app, Ctx& ctx);
// group list; consumer connections / reset-offset; broker config. After
// add_cluster_commands and add_consumer_commands (it extends their groups).
void add_group_commands(CLI::App& app, Ctx& ctx);
// dlq list / resend.
void add_dlq_commands(CLI::App& app, Ctx& ctx);

// Printable rendering of a message body for tables (escapes, truncated).
std::string printable(std::string_view body, size_t max);
// One received message as a JSON object / a table row.
std::string message_json(const ferry_client_message* m);
std::vector<std::string> message_row(const ferry_client_message* m, size_t body_max);
std::vector<std::string> message_header();

}  // namespace ferry::tools
