#include "filter_set.h"

#include <strings.h>

#include <cstring>

namespace ferry::core {

CompiledFilter::CompiledFilter(const ferry_filter_ops* ops, void* inst, void* compiled)
    : ops_(ops), inst_(inst), compiled_(compiled) {
  read_filter_ = FERRY_STRUCT_INIT(ferry_read_filter);
  read_filter_.match_tag_hash = &tag_trampoline;
  read_filter_.match_record = ops->match_record ? &record_trampoline : nullptr;
  read_filter_.user_data = this;
}

CompiledFilter::~CompiledFilter() {
  if (ops_->release) ops_->release(inst_, compiled_);
}

int CompiledFilter::tag_trampoline(void* self, int64_t tag_hash) {
  auto* f = static_cast<CompiledFilter*>(self);
  return f->ops_->match_tag_hash(f->inst_, f->compiled_, tag_hash);
}

int CompiledFilter::record_trampoline(void* self, const void* record, size_t len) {
  auto* f = static_cast<CompiledFilter*>(self);
  return f->ops_->match_record(f->inst_, f->compiled_, record, len);
}

FilterSet::FilterSet(Env& env, std::vector<Plugin> plugins) : env_(env), plugins_(std::move(plugins)) {}

ferry_status FilterSet::get(std::string_view type, std::string_view expression,
                            std::shared_ptr<const CompiledFilter>* out, std::string* why) {
  out->reset();
  if (type.empty()) type = "TAG";
  bool is_tag = type.size() == 3 && strncasecmp(type.data(), "TAG", 3) == 0;
  if (is_tag && (expression.empty() || expression == "*")) return FERRY_OK;

  key_.assign(type);
  key_.push_back('\0');
  key_.append(expression);
  if (auto it = cache_.find(key_); it != cache_.end()) {
    *out = it->second;
    return FERRY_OK;
  }
  const Plugin* plugin = nullptr;
  for (const auto& p : plugins_) {
    const char* t = p.ops->expression_type ? p.ops->expression_type(p.inst) : nullptr;
    if (t && strlen(t) == type.size() && strncasecmp(t, type.data(), type.size()) == 0) {
      plugin = &p;
      break;
    }
  }
  if (!plugin) {
    *why = "no filter plugin serves expression type '" + std::string(type) + "'";
    return FERRY_E_BAD_SUBSCRIPTION;
  }
  auto err = env_.new_error();
  void* compiled = nullptr;
  ferry_slice expr{expression.data(), expression.size()};
  ferry_status s = plugin->ops->compile(plugin->inst, expr, &compiled, err->get());
  if (s != FERRY_OK) {
    std::string msg = err->message();
    *why = "bad " + std::string(type) + " expression '" + std::string(expression) +
           "': " + (msg.empty() ? std::string(ferry_status_str(s)) : msg);
    return FERRY_E_BAD_SUBSCRIPTION;
  }
  auto filter = std::make_shared<const CompiledFilter>(plugin->ops, plugin->inst, compiled);
  if (cache_.size() >= kMaxCached) cache_.clear();  // rare; holders keep theirs alive
  cache_.emplace(key_, filter);
  *out = std::move(filter);
  return FERRY_OK;
}

}  // namespace ferry::core
