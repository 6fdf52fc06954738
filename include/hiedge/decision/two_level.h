// Seed 004's two-level architecture, decision side: superclasses built from class
// representations, placing second-level models on edge servers (its Alg. 1), and
// routing a sample's mid-layer features to second-level models with recall (its
// Alg. 2). Pure functions on plain data: no torch, no I/O, no threads.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "hiedge/decision/endpoint_selector.h"
#include "hiedge/common/status.h"

namespace hiedge {

// A partition of class ids into superclasses. Invariant (checked by
// MakeSuperclasses): superclass ids are 0..k-1, each has at least one class, and
// members[s] lists its classes in ascending order.
struct Superclasses {
  std::vector<int> of_class;
  std::vector<std::vector<int>> members;
  int count() const { return static_cast<int>(members.size()); }
};

// Validates `of_class` (ids 0..k-1, none empty) and derives the member lists.
Result<Superclasses> MakeSuperclasses(std::vector<int> of_class);

// Coordinate-wise median representation of each class. `representations` is
// row-major [labels.size(), dim]. InvalidArgument for a size mismatch, a label out of
// range, or a class with no sample.
Result<std::vector<std::vector<float>>> ClassMedians(std::span<const float> representations,
                                                     size_t dim, std::span<const int32_t> labels,
                                                     int num_classes);

// Groups points (one per class) into k superclasses by k-means: k-means++ seeding,
// `restarts` seeded runs, the run of lowest within-cluster squared distance wins.
// Deterministic for a seed. InvalidArgument unless 1 <= k <= points and all points
// have one dimension.
Result<Superclasses> ClusterIntoSuperclasses(const std::vector<std::vector<float>>& points, int k,
                                             uint64_t seed, int restarts = 16);

// C^L of Alg. 2: each superclass's share of the first-level class probabilities.
std::vector<double> SuperclassConfidences(std::span<const float> class_probabilities,
                                          const Superclasses& superclasses);

// Alg. 1 input. demand[c][n] is the empirical share of superclass n among cluster c's
// inputs (D^c_n); memory_left[c] is the free memory of cluster c's server (M^c) and
// model_memory the cost of one second-level model (m), in any one unit.
struct PlacementInput {
  std::vector<std::vector<double>> demand;
  std::vector<double> memory_left;
  double model_memory = 1;
};

// Alg. 1: while every server can take another model, each superclass's model goes to
// the cluster that needs it most among those with room and without it; a cluster that
// got it has its demand zeroed, so replicas spread to the next-most-demanding
// clusters. A model fits when memory_left >= model_memory. Returns models_on[c], the
// superclasses loaded at cluster c, in load order. ResourceExhausted when total
// room cannot hold every superclass once (the seed's stated limitation);
// InvalidArgument for ragged or negative input.
Result<std::vector<std::vector<int>>> PlaceSecondLevelModels(const PlacementInput& input);

// Alg. 2 thresholds.
struct RoutingThresholds {
  double accept_top = 0.9;    // T^L_max: above it, only the top superclass is asked.
  double consider = 0.05;     // T^L_min: superclasses below it are never asked.
  double recall_below = 0.6;  // T^H: a second-level answer below it triggers recall.
  int max_parallel = 3;       // P_max: superclasses asked per sample at most.
  // HI in front of the two levels (beyond seed 004): a sample whose first-level max
  // softmax is >= accept_locally is answered on the device, no expert asked. Above 1:
  // never (the seed's behaviour).
  double accept_locally = 1.1;
};

// True when the first level's own answer stands (max probability >= accept_locally).
bool AnswersLocally(std::span<const float> class_probabilities,
                    const RoutingThresholds& thresholds);

// Which second-level models see a sample. `first` is asked at once: the top
// superclass alone when its C^L >= accept_top, otherwise every superclass with C^L >=
// consider in decreasing C^L, capped at max_parallel (always at least the top one).
// `recall` is asked only if the best answer to `first` is below recall_below: the
// next superclasses in C^L order that pass `consider`, up to max_parallel in all.
struct SecondLevelPlan {
  std::vector<int> first;
  std::vector<int> recall;
};
SecondLevelPlan PlanSecondLevel(std::span<const double> superclass_confidences,
                                const RoutingThresholds& thresholds);

// One second-level model's answer: a class id (global) and its confidence (C^H).
struct SecondLevelAnswer {
  int superclass = 0;
  int class_id = 0;
  double confidence = 0;
};

// Superclass `superclass`'s expert answer from its output probabilities: the most
// probable of its own `classes` (original ids), with that probability as C^H. An
// "other" output past them is never the answer; it only takes probability away, so a
// sample from another superclass gets a low C^H and triggers recall. Requires
// probabilities.size() >= classes.size() > 0.
SecondLevelAnswer ExpertAnswer(int superclass, std::span<const float> probabilities,
                               std::span<const int> classes);

// The answer of highest confidence (the earliest on ties). Requires answers non-empty.
const SecondLevelAnswer& BestAnswer(std::span<const SecondLevelAnswer> answers);

// True when the recall step of the plan should run after these answers.
bool NeedsRecall(std::span<const SecondLevelAnswer> answers, const SecondLevelPlan& plan,
                 const RoutingThresholds& thresholds);

// The server for superclass `superclass`'s model: the local cluster's when it holds
// the model, else the holder `servers` (one endpoint per cluster) chooses by its rules:
// unmeasured first, a stale one re-measured, the lowest smoothed round trip, a failed
// one avoided through its cooldown. -1 when no cluster holds it.
int ChooseSecondLevelServer(int superclass, const std::vector<std::vector<int>>& models_on,
                            int local_cluster, const EndpointSelector& servers, int64_t now_us);

// A running budget of expert calls per image: over every prefix of the stream, calls
// ≤ calls_per_image × images. Each image may ask what the budget has left; an image
// that wanted more is "limited" and answers with the best it has. Pure; not thread-safe.
class ExpertCallBudget {
 public:
  // calls_per_image ≤ 0: unlimited.
  explicit ExpertCallBudget(double calls_per_image = 0) : per_image_(calls_per_image) {}
  // Starts an image: how many experts it may ask in all (≥ 0).
  int BeginImage();
  // The image asked `calls` experts (at most what BeginImage allowed); `limited` when
  // its plan wanted more than it was allowed.
  void EndImage(int calls, bool limited);

  bool unlimited() const { return per_image_ <= 0; }
  double calls_per_image() const { return per_image_; }
  uint64_t images() const { return images_; }
  uint64_t calls() const { return calls_; }
  uint64_t limited_images() const { return limited_; }

 private:
  double per_image_;
  uint64_t images_ = 0, calls_ = 0, limited_ = 0;
};

}  // namespace hiedge
