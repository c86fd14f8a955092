// The one exported symbol of ferry_storage_mmaplog.so.
#include "mmaplog.h"

FERRY_EXTERN_C_BEGIN
FERRY_EXPORT const ferry_plugin_desc* ferry_plugin_entry(void);
FERRY_EXPORT const ferry_plugin_desc* ferry_plugin_entry(void) {
  return ferry::mmaplog::descriptor();
}
FERRY_EXTERN_C_END
