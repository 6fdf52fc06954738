// A model repository in Triton's layout, served by an InferenceService:
//
//   <root>/<model>/config.pbtxt            Triton ModelConfig, protobuf text format
//   <root>/<model>/<version>/<card>.json   hiedge model card (+ its weights), version
//                                          a positive integer; card name from
//                                          default_model_filename, else "model.json"
//
// One version per model is served: the highest, or the highest listed by a
// version_policy { specific { versions: [...] } }. Dynamic batching comes from the
// config (max_batch_size, dynamic_batching { preferred_batch_size,
// max_queue_delay_microseconds, default_queue_policy { max_queue_size } }). Other
// Triton fields are accepted and ignored, except that a field hiedge does not know
// cannot use the list-of-messages form `field [ { ... } ]` (protobuf's text parser
// cannot skip it); write such blocks as repeated `field { ... }` entries.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "hiedge/engine/model.h"
#include "hiedge/server/server.h"
#include "hiedge/common/status.h"

namespace hiedge {

class ModelRepository {
 public:
  using Loader =
      std::function<Result<std::unique_ptr<InferenceBackend>>(const std::string& card_path)>;

  struct Event {
    std::string model;
    std::string action;   // "loaded", "reloaded", "unloaded" or "failed".
    std::string version;  // The version now served ("" when none is).
    Status status;        // Why a load failed.
  };

  // `service` is borrowed and must outlive the repository. `loader` defaults to LoadModel.
  ModelRepository(std::string root, InferenceService* service, Loader loader = nullptr);

  // Scans the repository and loads every model whose config or served version's files
  // changed since the last scan, swapping each into the service atomically; models
  // whose folder vanished are unloaded. A model that fails to load keeps serving its
  // previous version (and is retried when its files change again). Returns what it
  // did, one event per model touched. NotFound when the root is not a folder.
  // Not thread-safe: call from one thread (startup, then a poll loop).
  Result<std::vector<Event>> Poll();

 private:
  Status LoadOne(const std::string& model, std::string* version);

  std::string root_;
  InferenceService* service_;
  Loader loader_;
  std::map<std::string, std::string> fingerprints_;    // Model -> files seen last scan.
  std::map<std::string, std::string> served_version_;  // Model -> version served ("" none).
};

}  // namespace hiedge
