// The kernel's own error_create / error_get / error_destroy (host ABI minor
// 2), called through the real host table rather than the tests' fake host:
// a flusher creates one, hands it to storage.sync (which fills it with the
// same table's set_error) and reads the storage's words back.
#include <gtest/gtest.h>

#include <string>
#include <thread>

#include "host/host_api.h"

namespace ferry::host {
namespace {

TEST(HostErrors, TheTableOffersAllThreeFromMinorTwo) {
  const ferry_host_api* api = host_api();
  ASSERT_TRUE(FERRY_HAS_FIELD(ferry_host_api, api->struct_size, error_destroy));
  EXPECT_GE(api->abi_minor, 2);
  EXPECT_NE(api->error_create, nullptr);
  EXPECT_NE(api->error_get, nullptr);
  EXPECT_NE(api->error_destroy, nullptr);
}

TEST(HostErrors, AFreshErrorIsOkAndEmpty) {
  const ferry_host_api* api = host_api();
  ferry_error* e = api->error_create();
  ASSERT_NE(e, nullptr);
  const char* msg = "not touched";
  EXPECT_EQ(api->error_get(e, &msg), FERRY_OK);
  EXPECT_STREQ(msg, "");
  api->error_destroy(e);
}

TEST(HostErrors, SetErrorFillsItAndErrorGetReadsItBack) {
  const ferry_host_api* api = host_api();
  ferry_error* e = api->error_create();
  ASSERT_NE(e, nullptr);
  std::string text = "fdatasync /data/commitlog/00000000000000000000: Input/output error";
  EXPECT_EQ(api->set_error(e, FERRY_E_IO, text.c_str()), FERRY_E_IO);
  text.assign(text.size(), 'x');  // set_error copied it
  const char* msg = nullptr;
  EXPECT_EQ(api->error_get(e, &msg), FERRY_E_IO);
  EXPECT_STREQ(msg, "fdatasync /data/commitlog/00000000000000000000: Input/output error");
  EXPECT_EQ(api->error_get(e, nullptr), FERRY_E_IO);  // status only

  // Reused across calls, as the flusher does: reset, then set again.
  EXPECT_EQ(api->set_error(e, FERRY_OK, ""), FERRY_OK);
  EXPECT_EQ(api->error_get(e, &msg), FERRY_OK);
  EXPECT_STREQ(msg, "");
  EXPECT_EQ(api->set_error(e, FERRY_E_DISK_FULL, "disk full"), FERRY_E_DISK_FULL);
  EXPECT_EQ(api->error_get(e, &msg), FERRY_E_DISK_FULL);
  EXPECT_STREQ(msg, "disk full");
  api->error_destroy(e);
}

TEST(HostErrors, BadArgumentsAreRefusedNotCrashed) {
  const ferry_host_api* api = host_api();
  const char* msg = "unchanged";
  EXPECT_EQ(api->error_get(nullptr, &msg), FERRY_E_INVALID_ARGUMENT);
  EXPECT_STREQ(msg, "unchanged");
  api->error_destroy(nullptr);  // ignored
}

TEST(HostErrors, EachErrorIsIndependentAndUsableFromAnyThread) {
  const ferry_host_api* api = host_api();
  ferry_error* a = api->error_create();
  ferry_error* b = api->error_create();
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  ASSERT_NE(a, b);
  // Filled on another thread ([any]), read here after the join.
  std::thread([&] { api->set_error(a, FERRY_E_IO, "from a worker"); }).join();
  const char* msg = nullptr;
  EXPECT_EQ(api->error_get(a, &msg), FERRY_E_IO);
  EXPECT_STREQ(msg, "from a worker");
  EXPECT_EQ(api->error_get(b, &msg), FERRY_OK);
  EXPECT_STREQ(msg, "");
  api->error_destroy(a);
  api->error_destroy(b);
}

}  // namespace
}  // namespace ferry::host
