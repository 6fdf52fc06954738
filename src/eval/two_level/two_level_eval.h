// Building and evaluating seed 004's two-level architecture on a dataset: superclasses
// from a first-level model's mid-layer features, and the accuracy and cost of Alg. 2
// routing to second-level models (experts).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "eval/links/link_emulator.h"
#include "hiedge/data/data.h"
#include "hiedge/decision/two_level.h"
#include "hiedge/decision/two_level_config.h"
#include "hiedge/device/device.h"
#include "hiedge/engine/model.h"
#include "hiedge/server/http_server.h"

namespace hiedge {

// Superclasses for `first_level` cut after `stages`: class medians of its features on
// `train` (seed 004 §2(1)), grouped into k by seeded k-means.
Result<Superclasses> SuperclassesFromFeatures(InferenceBackend& first_level, int stages,
                                              const Dataset& train, int k, uint64_t seed);

// Everything Alg. 2 needs about one sample, precomputed: the first level's class
// probabilities and each expert's answer (its best class, mapped to the original
// class id, and confidence).
struct TwoLevelSample {
  std::vector<float> first_level_probabilities;
  int first_level_class = 0;
  std::vector<SecondLevelAnswer> expert_answers;  // Index = superclass.
  int label = 0;
};

// A two-level deployment loaded from its config: the first-level model and one expert
// per superclass (experts[s] answers classes[s], which are superclass s's members).
struct TwoLevelModels {
  TwoLevelConfig config;
  std::unique_ptr<InferenceBackend> first_level;
  std::vector<std::shared_ptr<InferenceBackend>> experts;
  std::vector<std::vector<int>> classes;
  double mean_expert_macs = 0;  // Per sample.
};
// Paths in the config are relative to its folder. InvalidArgument when an expert's
// card does not cover exactly its superclass; loading errors as LoadModel's.
Result<TwoLevelModels> LoadTwoLevelModels(const std::string& config_path);

// How the uploaded features are coded. kFp16 rounds them to halves, as the device
// sends them with --payload fp16. kInt8PerChannel quantises each image's channels to
// bytes with their own scale (max / 255; features are post-ReLU, so >= 0) and back:
// an offline measurement of that coding, which no transport carries yet.
enum class FeatureCoding { kFp32, kFp16, kInt8PerChannel };

// Bytes one image's features take coded as `coding`: values x bytes each, plus one
// FP32 scale per channel for kInt8PerChannel.
double CodedFeatureBytes(FeatureCoding coding, double values, double channels);

// Runs the first-level model and every expert on `data` (each expert on the features,
// coded as `coding` says).
Result<std::vector<TwoLevelSample>> ScoreTwoLevel(const TwoLevelModels& models, const Dataset& data,
                                                  FeatureCoding coding = FeatureCoding::kFp32);

// Alg. 2 on one scored sample: the answer and what it took.
struct RoutedSample {
  int final_class = -1;
  int queries = 0;        // Experts asked.
  bool recalled = false;  // The recall step ran.
  bool parallel = false;  // More than one expert was asked at once.
  int top_superclass = -1;
  bool local = false;  // Answered by the first level alone (accept_locally).
};
RoutedSample RouteTwoLevel(const TwoLevelSample& sample, const Superclasses& superclasses,
                           const RoutingThresholds& thresholds);

// Outcome of Alg. 2 over scored samples.
struct TwoLevelOutcome {
  size_t samples = 0;
  double accuracy = 0;
  double first_level_accuracy = 0;
  double superclass_accuracy = 0;   // Top superclass of C^L is the label's.
  double mean_expert_queries = 0;   // Second-level inferences per sample.
  double recall_fraction = 0;       // Samples whose recall step ran.
  double multi_query_fraction = 0;  // Samples asking more than one expert at once.
  double local_fraction = 0;        // Samples the first level answered alone.
};
TwoLevelOutcome SimulateTwoLevel(const std::vector<TwoLevelSample>& samples,
                                 const Superclasses& superclasses,
                                 const RoutingThresholds& thresholds);

// The thresholds of highest accuracy on `samples` (validation) over a fixed grid,
// among those asking at most `max_mean_queries` experts per sample; ties go to fewer
// queries. With `answer_locally` the grid also covers accept_locally (HI in front),
// the only way below one query per sample; if nothing on the grid meets the budget,
// the cheapest grid point.
RoutingThresholds CalibrateTwoLevel(const std::vector<TwoLevelSample>& samples,
                                    const Superclasses& superclasses, double max_mean_queries,
                                    bool answer_locally = false);

// The whole study behind `hiedge twolevel`: thresholds calibrated on validation,
// accuracy and cost on test beside the first-level model alone and the large model,
// and an Alg. 1 placement for a seeded multi-cluster scenario.
struct TwoLevelStudyOptions {
  std::string config_path = "models/two_level.json";
  std::string large_model = "models/lml.json";  // Empty: no large-model baseline.
  std::string data_dir = kFashionMnistDir;
  double max_mean_queries = 1.5;  // Budget of expert inferences per sample.
  // Budget of the "HI + two-level" row: low, so the first level must answer alone often.
  double hi_max_mean_queries = 0.3;
  int clusters = 3;               // Alg. 1 scenario.
  double experts_per_server = 2;  // Memory per server, in expert models.
  uint64_t seed = 1;
};

struct TwoLevelStudy {
  TwoLevelConfig config;            // With the calibrated thresholds.
  RoutingThresholds hi_thresholds;  // Of the HI + two-level row.
  struct Row {
    std::string strategy;
    double accuracy = 0;
    double mean_expert_queries = 0;
    double recall_fraction = 0;
    double device_macs = 0;     // Per sample.
    double server_macs = 0;     // Per sample, mean over samples.
    double upload_bytes = 0;    // Per sample: tensor bytes as sent (FP32 unless the row says).
    double local_fraction = 0;  // Samples the device answered alone.
  };
  std::vector<Row> rows;
  double validation_accuracy = 0;
  double superclass_accuracy = 0;  // Test: top superclass of C^L is right.
  // Alg. 1 scenario: demand[c][n], the placement, and the share of each cluster's
  // expert queries its own server answers (modelled from demand).
  std::vector<std::vector<double>> demand;
  std::vector<std::vector<int>> placement;
  std::vector<double> local_share;

