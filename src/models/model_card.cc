#include "hiedge/model_card.h"

#include <filesystem>
#include <nlohmann/json.hpp>

#include "hiedge/files.h"

namespace hiedge {

using nlohmann::json;

std::string ModelCard::ToJson() const {
  json j = {{"name", name},
            {"architecture", architecture},
            {"format", format},
            {"weights", weights},
            {"dataset", dataset},
            {"input_shape", input_shape},
            {"num_classes", num_classes},
            {"positive_classes", positive_classes},
            {"classes", classes},
            {"feature_model", feature_model},
            {"feature_stages", feature_stages},
            {"normalize_mean", normalize_mean},
            {"normalize_std", normalize_std},
            {"parameter_count", parameter_count},
            {"size_bytes", size_bytes},
            {"macs_per_sample", macs_per_sample},
            {"seed", seed},
            {"epochs", epochs},
            {"batch_size", batch_size},
            {"validation_accuracy", validation_accuracy},
            {"test_accuracy", test_accuracy},
            {"training_seconds", training_seconds},
            {"training_command", training_command}};
  return j.dump(2) + "\n";
}

Result<ModelCard> ModelCard::FromJson(const std::string& text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object())
    return Status::InvalidArgument("model card is not a JSON object");
  ModelCard c;
  try {
    c.name = j.at("name").get<std::string>();
    c.architecture = j.at("architecture").get<std::string>();
    c.format = j.value("format", std::string("hiedge"));
    c.weights = j.at("weights").get<std::string>();
    c.dataset = j.value("dataset", std::string("fashion-mnist"));
    c.input_shape = j.at("input_shape").get<std::vector<int64_t>>();
    c.num_classes = j.at("num_classes").get<int>();
    c.positive_classes = j.value("positive_classes", std::vector<int>{});
    c.classes = j.value("classes", std::vector<int>{});
    c.feature_model = j.value("feature_model", std::string());
    c.feature_stages = j.value("feature_stages", 0);
    c.normalize_mean = j.value("normalize_mean", std::vector<float>{});
    c.normalize_std = j.value("normalize_std", std::vector<float>{});
    c.parameter_count = j.value("parameter_count", int64_t{0});
    c.size_bytes = j.value("size_bytes", int64_t{0});
    c.macs_per_sample = j.value("macs_per_sample", int64_t{0});
    c.seed = j.value("seed", uint64_t{0});
    c.epochs = j.value("epochs", 0);
    c.batch_size = j.value("batch_size", 0);
    c.validation_accuracy = j.value("validation_accuracy", 0.0);
    c.test_accuracy = j.value("test_accuracy", 0.0);
    c.training_seconds = j.value("training_seconds", 0.0);
    c.training_command = j.value("training_command", std::string());
  } catch (const json::exception& e) {
    return Status::InvalidArgument(std::string("model card: ") + e.what());
  }
  if (c.input_shape.size() != 3) {
    return Status::InvalidArgument("model card: input_shape must be [C, H, W]");
  }
  if (c.num_classes < 2) return Status::InvalidArgument("model card: num_classes must be >= 2");
  if (!c.classes.empty() && static_cast<int>(c.classes.size()) != c.num_classes) {
    return Status::InvalidArgument("model card: classes must list num_classes original classes");
  }
  if (!c.feature_model.empty() && c.feature_stages < 1) {
    return Status::InvalidArgument("model card: feature_stages must be >= 1 with feature_model");
  }
  if (c.format != "hiedge" && c.format != "torchscript") {
    return Status::InvalidArgument("model card: unknown format '" + c.format + "'");
  }
  return c;
}

Result<ModelCard> ReadModelCard(const std::string& path) {
  HIEDGE_ASSIGN_OR_RETURN(std::string text, ReadTextFile(path));
  auto parsed = ModelCard::FromJson(text);
  if (!parsed.ok()) return Status(parsed.status().code(), path + ": " + parsed.status().message());
  return parsed;
}

Status WriteModelCard(const ModelCard& card, const std::string& path) {
  return WriteTextFile(path, card.ToJson());
}

std::string CardDirectory(const std::string& card_path) {
  auto dir = std::filesystem::path(card_path).parent_path();
  return dir.empty() ? "." : dir.string();
}

}  // namespace hiedge
