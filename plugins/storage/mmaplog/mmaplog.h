#pragma once
// The mmaplog plugin's glue, exposed to tests that link the engine
// (ferry_storage_mmaplog_impl) directly instead of loading the .so: same
// descriptor, same ops table, but with an injectable file operations layer.
// docs/storage.md ("Testing") and /tmp/ferry/notes/storage-to-flush.md.
#include <ferry/host.h>
#include <ferry/plugin.h>
#include <ferry/storage.h>

#include <memory>

#include "io.h"

namespace ferry::mmaplog {

class Store;

// The plugin's descriptor (what ferry_plugin_entry returns).
const ferry_plugin_desc* descriptor();

// Exactly the descriptor's create(), but every file operation of the
// instance goes through `io` (e.g. a FaultIo). Use descriptor()->start /
// stop / destroy / ops on the instance as usual. [loop]
ferry_status create_with_io(const ferry_host_api* api, ferry_host* host, std::shared_ptr<Io> io,
                            void** instance, ferry_error* err);

// The engine behind an instance (tests: checkpoint_now, run_retention...).
Store* store_of(void* instance);

// Tests: make the instance behave as if the process died now — threads
// stopped, nothing synced, no checkpoint, the abort marker left — so a
// later stop/destroy is a no-op on disk. Then simulate what the disk kept
// and open a new instance on the same directory to recover. [loop]
void abandon_for_test(void* instance);

}  // namespace ferry::mmaplog
