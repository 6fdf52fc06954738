// Must not compile: the studies do not link torch (only the executables that register
// the torch backends do).
#include "hiedge/torch/train.h"
