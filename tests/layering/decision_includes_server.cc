// Must not compile: the decision math is below the server.
#include "hiedge/server/server.h"
