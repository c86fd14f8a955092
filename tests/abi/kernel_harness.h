#pragma once
// Runs a Kernel from config text on its own thread (the loop thread), with
// logs captured, for tests of the loader and the lifecycle.
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "assembly.h"
#include "ferry_test/child_process.h"
#include "ferry_test/paths.h"
#include "kernel.h"
#include "log/log_sink.h"

namespace ferry::test {

inline std::string fake_plugin(const std::string& file_stem) {
  return build_dir() + "/lib/ferry/test-plugins/" + file_stem + ".so";
}

// Errors of assembling `text` (named test.toml), one string each.
inline std::vector<std::string> assembly_errors(const std::string& text) {
  config::ErrorList errors;
  AssemblyInput in;
  in.config_path = "test.toml";
  in.config_text = text;
  in.exe_dir = build_dir() + "/bin";
  auto a = assemble(in, errors);
  std::vector<std::string> out;
  for (const auto& e : errors.all()) out.push_back(e.text());
  if (a && !out.empty()) out.push_back("<assembled despite errors>");
  return out;
}

class KernelRun {
 public:
  // Assembles `text`; ok() is false (and errors() says why) when that fails.
  // With `transport`, the kernel listens on 127.0.0.1 (a free port) through
  // kernel/net, as ferryd does.
  explicit KernelRun(const std::string& text, const std::string& data_dir,
                     bool transport = false) {
    AssemblyInput in;
    in.config_path = "test.toml";
    in.config_text = text;
    in.overrides = {"kernel.data_dir=" + data_dir};
    if (transport) in.overrides.push_back("kernel.listen=127.0.0.1:0");
    in.exe_dir = build_dir() + "/bin";
    auto a = assemble(in, errors_);
    if (!a) return;
    KernelOptions opts;
    opts.sink = &sink_;
    opts.handle_signals = false;
    kernel_ = std::make_unique<Kernel>(std::move(*a), opts);
    if (transport) kernel_->attach_transport();
  }
  ~KernelRun() {
    if (thread_.joinable()) {
      kernel_->request_stop();
      thread_.join();
    }
  }
  bool ok() const { return kernel_ != nullptr; }
  std::string errors() const { return errors_.text(); }
  Kernel& kernel() { return *kernel_; }

  void start() {
    thread_ = std::thread([this] {
      exit_code_ = kernel_->run();
      finished_ = true;
    });
  }
  // Waits until serving or until run() returned (a failed start).
  bool wait_serving() {
    return wait_until([&] { return kernel_->serving() || done_(); }, std::chrono::seconds(10)) &&
           kernel_->serving();
  }
  int stop_and_join() {
    kernel_->request_stop();
    thread_.join();
    return exit_code_;
  }
  int join() {
    thread_.join();
    return exit_code_;
  }
  // Log lines of instance `who` ("who: message"), in order.
  std::vector<std::string> lines_of(const std::string& prefix = "") const {
    std::vector<std::string> out;
    for (const auto& l : sink_.lines())
      if (l.rfind("kernel: ", 0) != 0 && l.rfind(prefix, 0) == 0) out.push_back(l);
    return out;
  }
  std::vector<std::string> all_lines() const { return sink_.lines(); }

 private:
  bool done_() const { return finished_.load(); }
  config::ErrorList errors_;
  log::CaptureSink sink_;
  std::unique_ptr<Kernel> kernel_;
  std::thread thread_;
  int exit_code_ = -1;
  std::atomic<bool> finished_{false};
};

}  // namespace ferry::test
