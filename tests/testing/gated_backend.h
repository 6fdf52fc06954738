// A backend that holds every execution until Open(), for tests that must fill a
// server's queue deterministically instead of racing sleeps against a slow model.
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>

#include "testing/fake_backend.h"

namespace hiedge::testing {

// Holds every execution until Open(); counts executions entered. Lets a test fill a
// server's queue deterministically instead of racing sleeps against a slow model.
class GatedBackend final : public InferenceBackend {
 public:
  const ModelInfo& info() const override { return inner_.info(); }
  Result<FloatTensor> Infer(const FloatTensor& input) override {
    entered_.fetch_add(1);
    std::unique_lock lock(mu_);
    opened_cv_.wait(lock, [&] { return open_; });
    return inner_.Infer(input);
  }
  Result<std::vector<FloatTensor>> InferAllExits(const FloatTensor& input) override {
    return inner_.InferAllExits(input);
  }
  Result<FloatTensor> RunStages(const FloatTensor& input, int, int) override {
    return Infer(input);
  }
  void Open() {
    std::lock_guard lock(mu_);
    open_ = true;
    opened_cv_.notify_all();
  }
  int entered() const { return entered_.load(); }

 private:
  FakeBackend inner_{"remote"};
  std::mutex mu_;
  std::condition_variable opened_cv_;
  bool open_ = false;  // Guarded by mu_.
  std::atomic<int> entered_{0};
};

}  // namespace hiedge::testing
