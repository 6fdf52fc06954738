#include "server/model_config_proto.h"

#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/text_format.h>

#include <algorithm>

namespace hiedge {
namespace {

// Collects the text parser's complaints instead of letting it log them.
class ErrorCollector : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, google::protobuf::io::ColumnNumber column,
                const std::string& message) override {
    if (!first.empty()) return;
    first = "config.pbtxt line " + std::to_string(line + 1) + ", column " +
            std::to_string(column + 1) + ": " + message;
  }
  void AddWarning(int, google::protobuf::io::ColumnNumber, const std::string&) override {}
  std::string first;
};

}  // namespace

void FillModelConfig(const InferenceService::ServedConfig& c, inference::ModelConfig* out) {
  out->set_name(c.name);
  out->set_platform(c.platform);
  out->set_backend("hiedge");
  // Triton's convention: max_batch_size > 0 makes the batch dimension implicit in
  // dims; 0 lists it, here as a variable (-1) dimension.
  const bool implicit_batch = c.batching.enabled();
  out->set_max_batch_size(static_cast<int32_t>(c.batching.max_batch_size));
  auto* input = out->add_input();
  input->set_name(c.info.input_name);
  input->set_data_type(inference::TYPE_FP32);
  if (!implicit_batch) input->add_dims(-1);
  for (const int64_t d : c.info.input_shape) input->add_dims(d);
  auto* output = out->add_output();
  output->set_name(c.info.output_name);
  output->set_data_type(inference::TYPE_FP32);
  if (!implicit_batch) output->add_dims(-1);
  output->add_dims(c.info.num_classes);
  if (c.batching.enabled()) {
    auto* db = out->mutable_dynamic_batching();
    for (const int64_t size : c.batching.preferred_batch_sizes)
      db->add_preferred_batch_size(static_cast<int32_t>(size));
    db->set_max_queue_delay_microseconds(static_cast<uint64_t>(c.batching.max_queue_delay_us));
    db->mutable_default_queue_policy()->set_max_queue_size(
        static_cast<uint32_t>(c.batching.max_queue_size));
    db->mutable_default_queue_policy()->set_allow_timeout_override(true);
  }
  auto* group = out->add_instance_group();
  group->set_count(c.batching.instances);
  group->set_kind(inference::ModelInstanceGroup::KIND_CPU);
}

void FillModelStatistics(const protocol::ModelStatisticsReport& r,
                         inference::ModelStatistics* out) {
  out->set_name(r.name);
  out->set_version(r.version);
  out->set_inference_count(r.inference_count);
  out->set_execution_count(r.execution_count);
  auto fill = [](const protocol::DurationStatistic& d, inference::StatisticDuration* p) {
    p->set_count(d.count);
    p->set_ns(d.ns);
  };
  auto* s = out->mutable_inference_stats();
  fill(r.success, s->mutable_success());
  fill(r.fail, s->mutable_fail());
  fill(r.queue, s->mutable_queue());
  fill(r.compute_infer, s->mutable_compute_infer());
}

Result<inference::ModelConfig> ParseModelConfigText(std::string_view text) {
  google::protobuf::TextFormat::Parser parser;
  parser.AllowUnknownField(true);  // Triton configs carry fields hiedge does not use.
  ErrorCollector errors;
  parser.RecordErrorsTo(&errors);
  inference::ModelConfig config;
  if (!parser.ParseFromString(std::string(text), &config)) {
    return Status::InvalidArgument(errors.first.empty() ? "config.pbtxt does not parse"
                                                        : errors.first);
  }
  return config;
}

Result<BatchingConfig> BatchingFromModelConfig(const inference::ModelConfig& config) {
  BatchingConfig b;
  int64_t instances = 0;
  for (const auto& group : config.instance_group()) {
    if (group.kind() == inference::ModelInstanceGroup::KIND_GPU) continue;
    if (group.count() < 0) return Status::InvalidArgument("instance_group count must be >= 0");
    instances += group.count() == 0 ? 1 : group.count();  // Triton: count defaults to 1.
  }
  if (instances > kMaxModelInstances) {
    return Status::InvalidArgument("instance_group asks for " + std::to_string(instances) +
                                   " CPU instances; at most " + std::to_string(kMaxModelInstances));
  }
  b.instances = std::max<int>(1, static_cast<int>(instances));
  if (!config.has_dynamic_batching() || config.max_batch_size() <= 0) return b;
  const auto& db = config.dynamic_batching();
  b.max_batch_size = config.max_batch_size();
  for (const int32_t size : db.preferred_batch_size()) b.preferred_batch_sizes.push_back(size);
  b.max_queue_delay_us = static_cast<int64_t>(db.max_queue_delay_microseconds());
  b.max_queue_size = db.default_queue_policy().max_queue_size();
  return b;
}

}  // namespace hiedge
