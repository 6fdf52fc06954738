// Must not compile: the studies sit above the server.
#include "eval/eval.h"
