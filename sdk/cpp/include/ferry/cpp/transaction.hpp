// Transactional producer: declared by libferry, working later. Today build()
// throws ferry::Error(FERRY_E_NOT_SUPPORTED) — never a silent success. The
// trampolines are complete so nothing here changes when the broker side
// lands; an exception from a callback maps to UNKNOWN (the broker asks again).
#pragma once

#include <ferry/client.h>

#include <functional>
#include <memory>
#include <utility>

#include "ferry/cpp/builder.hpp"
#include "ferry/cpp/callbacks.hpp"
#include "ferry/cpp/error.hpp"
#include "ferry/cpp/handles.hpp"
#include "ferry/cpp/message.hpp"
#include "ferry/cpp/producer.hpp"

namespace ferry {

enum class TransactionState {
  Commit = FERRY_TRANSACTION_COMMIT,
  Rollback = FERRY_TRANSACTION_ROLLBACK,
  Unknown = FERRY_TRANSACTION_UNKNOWN,
};

using LocalTransaction = std::function<TransactionState(MessageView msg)>;
using TransactionChecker = std::function<TransactionState(MessageView msg)>;

namespace detail {

struct CheckState {
  Hooks* hooks;
  TransactionChecker check;
};

inline ferry_transaction_state check_trampoline(void* user_data, const ferry_client_message* msg) noexcept {
  auto* st = static_cast<CheckState*>(user_data);
  return guarded(st->hooks, "transaction check", FERRY_TRANSACTION_UNKNOWN, [&] {
    return static_cast<ferry_transaction_state>(st->check(MessageView(msg)));
  });
}

struct LocalCall {
  const Hooks* hooks;
  const LocalTransaction* fn;
};

inline ferry_transaction_state local_trampoline(void* user_data, const ferry_client_message* msg,
                                                void* /*arg*/) noexcept {
  auto* call = static_cast<LocalCall*>(user_data);
  return guarded(call->hooks, "local transaction", FERRY_TRANSACTION_UNKNOWN, [&] {
    return static_cast<ferry_transaction_state>((*call->fn)(MessageView(msg)));
  });
}

}  // namespace detail

class TransactionProducer {
 public:
  // Sends a half message, runs `local` and commits or rolls back by its answer.
  SendResult send(const Message& msg, const LocalTransaction& local) {
    detail::LocalCall call{hooks_.get(), &local};
    SendResult r;
    detail::check([&](char* eb, std::size_t el) {
      return ferry_transaction_producer_send(handle_.get(), msg.raw(), &detail::local_trampoline, &call,
                                             r.raw(), eb, el);
    });
    return r;
  }

 private:
  friend class TransactionProducerBuilder;
  TransactionProducer(std::shared_ptr<detail::Hooks> hooks, std::unique_ptr<detail::CheckState> check,
                      detail::TxProducerPtr handle) noexcept
      : hooks_(std::move(hooks)), check_(std::move(check)), handle_(std::move(handle)) {}

  std::shared_ptr<detail::Hooks> hooks_;
  std::unique_ptr<detail::CheckState> check_;
  detail::TxProducerPtr handle_;
};

class TransactionProducerBuilder : public ClientBuilder<TransactionProducerBuilder> {
 public:
  // Answers the broker's check-back for a half message left UNKNOWN.
  TransactionProducerBuilder& checker(TransactionChecker fn) {
    check_ = std::move(fn);
    return *this;
  }

  TransactionProducer build() {
    auto hooks = take_hooks();
    auto check = std::make_unique<detail::CheckState>(detail::CheckState{hooks.get(), check_});
    ferry_transaction_producer* out = nullptr;
    detail::check([&](char* eb, std::size_t el) {
      return ferry_transaction_producer_new(conf_.raw(), &detail::check_trampoline, check.get(), &out, eb, el);
    });
    return TransactionProducer(std::move(hooks), std::move(check), detail::TxProducerPtr(out));
  }

 private:
  TransactionChecker check_;
};

}  // namespace ferry
