#include "hiedge/model_repository.h"

#include <algorithm>
#include <filesystem>
#include <system_error>

#include "hiedge/files.h"
#include "server/model_config_proto.h"

namespace hiedge {
namespace fs = std::filesystem;
namespace {

constexpr const char* kConfigFile = "config.pbtxt";
constexpr const char* kDefaultCard = "model.json";

// Numbered version folders of a model, ascending.
std::vector<int64_t> VersionFolders(const fs::path& model_dir) {
  std::vector<int64_t> versions;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(model_dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (!entry.is_directory(ec) || name.empty() || name.size() > 18 ||
        !std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      continue;
    }
    const int64_t v = std::stoll(name);
    if (v > 0) versions.push_back(v);
  }
  std::sort(versions.begin(), versions.end());
  return versions;
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
      loader_(loader ? std::move(loader) : Loader(LoadModel)) {}

Status ModelRepository::LoadOne(const std::string& model, std::string* version) {
  const fs::path dir = fs::path(root_) / model;
  HIEDGE_ASSIGN_OR_RETURN(const std::string text, ReadTextFile((dir / kConfigFile).string()));
  HIEDGE_ASSIGN_OR_RETURN(const inference::ModelConfig config, ParseModelConfigText(text));
  if (!config.name().empty() && config.name() != model) {
    return Status::InvalidArgument("config.pbtxt names model '" + config.name() +
                                   "' but its folder is '" + model + "'");
  }
  HIEDGE_ASSIGN_OR_RETURN(const int64_t chosen, ChooseVersion(config, VersionFolders(dir), model));
  const std::string card =
      config.default_model_filename().empty() ? kDefaultCard : config.default_model_filename();
  const std::string card_path = (dir / std::to_string(chosen) / card).string();
  auto backend = loader_(card_path);
  if (!backend.ok()) {
    return Status(backend.status().code(),
                  "loading " + card_path + ": " + backend.status().message());
  }
  *version = std::to_string(chosen);
  return service_->ReplaceModel(model, std::shared_ptr<InferenceBackend>(std::move(*backend)),
                                BatchingFromModelConfig(config), *version);
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
