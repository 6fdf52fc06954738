// Must not compile: the studies sit above the server.
#include "eval/core/eval.h"
