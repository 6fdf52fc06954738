#include <algorithm>
#include <numeric>
#include <random>

#include "hiedge/data/data.h"

namespace hiedge {

Dataset Subset(const Dataset& source, const std::vector<size_t>& indices) {
  Dataset out;
  out.channels = source.channels;
  out.height = source.height;
  out.width = source.width;
  out.num_classes = source.num_classes;
  const size_t elems = source.image_elements();
  out.images.reserve(indices.size() * elems);
  out.labels.reserve(indices.size());
  const size_t classes = static_cast<size_t>(source.num_classes);
  const bool soft = !source.soft_labels.empty();
  for (size_t i : indices) {
    out.images.insert(out.images.end(), source.image(i), source.image(i) + elems);
    out.labels.push_back(source.labels[i]);
    if (soft) {
      const float* row = source.soft_labels.data() + i * classes;
      out.soft_labels.insert(out.soft_labels.end(), row, row + classes);
    }
  }
  return out;
}

Dataset Head(const Dataset& source, size_t count) {
  std::vector<size_t> indices(std::min(count, source.size()));
  std::iota(indices.begin(), indices.end(), size_t{0});
  return Subset(source, indices);
}

TrainValidation SplitTrainValidation(const Dataset& full, size_t validation_size, uint64_t seed) {
  std::vector<size_t> order(full.size());
  std::iota(order.begin(), order.end(), size_t{0});
  // A hand-rolled Fisher-Yates over mt19937_64 keeps the split identical across
  // standard libraries (std::shuffle's algorithm is unspecified).
  std::mt19937_64 rng(seed);
  for (size_t i = order.size(); i > 1; --i) {
    std::swap(order[i - 1], order[rng() % i]);
  }
  validation_size = std::min(validation_size, full.size());
  std::vector<size_t> validation(order.begin(), order.begin() + validation_size);
  std::vector<size_t> train(order.begin() + validation_size, order.end());
  std::sort(validation.begin(), validation.end());
  std::sort(train.begin(), train.end());
  return {Subset(full, train), Subset(full, validation)};
}

const std::vector<std::string>& FashionMnistClassNames() {
  static const std::vector<std::string> kNames = {"T-shirt/top", "Trouser",   "Pullover", "Dress",
                                                  "Coat",        "Sandal",    "Shirt",    "Sneaker",
                                                  "Bag",         "Ankle boot"};
  return kNames;
}

}  // namespace hiedge
