#include "hiedge/server/model_repository.h"

#include <algorithm>
#include <filesystem>
#include <system_error>

#include "common/files.h"
#include "server/model_config_proto.h"

namespace hiedge {
namespace fs = std::filesystem;
namespace {

constexpr const char* kConfigFile = "config.pbtxt";
constexpr const char* kDefaultCard = "model.json";

// Triton platforms served from Triton's layout (no hiedge card): the card format they
// map to and the default model file in a version folder.
struct TritonPlatform {
  const char* platform;
  const char* backend;
  const char* format;
  const char* default_file;
};
constexpr TritonPlatform kTritonPlatforms[] = {
    {"pytorch_libtorch", "pytorch", "torchscript", "model.pt"},
    {"onnxruntime_onnx", "onnxruntime", "onnx", "model.onnx"},
};

const TritonPlatform* FindTritonPlatform(const inference::ModelConfig& config) {
  for (const TritonPlatform& p : kTritonPlatforms) {
    if (config.platform() == p.platform || config.backend() == p.backend) return &p;
  }
  return nullptr;
}

bool IsVersionName(const std::string& name) {
  return !name.empty() && name.size() <= 18 &&
         std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
         std::stoll(name) > 0;
}

// Numbered version folders of a model, ascending. Numbered entries that are not
// usable folders (a symbolic link to nowhere, a file) are described in *unusable.
std::vector<int64_t> VersionFolders(const fs::path& model_dir, std::string* unusable) {
  std::vector<int64_t> versions;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(model_dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (!IsVersionName(name)) continue;
    if (entry.is_directory(ec)) {
      versions.push_back(std::stoll(name));
    } else if (entry.is_symlink(ec)) {
      *unusable += "; version " + name + " is a symbolic link to " +
                   fs::read_symlink(entry.path(), ec).string() + ", which does not resolve";
    } else {
      *unusable += "; version " + name + " is not a folder";
    }
  }
  std::sort(versions.begin(), versions.end());
  return versions;
}

// config.pbtxt's shapes of a model taking one input and giving one logits output:
// per-sample input dims and the class count (0 when the config gives none).
struct ConfigShapes {
  std::vector<int64_t> input;
  int64_t classes = 0;
};
Result<ConfigShapes> ShapesFromConfig(const inference::ModelConfig& config) {
  ConfigShapes shapes;
  if (config.input_size() > 1 || config.output_size() > 1) {
    return Status::InvalidArgument(
        "hiedge serves models of one input and one output; "
        "config.pbtxt declares " +
        std::to_string(config.input_size()) + " and " + std::to_string(config.output_size()));
  }
  // Without batching (max_batch_size 0) Triton's dims may spell the batch dimension as
  // a leading -1.
  auto strip_batch = [&](std::vector<int64_t> dims) {
    if (config.max_batch_size() == 0 && !dims.empty() && dims[0] == -1) {
      dims.erase(dims.begin());
    }
    return dims;
  };
  if (config.input_size() == 1) {
    shapes.input = strip_batch({config.input(0).dims().begin(), config.input(0).dims().end()});
  }
  if (config.output_size() == 1) {
    const std::vector<int64_t> out =
        strip_batch({config.output(0).dims().begin(), config.output(0).dims().end()});
    if (out.size() != 1 || out[0] < 2) {
      return Status::InvalidArgument("config.pbtxt output dims must be [classes], got " +
                                     ShapeToString(out));
    }
    shapes.classes = out[0];
  }
  return shapes;
}

// A served model's shapes must be what config.pbtxt says, where it says anything.
Status CheckShapes(const ConfigShapes& expected, const ModelInfo& info) {
  if (!expected.input.empty() && expected.input != info.input_shape) {
    return Status::InvalidArgument("config.pbtxt input dims " + ShapeToString(expected.input) +
                                   " differ from the model's input shape " +
                                   ShapeToString(info.input_shape));
  }
  if (expected.classes != 0 && expected.classes != info.num_classes) {
    return Status::InvalidArgument("config.pbtxt output dims [" + std::to_string(expected.classes) +
                                   "] differ from the model's " + std::to_string(info.num_classes) +
                                   " classes");
  }
  return Status::Ok();
}

// Tensor names config.pbtxt gives must be those the model is served under: a client
// following the config would otherwise be refused (the card's names were used
// silently). A hiedge card states its own (input_name / output_name).
Status CheckTensorNames(const inference::ModelConfig& config, const ModelInfo& info) {
  if (config.input_size() == 1 && !config.input(0).name().empty() &&
      config.input(0).name() != info.input_name) {
    return Status::InvalidArgument(
        "config.pbtxt names the input " + Quoted(config.input(0).name()) +
        " but the model is served as '" + info.input_name + "' (set input_name in its card)");
  }
  if (config.output_size() == 1 && !config.output(0).name().empty() &&
      config.output(0).name() != info.output_name) {
    return Status::InvalidArgument(
        "config.pbtxt names the output " + Quoted(config.output(0).name()) +
        " but the model is served as '" + info.output_name + "' (set output_name in its card)");
  }
  return Status::Ok();
}

// The files a model's served state depends on, with sizes and modification times:
// any edit, copy or removal changes it.
std::string Fingerprint(const fs::path& model_dir) {
  std::vector<std::string> parts;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(
           model_dir, fs::directory_options::follow_directory_symlink, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    const auto size = fs::file_size(it->path(), ec);
    const auto time = fs::last_write_time(it->path(), ec).time_since_epoch().count();
    parts.push_back(it->path().lexically_relative(model_dir).string() + ":" + std::to_string(size) +
                    ":" + std::to_string(time));
  }
  std::sort(parts.begin(), parts.end());
  std::string joined;
  for (const std::string& p : parts) joined += p + ";";
  return joined;
}

Result<int64_t> ChooseVersion(const inference::ModelConfig& config,
                              const std::vector<int64_t>& present, const std::string& model) {
  std::vector<int64_t> allowed = present;
  if (config.has_version_policy() && config.version_policy().has_specific()) {
    const auto& wanted = config.version_policy().specific().versions();
    allowed.clear();
    for (const int64_t v : present) {
      if (std::find(wanted.begin(), wanted.end(), v) != wanted.end()) allowed.push_back(v);
    }
  }
  if (allowed.empty()) {
    return Status::NotFound("model '" + model + "' has no servable numbered version folder");
  }
  return allowed.back();
}

}  // namespace

ModelRepository::ModelRepository(std::string root, InferenceService* service, Loader loader)
    : root_(std::move(root)),
      service_(service),
      loader_(loader ? std::move(loader)
                     : Loader([](const std::string& path) { return LoadModel(path); })) {}

Status ModelRepository::LoadOne(const std::string& model, std::string* version) {
  const fs::path dir = fs::path(root_) / model;
  HIEDGE_ASSIGN_OR_RETURN(const std::string text, ReadTextFile((dir / kConfigFile).string()));
  HIEDGE_ASSIGN_OR_RETURN(const inference::ModelConfig config, ParseModelConfigText(text));
  if (!config.name().empty() && config.name() != model) {
    return Status::InvalidArgument("config.pbtxt names model '" + config.name() +
                                   "' but its folder is '" + model + "'");
  }
  HIEDGE_ASSIGN_OR_RETURN(const ConfigShapes shapes, ShapesFromConfig(config));
  std::string unusable;
  const std::vector<int64_t> versions = VersionFolders(dir, &unusable);
  auto chosen = ChooseVersion(config, versions, model);
  if (!chosen.ok()) return Status(chosen.status().code(), chosen.status().message() + unusable);
  const fs::path version_dir = dir / std::to_string(*chosen);
  std::unique_ptr<InferenceBackend> backend;
  if (const TritonPlatform* platform = FindTritonPlatform(config)) {
    // Triton's own layout: <version>/model.pt or model.onnx, shapes from config.pbtxt,
    // no hiedge card.
    if (shapes.input.empty() || shapes.classes == 0) {
      return Status::InvalidArgument("a " + std::string(platform->platform) +
                                     " model needs input and output dims in config.pbtxt");
    }
    ModelCard card;
    card.name = model;
    card.architecture = platform->format;
    card.format = platform->format;
    card.weights = config.default_model_filename().empty() ? platform->default_file
                                                           : config.default_model_filename();
    card.input_shape = shapes.input;
    card.num_classes = static_cast<int>(shapes.classes);
    // No card to say what the exporter's graph ends in: a final softmax is detected.
    card.outputs = "auto";
    // Served under config.pbtxt's tensor names (e.g. INPUT__0 / OUTPUT__0).
    if (config.input_size() == 1) card.input_name = config.input(0).name();
    if (config.output_size() == 1) card.output_name = config.output(0).name();
    HIEDGE_ASSIGN_OR_RETURN(backend, LoadModelFromCard(card, version_dir.string()));
  } else {
    const std::string card =
        config.default_model_filename().empty() ? kDefaultCard : config.default_model_filename();
    const std::string card_path = (version_dir / card).string();
    auto loaded = loader_(card_path);
    if (!loaded.ok()) {
      return Status(loaded.status().code(),
                    "loading " + card_path + ": " + loaded.status().message());
    }
    backend = std::move(*loaded);
  }
  HIEDGE_RETURN_IF_ERROR(CheckShapes(shapes, backend->info()));
  HIEDGE_RETURN_IF_ERROR(CheckTensorNames(config, backend->info()));
  HIEDGE_ASSIGN_OR_RETURN(BatchingConfig batching, BatchingFromModelConfig(config));
  *version = std::to_string(*chosen);
  return service_->ReplaceModel(model, std::shared_ptr<InferenceBackend>(std::move(backend)),
                                std::move(batching), *version);
}

Result<std::vector<ModelRepository::Event>> ModelRepository::Poll() {
  std::error_code ec;
  if (!fs::is_directory(root_, ec))
    return Status::NotFound("model repository '" + root_ + "' is not a folder");
  std::vector<Event> events;
  std::map<std::string, std::string> seen;
  for (const auto& entry : fs::directory_iterator(root_, ec)) {
    if (!entry.is_directory(ec) || !fs::exists(entry.path() / kConfigFile, ec)) continue;
    const std::string model = entry.path().filename().string();
    seen[model] = Fingerprint(entry.path());
  }
  for (const auto& [model, fingerprint] : seen) {
    const auto old = fingerprints_.find(model);
    if (old != fingerprints_.end() && old->second == fingerprint) continue;
    fingerprints_[model] = fingerprint;
    std::string version;
    Status status = LoadOne(model, &version);
    std::string& served = served_version_[model];
    if (status.ok()) {
      events.push_back({model, served.empty() ? "loaded" : "reloaded", version, Status::Ok()});
      served = version;
    } else {
      events.push_back({model, "failed", served, std::move(status)});
    }
  }
  for (auto it = fingerprints_.begin(); it != fingerprints_.end();) {
    if (seen.count(it->first) > 0) {
      ++it;
      continue;
    }
    if (!served_version_[it->first].empty()) {
      Status status = service_->RemoveModel(it->first);
      events.push_back({it->first, "unloaded", "", status});
    }
    served_version_.erase(it->first);
    it = fingerprints_.erase(it);
  }
  return events;
}

}  // namespace hiedge
