// Compiled into every executable that links hiedge_cascade (hiedge_self_register in
// cmake/HiedgeModule.cmake): linking the target is what registers the "cascade" format.
// Programs built against the installed library call RegisterCascadeBackend().
#include "hiedge/cascade/cascade.h"

namespace {
const bool kCascadeBackendRegistered = [] {
  hiedge::RegisterCascadeBackend();
  return true;
}();
}  // namespace
