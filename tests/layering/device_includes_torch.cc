// Must not compile: the device builds without torch.
#include "hiedge/torch/train.h"
