#include "eval/two_level/two_level_eval.h"

#include <algorithm>
#include <cmath>

#include "engine/features.h"
#include "eval/core/eval.h"
#include "hiedge/common/model_card.h"
#include "hiedge/decision/decision.h"
#include "hiedge/protocol/protocol.h"

namespace hiedge {

Result<Superclasses> SuperclassesFromFeatures(InferenceBackend& first_level, int stages,
                                              const Dataset& train, int k, uint64_t seed) {
  HIEDGE_ASSIGN_OR_RETURN(Dataset features, ExtractFeatures(first_level, stages, train));
  HIEDGE_ASSIGN_OR_RETURN(auto medians, ClassMedians(features.images, features.image_elements(),
                                                     features.labels, features.num_classes));
  return ClusterIntoSuperclasses(medians, k, seed);
}

Result<TwoLevelModels> LoadTwoLevelModels(const std::string& config_path) {
  TwoLevelModels m;
  HIEDGE_ASSIGN_OR_RETURN(m.config, ReadTwoLevelConfig(config_path));
  const std::string folder = CardDirectory(config_path);
  const auto superclasses = static_cast<size_t>(m.config.superclasses.count());
  if (m.config.experts.size() != superclasses) {
    return Status::InvalidArgument(config_path + ": lists no expert per superclass");
  }
  HIEDGE_ASSIGN_OR_RETURN(m.first_level, LoadModel(folder + "/" + m.config.feature_model));
  for (size_t s = 0; s < superclasses; ++s) {
    const std::string path = folder + "/" + m.config.experts[s];
    HIEDGE_ASSIGN_OR_RETURN(ModelCard card, ReadModelCard(path));
    if (card.classes != m.config.superclasses.members[s]) {
      return Status::InvalidArgument(path + ": its classes are not superclass " +
                                     std::to_string(s) + "'s");
    }
    HIEDGE_ASSIGN_OR_RETURN(auto model, LoadModel(path));
    m.mean_expert_macs +=
        static_cast<double>(model->info().macs_per_sample) / static_cast<double>(superclasses);
    m.classes.push_back(card.classes);
    m.experts.push_back(std::move(model));
  }
  return m;
}

double CodedFeatureBytes(FeatureCoding coding, double values, double channels) {
  switch (coding) {
    case FeatureCoding::kFp32:
      return 4 * values;
    case FeatureCoding::kFp16:
      return 2 * values;
    case FeatureCoding::kInt8PerChannel:
      return values + 4 * channels;
  }
  return 4 * values;
}

namespace {

// Each channel of each image to round(v / scale) bytes and back, scale = max / 255.
void QuantizePerChannel(Dataset& features) {
  const size_t plane = static_cast<size_t>(features.height * features.width);
  for (size_t i = 0; i < features.size(); ++i) {
    float* image = features.images.data() + i * features.image_elements();
    for (int64_t c = 0; c < features.channels; ++c) {
      float* values = image + static_cast<size_t>(c) * plane;
      float top = 0;
      for (size_t k = 0; k < plane; ++k) top = std::max(top, values[k]);
      const float scale = top > 0 ? top / 255.0f : 1.0f;
      for (size_t k = 0; k < plane; ++k) {
        values[k] = std::round(std::clamp(values[k] / scale, 0.0f, 255.0f)) * scale;
      }
    }
  }
}

}  // namespace

Result<std::vector<TwoLevelSample>> ScoreTwoLevel(const TwoLevelModels& models, const Dataset& data,
                                                  FeatureCoding coding) {
  const TwoLevelConfig& config = models.config;
  InferenceBackend& first_level = *models.first_level;
  const auto superclasses = static_cast<size_t>(config.superclasses.count());
  if (models.experts.size() != superclasses || models.classes.size() != superclasses) {
    return Status::InvalidArgument("two-level: one expert per superclass needed");
  }
  HIEDGE_ASSIGN_OR_RETURN(Predictions first, Predict(first_level, data));
  HIEDGE_ASSIGN_OR_RETURN(Dataset features,
                          ExtractFeatures(first_level, config.feature_stages, data));
  if (coding == FeatureCoding::kFp16) {
    for (float& v : features.images) v = protocol::HalfToFloat(protocol::FloatToHalf(v));
  } else if (coding == FeatureCoding::kInt8PerChannel) {
    QuantizePerChannel(features);
  }
  std::vector<TwoLevelSample> samples(data.size());
  const auto classes = static_cast<size_t>(first.classes);
  for (size_t i = 0; i < data.size(); ++i) {
    samples[i].first_level_probabilities = Softmax(first.logits.data() + i * classes, classes);
    samples[i].first_level_class = first.labels[i];
    samples[i].label = data.labels[i];
    samples[i].expert_answers.resize(superclasses);
  }
  for (size_t s = 0; s < superclasses; ++s) {
    HIEDGE_ASSIGN_OR_RETURN(Predictions answer, Predict(*models.experts[s], features));
    const auto outputs = static_cast<size_t>(answer.classes);
    const std::vector<int>& classes = models.classes[s];
    if (outputs < classes.size() || outputs > classes.size() + 1) {
      return Status::InvalidArgument("two-level: expert " + std::to_string(s) + " has " +
                                     std::to_string(outputs) + " outputs for " +
                                     std::to_string(classes.size()) + " classes");
    }
    for (size_t i = 0; i < data.size(); ++i) {
      const std::vector<float> p = Softmax(answer.logits.data() + i * outputs, outputs);
      samples[i].expert_answers[s] = ExpertAnswer(static_cast<int>(s), p, classes);
    }
  }
  return samples;
}

RoutedSample RouteTwoLevel(const TwoLevelSample& sample, const Superclasses& superclasses,
                           const RoutingThresholds& thresholds) {
  const SecondLevelPlan plan = PlanSecondLevel(
      SuperclassConfidences(sample.first_level_probabilities, superclasses), thresholds);
  RoutedSample routed;
  routed.top_superclass = plan.first[0];
  if (AnswersLocally(sample.first_level_probabilities, thresholds)) {
    routed.local = true;
    routed.final_class = sample.first_level_class;
    return routed;
  }
  std::vector<SecondLevelAnswer> asked;
  for (int s : plan.first) asked.push_back(sample.expert_answers[static_cast<size_t>(s)]);
  if (NeedsRecall(asked, plan, thresholds)) {
    routed.recalled = true;
    for (int s : plan.recall) asked.push_back(sample.expert_answers[static_cast<size_t>(s)]);
  }
  routed.final_class = BestAnswer(asked).class_id;
  routed.queries = static_cast<int>(asked.size());
  routed.parallel = plan.first.size() > 1;
  return routed;
}

TwoLevelOutcome SimulateTwoLevel(const std::vector<TwoLevelSample>& samples,
                                 const Superclasses& superclasses,
                                 const RoutingThresholds& thresholds) {
  TwoLevelOutcome o;
  o.samples = samples.size();
  if (samples.empty()) return o;
  size_t correct = 0, first_correct = 0, superclass_correct = 0, queries = 0, recalls = 0,
         multi = 0, local = 0;
  for (const TwoLevelSample& sample : samples) {
    const RoutedSample routed = RouteTwoLevel(sample, superclasses, thresholds);
    queries += static_cast<size_t>(routed.queries);
    recalls += routed.recalled;
    multi += routed.parallel;
    local += routed.local;
    correct += routed.final_class == sample.label;
    first_correct += sample.first_level_class == sample.label;
    superclass_correct +=
        routed.top_superclass == superclasses.of_class[static_cast<size_t>(sample.label)];
  }
  const double n = static_cast<double>(samples.size());
  o.accuracy = static_cast<double>(correct) / n;
  o.first_level_accuracy = static_cast<double>(first_correct) / n;
  o.superclass_accuracy = static_cast<double>(superclass_correct) / n;
  o.mean_expert_queries = static_cast<double>(queries) / n;
  o.recall_fraction = static_cast<double>(recalls) / n;
  o.multi_query_fraction = static_cast<double>(multi) / n;
  o.local_fraction = static_cast<double>(local) / n;
  return o;
}

RoutingThresholds CalibrateTwoLevel(const std::vector<TwoLevelSample>& samples,
                                    const Superclasses& superclasses, double max_mean_queries,
                                    bool answer_locally) {
  RoutingThresholds best, cheapest;
  double best_accuracy = -1, best_queries = 0, cheapest_queries = 1e300;
  const std::vector<double> local_grid =
      answer_locally ? std::vector<double>{1.1, 0.999, 0.99, 0.98, 0.95, 0.9, 0.8, 0.7, 0.6, 0.5}
                     : std::vector<double>{1.1};
  for (double accept_locally : local_grid) {
    for (double accept_top : {0.5, 0.8, 0.9, 0.99, 1.0}) {
      for (double consider : {0.02, 0.05, 0.1, 0.2}) {
        for (double recall_below : {0.0, 0.5, 0.7, 0.9}) {
          for (int max_parallel : {2, 3}) {
            const RoutingThresholds t{accept_top, consider, recall_below, max_parallel,
                                      accept_locally};
            const TwoLevelOutcome o = SimulateTwoLevel(samples, superclasses, t);
            if (o.mean_expert_queries < cheapest_queries) {
              cheapest = t;
              cheapest_queries = o.mean_expert_queries;
            }
            if (o.mean_expert_queries > max_mean_queries) continue;
            if (o.accuracy > best_accuracy ||
                (o.accuracy == best_accuracy && o.mean_expert_queries < best_queries)) {
              best = t;
              best_accuracy = o.accuracy;
              best_queries = o.mean_expert_queries;
            }
          }
        }
      }
    }
  }
  return best_accuracy >= 0 ? best : cheapest;
}

}  // namespace hiedge
