// Must not compile: the device builds without server code.
#include "server/grpc_guard.h"
