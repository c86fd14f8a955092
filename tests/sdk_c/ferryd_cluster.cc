#include "ferryd_cluster.h"

#include <ferry_test/free_port.h>
#include <ferry_test/paths.h>

#include <csignal>

namespace ferry::sdk::test {

using namespace std::chrono_literals;
using ferry::test::wait_until;

namespace {

bool serving(ferry::test::ChildProcess& p) {
  return p.log().find("ferryd serving") != std::string::npos;
}

std::string tail(const std::string& log, size_t lines = 8) {
  size_t pos = log.size();
  for (size_t i = 0; i <= lines && pos != std::string::npos && pos > 0; ++i) pos = log.rfind('\n', pos - 1);
  return pos == std::string::npos ? log : log.substr(pos + 1);
}

Admin admin_for(const std::string& name_servers) {
  ferry_admin* a = nullptr;
  auto conf = make_conf(name_servers);
  if (ferry_admin_new(conf.get(), &a, nullptr, 0) != FERRY_OK) return nullptr;
  Admin admin(a);
  if (ferry_admin_start(a, nullptr, 0) != FERRY_OK) return nullptr;
  return admin;
}

}  // namespace

std::unique_ptr<ferry::test::ChildProcess> FerrydCluster::spawn(const std::vector<std::string>& args,
                                                                const std::string& name) {
  std::vector<std::string> argv{ferry::test::bin_path("ferryd")};
  argv.insert(argv.end(), args.begin(), args.end());
  return std::make_unique<ferry::test::ChildProcess>(argv, dir_.str() + "/" + name + ".log");
}

FerrydCluster::FerrydCluster(Options o) {
  const std::string conf = ferry::test::source_dir() + "/conf/";
  for (int i = 0; i < o.name_servers; ++i) {
    std::string addr = ferry::test::loopback(ferry::test::free_port());
    ns_addr_.push_back(addr);
    ns_.push_back(spawn({"--config", conf + "namesrv.toml", "--set", "kernel.listen=" + addr, "--set",
                         "kernel.data_dir=" + dir_.str() + "/ns" + std::to_string(i)},
                        "ns" + std::to_string(i)));
  }
  std::string ns_list;
  for (const auto& a : ns_addr_) ns_list += (ns_list.empty() ? "\"" : ",\"") + a + "\"";
  for (int i = 0; i < o.brokers; ++i) {
    std::string addr = ferry::test::loopback(ferry::test::free_port());
    broker_addr_.push_back(addr);
    brokers_.push_back(spawn({"--config", conf + "broker.toml", "--set", "kernel.listen=" + addr, "--set",
                              "kernel.data_dir=" + dir_.str() + "/" + broker_name(i), "--set",
                              "broker.name=" + broker_name(i), "--set",
                              "plugins.registration.name_servers=[" + ns_list + "]", "--set",
                              "plugins.registration.register_interval=1s", "--set",
                              "plugins.registration.change_debounce=50ms", "--set",
                              "plugins.flush.library=" + o.flush, "--set", "plugins.storage.segment_size=64MiB"},
                             broker_name(i)));
  }
  auto all_serving = [&] {
    for (auto& p : ns_)
      if (!serving(*p)) return false;
    for (auto& p : brokers_)
      if (!serving(*p)) return false;
    return true;
  };
  if (!wait_until(all_serving, 20s)) {
    error_ = "ferryd processes did not all start:\n" + logs();
    return;
  }
  admin_ = admin_for(name_servers());
  if (!admin_) error_ = "cannot start an admin client";
}

FerrydCluster::~FerrydCluster() {
  admin_.reset();
  for (auto* list : {&brokers_, &ns_})
    for (auto& p : *list)
      if (p && p->running()) p->signal(SIGTERM);
  for (auto* list : {&brokers_, &ns_})
    for (auto& p : *list)
      if (p) p->wait_for(10s);  // the destructor SIGKILLs what is left
}

std::string FerrydCluster::name_servers() const {
  std::string out;
  for (const auto& a : ns_addr_) out += (out.empty() ? "" : ";") + a;
  return out;
}

std::string FerrydCluster::create_topic(const std::string& topic, uint32_t queues) {
  char err[512];
  for (size_t i = 0; i < brokers_.size(); ++i) {
    if (!brokers_[i]->running()) continue;
    ferry_topic_settings t = FERRY_STRUCT_INIT(ferry_topic_settings);
    t.name = topic.c_str();
    t.read_queues = t.write_queues = queues;
    t.perm = 6;
    if (ferry_admin_create_topic(admin_.get(), broker_addr_[i].c_str(), &t, err, sizeof err) != FERRY_OK)
      return "create " + topic + " on " + broker_addr_[i] + ": " + err;
  }
  // Every name server must route it to every live broker (each registers on
  // its own round).
  for (size_t n = 0; n < ns_.size(); ++n) {
    if (!ns_[n]->running()) continue;
    Admin one = admin_for(ns_addr_[n]);
    if (!one) return "cannot start an admin client";
    bool routed = wait_until([&] {
      char* json = nullptr;
      if (ferry_admin_topic_route(one.get(), topic.c_str(), &json, nullptr, 0) != FERRY_OK) return false;
      std::string route = json;
      ferry_string_free(json);
      for (size_t i = 0; i < brokers_.size(); ++i)
        if (brokers_[i]->running() && route.find("\"" + broker_name(static_cast<int>(i)) + "\"") == std::string::npos)
          return false;
      return true;
    }, 20s, 50ms);
    if (!routed) return "name server " + ns_addr_[n] + " does not route " + topic + " to every broker";
  }
  return {};
}

void FerrydCluster::kill_broker(int i) { brokers_[static_cast<size_t>(i)]->kill_now(); }
void FerrydCluster::signal_broker(int i, int sig) { brokers_[static_cast<size_t>(i)]->signal(sig); }
void FerrydCluster::kill_name_server(int i) { ns_[static_cast<size_t>(i)]->kill_now(); }

std::string FerrydCluster::logs() const {
  std::string out;
  for (size_t i = 0; i < ns_.size(); ++i) out += "--- ns" + std::to_string(i) + "\n" + tail(ns_[i]->log());
  for (size_t i = 0; i < brokers_.size(); ++i)
    out += "--- " + broker_name(static_cast<int>(i)) + "\n" + tail(brokers_[i]->log());
  return out;
}

}  // namespace ferry::sdk::test
