#include "hiedge/common/model_card.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "common/bounded_json.h"
#include "common/files.h"
#include "common/json_integers.h"

namespace hiedge {

using nlohmann::json;

std::string ModelCard::ToJson() const {
  json j = {{"name", name},
            {"architecture", architecture},
            {"format", format},
            {"weights", weights},
            {"alternates", alternates},
            {"dataset", dataset},
            {"input_shape", input_shape},
            {"num_classes", num_classes},
            {"positive_classes", positive_classes},
            {"classes", classes},
            {"other_class", other_class},
            {"feature_model", feature_model},
            {"feature_stages", feature_stages},
            {"pixel_inputs", pixel_inputs},
            {"normalize_mean", normalize_mean},
            {"normalize_std", normalize_std},
            {"parameter_count", parameter_count},
            {"precision", precision},
            {"size_bytes", size_bytes},
            {"macs_per_sample", macs_per_sample},
            {"seed", seed},
            {"epochs", epochs},
            {"batch_size", batch_size},
            {"validation_accuracy", validation_accuracy},
            {"test_accuracy", test_accuracy},
            {"training_seconds", training_seconds},
            {"training_command", training_command}};
  if (!outputs.empty()) j["outputs"] = outputs;
  if (!input_name.empty()) j["input_name"] = input_name;
  if (!output_name.empty()) j["output_name"] = output_name;
  if (!exits.empty()) {
    json list = json::array();
    for (const ExitFacts& e : exits) {
      list.push_back({{"after_stage", e.after_stage},
                      {"macs", e.macs},
                      {"validation_accuracy", e.validation_accuracy},
                      {"test_accuracy", e.test_accuracy}});
    }
    j["exits"] = list;
  }
  return j.dump(2) + "\n";
}

Result<ModelCard> ModelCard::FromJson(const std::string& text) {
  auto parsed = ParseBoundedJson(text);
  if (!parsed.ok()) return Status::InvalidArgument("model card: " + parsed.status().message());
  json j = *std::move(parsed);
  if (!j.is_object()) return Status::InvalidArgument("model card is not a JSON object");
  ModelCard c;
  try {
    c.name = j.at("name").get<std::string>();
    c.architecture = j.at("architecture").get<std::string>();
    c.format = j.value("format", std::string("hiedge"));
    c.weights = j.at("weights").get<std::string>();
    c.alternates = j.value("alternates", std::map<std::string, std::string>{});
    c.dataset = j.value("dataset", std::string("fashion-mnist"));
    using json_integers::GetArrayOr;
    using json_integers::GetOr;
    HIEDGE_ASSIGN_OR_RETURN(c.input_shape, GetArrayOr<int64_t>(j, "input_shape"));
    HIEDGE_ASSIGN_OR_RETURN(c.num_classes,
                            json_integers::Get<int>(j.at("num_classes"), "num_classes"));
    HIEDGE_ASSIGN_OR_RETURN(c.positive_classes, GetArrayOr<int>(j, "positive_classes"));
    HIEDGE_ASSIGN_OR_RETURN(c.classes, GetArrayOr<int>(j, "classes"));
    c.other_class = j.value("other_class", false);
    c.feature_model = j.value("feature_model", std::string());
    HIEDGE_ASSIGN_OR_RETURN(c.feature_stages, GetOr<int>(j, "feature_stages", 0));
    c.pixel_inputs = j.value("pixel_inputs", false);
    c.outputs = j.value("outputs", std::string());
    c.input_name = j.value("input_name", std::string());
    c.output_name = j.value("output_name", std::string());
    c.normalize_mean = j.value("normalize_mean", std::vector<float>{});
    c.normalize_std = j.value("normalize_std", std::vector<float>{});
    HIEDGE_ASSIGN_OR_RETURN(c.parameter_count, GetOr<int64_t>(j, "parameter_count", 0));
    c.precision = j.value("precision", std::string("fp32"));
    HIEDGE_ASSIGN_OR_RETURN(c.size_bytes, GetOr<int64_t>(j, "size_bytes", 0));
    HIEDGE_ASSIGN_OR_RETURN(c.macs_per_sample, GetOr<int64_t>(j, "macs_per_sample", 0));
    HIEDGE_ASSIGN_OR_RETURN(c.seed, GetOr<uint64_t>(j, "seed", 0));
    HIEDGE_ASSIGN_OR_RETURN(c.epochs, GetOr<int>(j, "epochs", 0));
    HIEDGE_ASSIGN_OR_RETURN(c.batch_size, GetOr<int>(j, "batch_size", 0));
    c.validation_accuracy = j.value("validation_accuracy", 0.0);
    c.test_accuracy = j.value("test_accuracy", 0.0);
    c.training_seconds = j.value("training_seconds", 0.0);
    c.training_command = j.value("training_command", std::string());
    if (j.contains("exits")) {
      const json& list = j.at("exits");
      if (!list.is_array() || list.size() > 64) {
        return Status::InvalidArgument("model card: exits must be an array of at most 64");
      }
      for (const json& e : list) {
        ExitFacts f;
        HIEDGE_ASSIGN_OR_RETURN(f.after_stage,
                                json_integers::Get<int>(e.at("after_stage"), "after_stage"));
        HIEDGE_ASSIGN_OR_RETURN(f.macs, json_integers::Get<int64_t>(e.at("macs"), "macs"));
        f.validation_accuracy = e.at("validation_accuracy").get<double>();
        f.test_accuracy = e.at("test_accuracy").get<double>();
        c.exits.push_back(f);
      }
    }
  } catch (const json::exception& e) {
    return Status::InvalidArgument(std::string("model card: ") + e.what());
  }
  std::vector<double> reals = {c.validation_accuracy, c.test_accuracy, c.training_seconds};
  for (const ExitFacts& e : c.exits) {
    reals.push_back(e.validation_accuracy);
    reals.push_back(e.test_accuracy);
  }
  reals.insert(reals.end(), c.normalize_mean.begin(), c.normalize_mean.end());
  reals.insert(reals.end(), c.normalize_std.begin(), c.normalize_std.end());
  for (double v : reals) {
    if (!std::isfinite(v)) return Status::InvalidArgument("model card: a number is not finite");
  }
  if (c.input_shape.size() != 3) {
    return Status::InvalidArgument("model card: input_shape must be [C, H, W]");
  }
  if (c.num_classes < 2) return Status::InvalidArgument("model card: num_classes must be >= 2");
  if (!c.classes.empty() &&
      static_cast<int>(c.classes.size()) + (c.other_class ? 1 : 0) != c.num_classes) {
    return Status::InvalidArgument(
        "model card: classes must list num_classes original classes (one fewer with "
        "other_class)");
  }
  if (c.other_class && c.classes.empty()) {
    return Status::InvalidArgument("model card: other_class needs classes");
  }
  if (!c.feature_model.empty() && c.feature_stages < 1) {
    return Status::InvalidArgument("model card: feature_stages must be >= 1 with feature_model");
  }
  if (!c.outputs.empty() && c.outputs != "logits" && c.outputs != "probabilities" &&
      c.outputs != "auto") {
    return Status::InvalidArgument(
        "model card: outputs must be \"logits\", \"probabilities\" or \"auto\"");
  }
  if (c.precision != "fp32" && c.precision != "int8") {
    return Status::InvalidArgument("model card: precision must be fp32 or int8");
  }
  for (const auto& [format, file] : c.alternates) {
    if (format == c.format || file.empty()) {
      return Status::InvalidArgument("model card: alternates must name other formats' files");
    }
  }
  // Which formats exist is the backend registry's to say (LoadModel names the registered
  // ones); a card only has to name them well.
  const auto well_formed = [](const std::string& format) {
    return !format.empty() && format.size() <= 32 &&
           std::all_of(format.begin(), format.end(), [](char ch) {
             return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_';
           });
  };
  std::vector<std::string> formats = {c.format};
  for (const auto& [f, file] : c.alternates) formats.push_back(f);
  for (const std::string& format : formats) {
    if (!well_formed(format)) {
      return Status::InvalidArgument("model card: format '" + format +
                                     "' is not 1-32 characters of [a-z0-9_]");
    }
  }
  return c;
}

Result<ModelCard> ReadModelCard(const std::string& path) {
  return ReadAndParse<ModelCard>(path, ModelCard::FromJson);
}

Status WriteModelCard(const ModelCard& card, const std::string& path) {
  return WriteTextFile(path, card.ToJson());
}

std::string CardDirectory(const std::string& card_path) {
  auto dir = std::filesystem::path(card_path).parent_path();
  return dir.empty() ? "." : dir.string();
}

Result<std::string> ModelIdentity(const std::string& card_path) {
  HIEDGE_ASSIGN_OR_RETURN(ModelCard card, ReadModelCard(card_path));
  HIEDGE_ASSIGN_OR_RETURN(std::string weights,
                          ReadTextFile(CardDirectory(card_path) + "/" + card.weights));
  uint64_t hash = 14695981039346656037ull;  // FNV-1a, 64 bits.
  for (const char c : weights) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ull;
  }
  char hex[17];
  std::snprintf(hex, sizeof(hex), "%016llx", static_cast<unsigned long long>(hash));
  return card.name + "@" + hex;
}

}  // namespace hiedge
