// ferry_filter_tag.so: TAG subscriptions. Stage 1 keeps or drops by the
// consume queue's tag hash; a hash that matches is confirmed in stage 2
// against the record's TAGS property (two tags can share a hash).
#include <ferry/filter.h>
#include <ferry/host.h>
#include <ferry/plugin.h>
#include <ferry/record.h>

#include <memory>
#include <new>
#include <string>

#include "tag_expression.h"

namespace {

using ferry::filter_tag::TagExpression;

struct Instance {
  const ferry_host_api* api;
  ferry_host* host;
};

const char* expression_type(void*) { return "TAG"; }

ferry_status compile(void* inst, ferry_slice expression, void** compiled, ferry_error* err) {
  auto* self = static_cast<Instance*>(inst);
  try {
    auto expr = std::make_unique<TagExpression>();
    std::string why;
    std::string_view text(static_cast<const char*>(expression.data), expression.len);
    if (!ferry::filter_tag::parse_tag_expression(text, expr.get(), &why))
      return self->api->set_error(err, FERRY_E_BAD_SUBSCRIPTION, why.c_str());
    *compiled = expr.release();
    return FERRY_OK;
  } catch (const std::bad_alloc&) {
    return self->api->set_error(err, FERRY_E_NO_MEMORY, "out of memory compiling a tag expression");
  } catch (...) {
    return self->api->set_error(err, FERRY_E_INTERNAL, "unexpected error compiling a tag expression");
  }
}

void release(void*, void* compiled) {
  std::unique_ptr<TagExpression> drop(static_cast<TagExpression*>(compiled));
}

int match_tag_hash(void*, const void* compiled, int64_t tag_hash) {
  return static_cast<const TagExpression*>(compiled)->match_hash(tag_hash);
}

int match_record(void*, const void* compiled, const void* record, size_t len) {
  const auto* expr = static_cast<const TagExpression*>(compiled);
  if (expr->all) return 1;
  ferry_record_view view;
  if (ferry_record_decode(record, len, &view) != FERRY_OK) return 0;
  ferry_slice tags{};
  if (!ferry_property_find(view.properties, FERRY_PROP_TAGS, &tags)) return 0;
  return expr->match_tag(std::string_view(static_cast<const char*>(tags.data), tags.len)) ? 1 : 0;
}

const ferry_filter_ops kOps = {
    static_cast<uint32_t>(sizeof(ferry_filter_ops)), &expression_type, &compile, &release,
    &match_tag_hash, &match_record,
};

ferry_status create(const ferry_host_api* api, ferry_host* host, void** instance, ferry_error* err) {
  try {
    *instance = std::make_unique<Instance>(Instance{api, host}).release();  // freed in destroy()
    return FERRY_OK;
  } catch (...) {
    return api->set_error(err, FERRY_E_NO_MEMORY, "out of memory");
  }
}

ferry_status start(void*, ferry_error*) { return FERRY_OK; }

void destroy(void* instance) { std::unique_ptr<Instance> drop(static_cast<Instance*>(instance)); }

const void* ops(void*) { return &kOps; }

const ferry_plugin_desc kDesc = {
    FERRY_PLUGIN_FINGERPRINT(FERRY_KIND_FILTER, "tag", "0.1.0"),
    "TAG subscriptions: '*' or 'TagA || TagB', by consume-queue tag hash then the TAGS property",
    nullptr, static_cast<uint32_t>(sizeof(ferry_config_key)), 0,
    nullptr, static_cast<uint32_t>(sizeof(ferry_requirement)), 0,
    &create, &start, nullptr, &destroy, &ops,
};

}  // namespace

FERRY_PLUGIN_DEFINE(kDesc)