  std::string ToJson() const;
  std::string ToTable() const;
  // A results-document section: the rows with their MACs as a share of the full
  // offload row's (the L-ML's), and the calibrated thresholds. `title` heads it.
  std::string ToMarkdown(const std::string& title) const;
};

Result<TwoLevelStudy> RunTwoLevelStudy(const TwoLevelStudyOptions& options);

// A networked two-level run (`hiedge twolevel-device`): every sample of `data` through
// `device` (two_level_device.h), one answer each.
class TwoLevelDevice;
struct TwoLevelSampleRecord;
Result<std::vector<TwoLevelSampleRecord>> RunTwoLevelDevice(TwoLevelDevice& device,
                                                            const Dataset& data,
                                                            double* wall_seconds, bool progress);

struct TwoLevelRunSummary {
  size_t samples = 0;
  double accuracy = 0;
  double first_level_accuracy = 0;
  double mean_experts_asked = 0;
  double forwarded_fraction = 0;  // Of expert answers, those from a non-local server.
  size_t fallbacks = 0;           // Samples no expert answered (first-level answer given).
  size_t budget_limited = 0;      // Samples the expert-call budget cut short.
  double recall_fraction = 0;
  double local_fraction = 0;  // Samples the first level answered alone.
  double p50_first_level_ms = 0;
  double p50_second_level_ms = 0;
  double p99_total_ms = 0;
  double samples_per_second = 0;

  std::string ToJson() const;
  std::string ToTable() const;
};
// The model name a server gives superclass s's expert: "expert<s>".
inline std::string ExpertModelName(int superclass) { return "expert" + std::to_string(superclass); }

// Seeded per-cluster demand over superclasses for Alg. 1 scenarios: each cluster sees
// a few superclasses mostly (weights (-log u)^2, normalised).
std::vector<std::vector<double>> ScenarioDemand(int clusters, int superclasses, uint64_t seed);

// Loopback REST servers, one per cluster, each serving the experts `placement` puts
// there (as ExpertModelName(s)), and a client per (cluster, expert) for
// TwoLevelDevice. Borrows `models`, which must outlive it. Stops its servers when
// destroyed.
class LoopbackExpertServers {
 public:
  // The clients send features as `payload` (fp32 or fp16). Every server also serves
  // `shared` models (name, backend), e.g. a partitioned L-ML's tails. With a shaped
  // `link`, the device reaches each server through its own LinkEmulator (device_port);
  // port() stays the server's own, for the servers' other users.
  static Result<std::unique_ptr<LoopbackExpertServers>> Start(
      const TwoLevelModels& models, const std::vector<std::vector<int>>& placement,
      Payload payload = Payload::kFp32,
      const std::vector<std::pair<std::string, std::shared_ptr<InferenceBackend>>>& shared = {},
      const eval::LinkProfile& link = eval::LinkProfile{"loopback"});
  ~LoopbackExpertServers();
  // clients()[c][s]: superclass s's expert on cluster c, null where not placed.
  const std::vector<std::vector<OffloadClient*>>& clients() const { return clients_; }
  void Stop(size_t cluster);
  int port(size_t cluster) const { return servers_[cluster]->port(); }
  // Where the device connects: the cluster's link emulator, or the server itself.
  int device_port(size_t cluster) const {
    return links_.empty() ? port(cluster) : links_[cluster]->port();
  }
  size_t size() const { return servers_.size(); }

 private:
  LoopbackExpertServers() = default;
  std::vector<std::unique_ptr<eval::LinkEmulator>> links_;  // Stopped after the clients.
  std::vector<std::unique_ptr<InferenceService>> services_;
  std::vector<std::unique_ptr<HttpServer>> servers_;
  std::vector<std::unique_ptr<OffloadClient>> owned_clients_;
  std::vector<std::vector<OffloadClient*>> clients_;
};

// The two-level system on loopback, end to end: experts placed on `clusters` REST
// servers by Alg. 1 (ScenarioDemand, `experts_per_server` of room each), the device in
// cluster 0 running `config_path`'s first level over `data`. `placement` receives the
// placement.
struct TwoLevelLoopbackOptions {
  std::string config_path = "models/two_level.json";
  int clusters = 2;
  double experts_per_server = 3;
  uint64_t seed = 1;
  std::chrono::microseconds deadline{std::chrono::milliseconds(500)};
  bool progress = true;
  double expert_budget = 0;            // Expert calls per image (ExpertCallBudget); 0 = unlimited.
  eval::LinkProfile link{"loopback"};  // The device's link to every server.
};
Result<TwoLevelRunSummary> RunTwoLevelOnLoopback(const TwoLevelLoopbackOptions& options,
                                                 const Dataset& data,
                                                 std::vector<std::vector<int>>* placement);

TwoLevelRunSummary SummarizeTwoLevelRun(const std::vector<TwoLevelSampleRecord>& records,
                                        const Dataset& data, double wall_seconds);

}  // namespace hiedge
