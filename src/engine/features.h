// Mid-layer features as data, and the data a model sees as its card describes it
// (some classes only, a binary relabelling, or another model's mid-layer features).
#pragma once

#include <string>

#include "hiedge/data/data.h"
#include "hiedge/engine/model.h"
#include "hiedge/common/model_card.h"

namespace hiedge {

// The activation after stages [0, stages) of `backend` for every sample of `source`,
// as a Dataset of shape [C, H, W] (a flat [D] activation becomes [D, 1, 1]); labels
// are kept. InvalidArgument when stages is not in [1, num_stages).
Result<Dataset> ExtractFeatures(InferenceBackend& backend, int stages, const Dataset& source,
                                size_t batch_size = 500);

// Attaches `teacher`'s class probabilities, softmax(logits), to every sample of `data`
// as its soft labels (knowledge distillation). `data` must be what the teacher takes
// (images, before any card's mapping). They stay untempered so that a card's mapping
// may sum them (a tempered distribution summed over many classes inflates their
// share); the trainer tempers the mapped targets. InvalidArgument when the teacher's
// class count differs from data->num_classes.
Status AttachTeacherProbabilities(InferenceBackend& teacher, Dataset* data,
                                  size_t batch_size = 500);

// `images` as the model of `card` (read from `card_path`) takes and predicts them:
// restricted to card.classes, relabelled binary for card.positive_classes, then mapped
// through the first card.feature_stages stages of card.feature_model (loaded here).
Result<Dataset> DatasetForCard(const ModelCard& card, const std::string& card_path,
                               const Dataset& images);

}  // namespace hiedge
