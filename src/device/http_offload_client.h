// The REST offload client (cpp-httplib), registered as "rest". Internal.
#pragma once

#include <memory>

#include "hiedge/device/device.h"

namespace hiedge {

std::unique_ptr<OffloadClient> MakeHttpOffloadClient(const OffloadOptions& options);

}  // namespace hiedge
