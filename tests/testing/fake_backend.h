// A deterministic torch-free InferenceBackend for tests: class k's logit is
// `scale * (k == argmax-class)` where the class is chosen from the first pixel.
#pragma once

#include <atomic>
#include <chrono>
#include <thread>

#include "hiedge/engine/model.h"

namespace hiedge::testing {

// For an image whose first pixel is v in [0, 1]: predicts class floor(v * classes)
// (clamped), with logit `confidence_logit` on it and 0 elsewhere. Counts calls.
class FakeBackend final : public InferenceBackend {
 public:
  explicit FakeBackend(std::string name = "fake", float confidence_logit = 3.0f,
                       std::chrono::milliseconds delay = std::chrono::milliseconds(0))
      : delay_(delay), logit_(confidence_logit) {
    info_.name = std::move(name);
    info_.architecture = "fake";
    info_.input_shape = {1, 4, 4};
    info_.num_classes = 10;
    info_.num_stages = 1;
  }
  const ModelInfo& info() const override { return info_; }

  Result<FloatTensor> Infer(const FloatTensor& input) override {
    calls_.fetch_add(1);
    if (delay_.count() > 0) std::this_thread::sleep_for(delay_);
    if (input.shape.size() != 4 || input.shape[1] != 1 || input.shape[2] != 4 ||
        input.shape[3] != 4) {
      return Status::InvalidArgument("fake expects [N,1,4,4]");
    }
    FloatTensor out{{input.shape[0], 10},
                    std::vector<float>(static_cast<size_t>(input.shape[0]) * 10, 0)};
    for (int64_t r = 0; r < input.shape[0]; ++r) {
      out.data[static_cast<size_t>(r * 10 + ClassOf(input.row(r)[0]))] = logit_;
    }
    return out;
  }
  Result<std::vector<FloatTensor>> InferAllExits(const FloatTensor& input) override {
    HIEDGE_ASSIGN_OR_RETURN(FloatTensor logits, Infer(input));
    return std::vector<FloatTensor>{logits};
  }
  Result<FloatTensor> RunStages(const FloatTensor& input, int, int) override {
    return Infer(input);
  }

  static int ClassOf(float first_pixel) {
    const int c = static_cast<int>(first_pixel * 10);
    return c < 0 ? 0 : (c > 9 ? 9 : c);
  }
  int calls() const { return calls_.load(); }
  // Declares the input image pixels in [0, 1] (the server then takes UINT8 for it).
  void set_pixel_inputs(bool pixels) { info_.pixel_inputs = pixels; }

 private:
  ModelInfo info_;
  std::chrono::milliseconds delay_;
  float logit_;
  std::atomic<int> calls_{0};
};

}  // namespace hiedge::testing
