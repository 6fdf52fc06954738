// Must not compile: the engine is below the device.
#include "device/offload_link.h"
