/* ferry/ferry.h — every public plugin-ABI header at once. */
#ifndef FERRY_FERRY_H
#define FERRY_FERRY_H

#include "ferry/abi.h"
#include "ferry/status.h"
#include "ferry/config.h"
#include "ferry/plugin.h"
#include "ferry/message.h"
#include "ferry/record.h"
#include "ferry/host.h"
#include "ferry/storage.h"
#include "ferry/flush.h"
#include "ferry/replication.h"
#include "ferry/routing.h"
#include "ferry/delay.h"
#include "ferry/transaction.h"
#include "ferry/filter.h"
#include "ferry/codes.h"
#include "ferry/namesrv_codes.h"

#endif /* FERRY_FERRY_H */
