#include "engine/features.h"

#include <algorithm>
#include <cmath>
#include <span>

namespace hiedge {

Result<Dataset> ExtractFeatures(InferenceBackend& backend, int stages, const Dataset& source,
                                size_t batch_size) {
  const ModelInfo& info = backend.info();
  if (stages < 1 || stages >= info.num_stages) {
    return Status::InvalidArgument("features: " + info.name + " has stages 1.." +
                                   std::to_string(info.num_stages - 1) + " to cut after, not " +
                                   std::to_string(stages));
  }
  Dataset out;
  out.num_classes = source.num_classes;
  out.labels = source.labels;
  out.soft_labels = source.soft_labels;
  const size_t per_image = source.image_elements();
  for (size_t start = 0; start < source.size(); start += batch_size) {
    const size_t n = std::min(batch_size, source.size() - start);
    FloatTensor batch{{static_cast<int64_t>(n), source.channels, source.height, source.width},
                      std::vector<float>(source.image(start), source.image(start) + n * per_image)};
    HIEDGE_ASSIGN_OR_RETURN(FloatTensor activation, backend.RunStages(batch, 0, stages));
    if (start == 0) {
      const auto& s = activation.shape;
      out.channels = s.size() > 1 ? s[1] : 1;
      out.height = s.size() > 2 ? s[2] : 1;
      out.width = s.size() > 3 ? s[3] : 1;
      out.images.reserve(source.size() * out.image_elements());
    }
    if (activation.data.size() != n * out.image_elements()) {
      return Status::Internal("features: activation size changed between batches");
    }
    out.images.insert(out.images.end(), activation.data.begin(), activation.data.end());
  }
  return out;
}

Status AttachTeacherProbabilities(InferenceBackend& teacher, Dataset* data, size_t batch_size) {
  const int classes = teacher.info().num_classes;
  if (classes != data->num_classes) {
    return Status::InvalidArgument("teacher: " + teacher.info().name + " has " +
                                   std::to_string(classes) + " classes, the data " +
                                   std::to_string(data->num_classes));
  }
  std::vector<float> probabilities;
  probabilities.reserve(data->size() * static_cast<size_t>(classes));
  const size_t per_image = data->image_elements();
  for (size_t start = 0; start < data->size(); start += batch_size) {
    const size_t n = std::min(batch_size, data->size() - start);
    FloatTensor batch{{static_cast<int64_t>(n), data->channels, data->height, data->width},
                      std::vector<float>(data->image(start), data->image(start) + n * per_image)};
    HIEDGE_ASSIGN_OR_RETURN(FloatTensor logits, teacher.Infer(batch));
    if (logits.data.size() != n * static_cast<size_t>(classes)) {
      return Status::Internal("teacher: logits of the wrong size");
    }
    for (size_t row = 0; row < n; ++row) {
      std::span<const float> z(logits.data.data() + row * classes, static_cast<size_t>(classes));
      const float top = *std::max_element(z.begin(), z.end());
      double sum = 0;
      const size_t first = probabilities.size();
      for (float v : z) {
        const double e = std::exp(static_cast<double>(v) - top);
        probabilities.push_back(static_cast<float>(e));
        sum += e;
      }
      for (size_t k = first; k < probabilities.size(); ++k) {
        probabilities[k] = static_cast<float>(probabilities[k] / sum);
      }
    }
  }
  data->soft_labels = std::move(probabilities);
  return Status::Ok();
}

Result<Dataset> DatasetForCard(const ModelCard& card, const std::string& card_path,
                               const Dataset& images) {
  Dataset data =
      card.classes.empty() ? images : RestrictClasses(images, card.classes, card.other_class);
  if (!card.positive_classes.empty()) data = RelabelBinary(data, card.positive_classes);
  if (card.feature_model.empty()) return data;
  const std::string source_path = CardDirectory(card_path) + "/" + card.feature_model;
  HIEDGE_ASSIGN_OR_RETURN(std::unique_ptr<InferenceBackend> source, LoadModel(source_path));
  return ExtractFeatures(*source, card.feature_stages, data);
}

}  // namespace hiedge
