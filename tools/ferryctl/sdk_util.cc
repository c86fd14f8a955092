#include "sdk_util.h"

namespace ferry::tools {

int exit_code_for(ferry_status s) {
  switch (s) {
    case FERRY_OK: return kExitOk;
    case FERRY_E_NOT_CONNECTED:
    case FERRY_E_CONNECTION_CLOSED:
    case FERRY_E_NO_NAME_SERVER:
    case FERRY_E_TIMEOUT:
      return kExitUnreachable;
    default: return kExitFailed;
  }
}

std::string describe_failure(const char* what, ferry_status s, const char* err) {
  std::string out = std::string(what) + " failed: " + ferry_status_name(s);
  if (err && *err) out += std::string(": ") + err;
  switch (exit_code_for(s)) {
    case kExitUnreachable:
      out += "\n  hint: is ferryd running? Check --name-servers (or FERRY_NAME_SERVERS) and the "
             "broker's kernel.listen; raise --timeout on a slow network.";
      break;
    default:
      break;
  }
  if (s == FERRY_E_TOPIC_NOT_FOUND || s == FERRY_E_NO_ROUTE) {
    out += "\n  hint: create it with `ferryctl topic create <topic>`; a new topic reaches the name "
           "server at the broker's next registration.";
  } else if (s == FERRY_E_ALREADY_EXISTS) {
    out += "\n  hint: use `ferryctl topic update` to change an existing topic.";
  }
  return out;
}

ConfigPtr make_config(const std::vector<std::pair<std::string, std::string>>& kv, SdkError* error) {
  ConfigPtr conf(ferry_config_new());
  if (!conf) {
    *error = {FERRY_E_NO_MEMORY, "out of memory"};
    return nullptr;
  }
  char err[512] = "";
  for (const auto& [k, v] : kv) {
    ferry_status s = ferry_config_set(conf.get(), k.c_str(), v.c_str(), err, sizeof err);
    if (s != FERRY_OK) {
      *error = {s, err};
      return nullptr;
    }
  }
  return conf;
}

AdminPtr start_admin(const ferry_config* conf, SdkError* error) {
  ferry_admin* raw = nullptr;
  char err[512] = "";
  ferry_status s = ferry_admin_new(conf, &raw, err, sizeof err);
  AdminPtr admin(raw);
  if (s == FERRY_OK) s = ferry_admin_start(admin.get(), err, sizeof err);
  if (s != FERRY_OK) {
    *error = {s, err};
    return nullptr;
  }
  return admin;
}

}  // namespace ferry::tools
