// Compiles: what a decision source may include (itself, the layers below, the utilities
// the common module exports, its own internals).
#include "common/files.h"
#include "decision/modules/modules.h"
#include "hiedge/common/status.h"
#include "hiedge/data/data.h"
#include "hiedge/decision/offload_policy.h"

int LayeringControl() { return hiedge::Status::Ok().ok() ? 0 : 1; }
