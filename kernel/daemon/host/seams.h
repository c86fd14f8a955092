#pragma once
// The seams where the transport (kernel/net) and the messaging core
// (kernel/core) attach to the host table. Until a subsystem is attached the
// kernel installs the Unavailable* implementations: every call returns
// FERRY_E_NOT_SUPPORTED and logs which subsystem is missing. Attaching one is
// Kernel::attach_net / attach_core before start; nothing else changes.
#include <ferry/host.h>

#include <functional>
#include <string>

// Opaque to plugins; the transport derives its request type from this.
struct ferry_request {
  virtual ~ferry_request() = default;
  virtual ferry_slice payload() const = 0;
  virtual ferry_slice attachment() const = 0;
  virtual uint32_t code() const = 0;
  virtual uint64_t conn_id() const = 0;
  virtual const char* peer() const = 0;
  virtual bool oneway() const = 0;
  // Answers and frees the request (the object may be gone on return). [any]
  virtual void respond(ferry_status status, const char* message, ferry_slice payload,
                       ferry_slice attachment) = 0;
};

// Opaque to plugins; the core derives its edit type from this.
struct ferry_message_edit {
  virtual ~ferry_message_edit() = default;
  virtual const ferry_message* message() const = 0;
  virtual bool get_property(const char* name, ferry_slice* value) const = 0;
  virtual ferry_status set_property(const char* name, ferry_slice value) = 0;
  virtual ferry_status remove_property(const char* name) = 0;
  virtual ferry_status set_topic(ferry_slice topic) = 0;
  virtual ferry_status set_queue(int32_t queue_id) = 0;
  virtual ferry_status set_sys_flag(int32_t sys_flag) = 0;
};

namespace ferry::host {

// The transport's part of the host table. [loop] unless noted.
class NetSeam {
 public:
  virtual ~NetSeam() = default;
  virtual ferry_status handler_register(ferry_host* h, uint32_t code, ferry_request_fn fn,
                                        void* user_data) = 0;
  virtual ferry_status conn_open(ferry_host* h, const char* address, ferry_conn_event_fn on_event,
                                 void* user_data, ferry_conn** out) = 0;
  virtual ferry_status conn_request(ferry_host* h, ferry_conn* conn, uint32_t code,
                                    ferry_slice payload, ferry_slice attachment,
                                    uint32_t timeout_ms, bool oneway, ferry_response_fn fn,
                                    void* user_data) = 0;
  virtual void conn_close(ferry_host* h, ferry_conn* conn) = 0;
  virtual ferry_status listen(ferry_host* h, const char* address, ferry_request_fn handler,
                              ferry_conn_event_fn on_event, void* user_data,
                              ferry_listener** out) = 0;
  virtual void listen_close(ferry_host* h, ferry_listener* listener) = 0;
  virtual ferry_status client_request(ferry_host* h, uint64_t conn_id, uint32_t code,
                                      ferry_slice payload, ferry_slice attachment,
                                      uint32_t timeout_ms, bool oneway, ferry_response_fn fn,
                                      void* user_data) = 0;
  // Everything the instance registered goes (handlers, connections,
  // listeners); nothing of it calls the plugin again. Called after its
  // destroy. [loop]
  virtual void release(ferry_host* h) = 0;

  // ---- the kernel's side ----
  // Bind the kernel's listener (before plugins are created: nothing is
  // accepted until the loop runs, which is after every start). [loop]
  virtual ferry_status start_listening(std::string* error) = 0;
  // "ip:port" actually bound; empty when not listening.
  virtual std::string bound_address() const = 0;
  // Stop accepting, answer or close what is in flight, then run `done`. [loop]
  virtual void shutdown(std::function<void()> done) = 0;
  // Drop every remaining server, client and listener (after every instance
  // is destroyed; the loop keeps running until their handles are closed).
  virtual void close_all() = 0;
};

// The messaging core's part of the host table. [loop]
class CoreSeam {
 public:
  virtual ~CoreSeam() = default;
  virtual ferry_status producer_conn(ferry_host* h, ferry_slice group, uint64_t* conn_id) = 0;
  virtual ferry_status topic_get(ferry_host* h, ferry_slice name, ferry_topic_info* out) = 0;
  virtual ferry_status topic_foreach(ferry_host* h, ferry_topic_visit_fn fn, void* user_data) = 0;
  virtual ferry_status put_message(ferry_host* h, const ferry_message* msg, ferry_put_fn on_put,
                                   void* user_data) = 0;
  virtual ferry_status hook_pre_append(ferry_host* h, const char* property,
                                       ferry_pre_append_fn fn, void* user_data) = 0;
  virtual void release(ferry_host* h) = 0;
};

// Before kernel/net is attached.
class UnavailableNet final : public NetSeam {
 public:
  ferry_status handler_register(ferry_host* h, uint32_t, ferry_request_fn, void*) override;
  ferry_status conn_open(ferry_host* h, const char*, ferry_conn_event_fn, void*,
                         ferry_conn**) override;
  ferry_status conn_request(ferry_host* h, ferry_conn*, uint32_t, ferry_slice, ferry_slice,
                            uint32_t, bool, ferry_response_fn, void*) override;
  void conn_close(ferry_host*, ferry_conn*) override {}
  ferry_status listen(ferry_host* h, const char*, ferry_request_fn, ferry_conn_event_fn, void*,
                      ferry_listener**) override;
  void listen_close(ferry_host*, ferry_listener*) override {}
  ferry_status client_request(ferry_host* h, uint64_t, uint32_t, ferry_slice, ferry_slice,
                              uint32_t, bool, ferry_response_fn, void*) override;
  void release(ferry_host*) override {}
  ferry_status start_listening(std::string*) override { return FERRY_OK; }
  std::string bound_address() const override { return {}; }
  void shutdown(std::function<void()> done) override {
    if (done) done();
  }
  void close_all() override {}
};

// Before kernel/core is attached (and on a name server, where it stays off).
class UnavailableCore final : public CoreSeam {
 public:
  ferry_status producer_conn(ferry_host* h, ferry_slice, uint64_t*) override;
  ferry_status topic_get(ferry_host* h, ferry_slice, ferry_topic_info*) override;
  ferry_status topic_foreach(ferry_host* h, ferry_topic_visit_fn, void*) override;
  ferry_status put_message(ferry_host* h, const ferry_message*, ferry_put_fn, void*) override;
  ferry_status hook_pre_append(ferry_host* h, const char*, ferry_pre_append_fn, void*) override;
  void release(ferry_host*) override {}
};

// The text logged when a seam is missing, e.g. for tests to assert on.
std::string missing_subsystem_text(const char* function, bool net);

}  // namespace ferry::host
