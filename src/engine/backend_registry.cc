// LoadModel: the backend registry (name -> format, priority, factory) and the checks
// every loaded model passes, whatever its backend.
#include <algorithm>
#include <map>
#include <mutex>

#include "engine/backends.h"
#include "hiedge/engine/model.h"

namespace hiedge {
namespace {

struct Entry {
  BackendInfo info;
  BackendFactory factory;
};

struct Registry {
  std::mutex mutex;
  std::map<std::string, Entry> entries;
};

Registry& GlobalRegistry() {
  static Registry* registry = [] {
    auto* r = new Registry();
    // Built into the engine target.
    r->entries["xnnpack"] = {engine::XnnpackBackendInfo(), engine::LoadXnnpackBackend};
    r->entries["statistical_rule"] = {engine::StatisticalRuleBackendInfo(),
                                      engine::LoadStatisticalRuleBackend};
    return r;
  }();
  return *registry;
}

// Runs one zero sample through a freshly loaded model and checks the logits' shape and
// kind (logits or probabilities, as the card says), so a card that disagrees with its
// weights fails at load, not on the first request.
// Returns whether the outputs are to be served as probabilities (engine::ServesProbabilities).
Result<bool> DryRun(InferenceBackend& backend, const ModelCard& card, const std::string& source) {
  const ModelInfo& info = backend.info();
  std::vector<int64_t> shape = {1};
  shape.insert(shape.end(), info.input_shape.begin(), info.input_shape.end());
  FloatTensor zeros{shape,
                    std::vector<float>(static_cast<size_t>(FloatTensor::NumElements(shape)))};
  auto logits = backend.Infer(zeros);
  if (!logits.ok()) {
    return Status::DataLoss(source + " does not run on its declared input shape " +
                            ShapeToString(info.input_shape) + ": " + logits.status().message());
  }
  if (logits->shape != std::vector<int64_t>{1, info.num_classes}) {
    return Status::DataLoss(source + " gives logits of shape " + ShapeToString(logits->shape) +
                            " for one sample; its card declares " +
                            std::to_string(info.num_classes) + " classes");
  }
  return engine::ServesProbabilities(card, *logits, source);
}

}  // namespace

void RegisterBackend(const BackendInfo& info, BackendFactory factory) {
  Registry& r = GlobalRegistry();
  std::lock_guard<std::mutex> lock(r.mutex);
  r.entries[info.name] = {info, std::move(factory)};
}

std::vector<BackendInfo> RegisteredBackends() {
  Registry& r = GlobalRegistry();
  std::lock_guard<std::mutex> lock(r.mutex);
  std::vector<BackendInfo> out;
  for (const auto& [name, entry] : r.entries) out.push_back(entry.info);
  std::stable_sort(out.begin(), out.end(), [](const BackendInfo& a, const BackendInfo& b) {
    return a.priority > b.priority;
  });
  return out;
}

Result<std::unique_ptr<InferenceBackend>> LoadModelFromCard(const ModelCard& card,
                                                            const std::string& directory,
                                                            const LoadOptions& options) {
  std::map<std::string, std::string> files = card.alternates;
  files[card.format] = card.weights;
  BackendFactory factory;
  std::string weights, chosen;
  bool composite = false;
  std::string offered, registered;
  for (const auto& [format, file] : files) offered += (offered.empty() ? "" : ", ") + format;
  for (const BackendInfo& info : RegisteredBackends()) {
    registered += (registered.empty() ? "" : ", ") + info.name + " (" + info.format + ")";
    if (!factory && files.count(info.format) &&
        (options.backend.empty() || options.backend == info.name || info.composite)) {
      Registry& r = GlobalRegistry();
      std::lock_guard<std::mutex> lock(r.mutex);
      factory = r.entries.at(info.name).factory;
      weights = directory + "/" + files[info.format];
      chosen = info.name;
      composite = info.composite;
    }
  }
  if (!factory) {
    return Status::FailedPrecondition(
        "model " + card.name + ": no backend " +
        (options.backend.empty() ? "" : "named '" + options.backend + "' ") +
        "in this build reads its formats (" + offered + "); registered: " + registered);
  }
  if (options.threads < 1) return Status::InvalidArgument("threads must be >= 1");
  HIEDGE_ASSIGN_OR_RETURN(std::unique_ptr<InferenceBackend> backend,
                          factory(card, weights, options));
  // A composite's own models were dry-run as it loaded them; running it would act
  // (a cascade would forward a zero image to its next tier).
  if (composite) return backend;
  HIEDGE_ASSIGN_OR_RETURN(const bool probabilities, DryRun(*backend, card, weights));
  return probabilities ? engine::ServeProbabilitiesAsLogits(std::move(backend))
                       : std::move(backend);
}

Result<std::unique_ptr<InferenceBackend>> LoadModel(const std::string& card_path,
                                                    const LoadOptions& options) {
  HIEDGE_ASSIGN_OR_RETURN(ModelCard card, ReadModelCard(card_path));
  return LoadModelFromCard(card, CardDirectory(card_path), options);
}

}  // namespace hiedge
