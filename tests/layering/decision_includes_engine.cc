// Must not compile: the decision math is below the engine.
#include "hiedge/engine/model.h"
