// The "cascade" backend in the backend registry, and cards for specs given on the
// command line.
#include <filesystem>

#include "hiedge/cascade/cascade.h"

namespace hiedge {
namespace {

Result<std::unique_ptr<InferenceBackend>> LoadCascade(const ModelCard& card,
                                                      const std::string& spec_path,
                                                      const LoadOptions& options) {
  HIEDGE_ASSIGN_OR_RETURN(CascadeSpec spec, ReadCascadeSpec(spec_path));
  if (!OffloadTransportAvailable(spec.next.transport)) {
    return Status::FailedPrecondition("cascade " + spec.name +
                                      ": this program has no client for the next tier's "
                                      "transport");
  }
  HIEDGE_ASSIGN_OR_RETURN(std::unique_ptr<InferenceBackend> local,
                          LoadModel(spec.local_card, options));
  HIEDGE_ASSIGN_OR_RETURN(DecisionConfig decision, ReadDecisionConfig(spec.decision));
  HIEDGE_ASSIGN_OR_RETURN(const std::string local_id, ModelIdentity(spec.local_card));
  HIEDGE_RETURN_IF_ERROR(CheckCalibratedFor(decision, local_id));
  const ModelInfo& info = local->info();
  if (card.input_shape != info.input_shape || card.num_classes != info.num_classes) {
    return Status::InvalidArgument(
        "cascade " + spec.name + ": the card says input " + ShapeToString(card.input_shape) +
        " and " + std::to_string(card.num_classes) + " classes, its local model " +
        ShapeToString(info.input_shape) + " and " + std::to_string(info.num_classes));
  }
  return MakeCascadeBackend(std::move(local), decision, spec, MakeOffloadClient);
}

}  // namespace

void RegisterCascadeBackend() {
  RegisterBackend({"cascade", "cascade", 0, /*composite=*/true}, LoadCascade);
}

Result<ModelCard> CascadeCard(const std::string& spec_path) {
  HIEDGE_ASSIGN_OR_RETURN(CascadeSpec spec, ReadCascadeSpec(spec_path));
  HIEDGE_ASSIGN_OR_RETURN(ModelCard local, ReadModelCard(spec.local_card));
  ModelCard card;
  card.name = spec.name;
  card.architecture = "cascade";
  card.format = "cascade";
  card.weights = std::filesystem::path(spec_path).filename().string();
  card.dataset = local.dataset;
  card.input_shape = local.input_shape;
  card.num_classes = local.num_classes;
  card.pixel_inputs = local.pixel_inputs;
  return card;
}

}  // namespace hiedge
