// Compiled into every executable that links hiedge_torch (hiedge_self_register in
// cmake/HiedgeModule.cmake): linking the target is what registers the "hiedge" and
// "torchscript" formats. Programs built against the installed library call
// RegisterTorchBackends().
#include "hiedge/torch/train.h"

namespace {
const bool kTorchBackendsRegistered = [] {
  hiedge::RegisterTorchBackends();
  return true;
}();
}  // namespace
