#include "eval/demo/cascade_run.h"

#include <memory>

#include "hiedge/server/http_server.h"

namespace hiedge {
namespace {

// What a tier answers on `data` offline: its own prediction where `policy` is sure,
// the next tier's elsewhere.
Predictions TierAnswers(const Predictions& own, const Predictions& next,
                        const OffloadPolicy& policy) {
  Predictions out = own;
  for (size_t i = 0; i < own.labels.size(); ++i) {
    const std::span<const float> row(own.logits.data() + i * static_cast<size_t>(own.classes),
                                     static_cast<size_t>(own.classes));
    if (policy.Decide(row).offload) out.labels[i] = next.labels[i];
  }
  return out;
}

}  // namespace

Result<CascadeRunSummary> RunCascadeOnLoopback(const CascadeRunOptions& o,
                                               const Dataset& validation, const Dataset& test) {
  const LoadOptions load{"", o.threads};
  HIEDGE_ASSIGN_OR_RETURN(std::shared_ptr<InferenceBackend> device_model,
                          LoadModel(o.device_model, load));
  HIEDGE_ASSIGN_OR_RETURN(std::shared_ptr<InferenceBackend> edge_model,
                          LoadModel(o.edge_model, load));
  HIEDGE_ASSIGN_OR_RETURN(std::shared_ptr<InferenceBackend> cloud_model,
                          LoadModel(o.cloud_model, load));

  // Each tier is calibrated against what its next tier answers on validation.
  HIEDGE_ASSIGN_OR_RETURN(Predictions device_val, Predict(*device_model, validation));
  HIEDGE_ASSIGN_OR_RETURN(Predictions edge_val, Predict(*edge_model, validation));
  HIEDGE_ASSIGN_OR_RETURN(Predictions cloud_val, Predict(*cloud_model, validation));
  HIEDGE_ASSIGN_OR_RETURN(const DecisionConfig edge_config,
                          CalibratePolicy(Labelled(edge_val, cloud_val, validation.labels),
                                          {.cost = CostModel{o.edge_offload_cost, 1.0}}));
  HIEDGE_ASSIGN_OR_RETURN(const OffloadPolicy edge_policy, OffloadPolicy::FromConfig(edge_config));
  const Predictions edge_answers = TierAnswers(edge_val, cloud_val, edge_policy);
  HIEDGE_ASSIGN_OR_RETURN(const DecisionConfig device_config,
                          CalibratePolicy(Labelled(device_val, edge_answers, validation.labels),
                                          {.cost = CostModel{o.device_offload_cost, 1.0}}));
  HIEDGE_ASSIGN_OR_RETURN(const OffloadPolicy device_policy,
                          OffloadPolicy::FromConfig(device_config));

  // The cloud, then the edge's cascade tier forwarding to it, both on loopback.
  InferenceService cloud;
  const std::string cloud_name = cloud_model->info().name;
  HIEDGE_RETURN_IF_ERROR(cloud.AddModel(cloud_name, cloud_model));
  HttpServerOptions loopback;
  loopback.host = "127.0.0.1";
  loopback.port = 0;
  HttpServer cloud_server(&cloud, loopback);
  HIEDGE_RETURN_IF_ERROR(cloud_server.Start());
  CascadeSpec spec;
  spec.name = "edge";
  spec.next.host = "127.0.0.1";
  spec.next.port = cloud_server.port();
  spec.next.model = cloud_name;
  if (cloud_model->info().pixel_inputs) spec.next.payload = Payload::kUint8Pixels;
  spec.deadline = o.deadline;
  HIEDGE_ASSIGN_OR_RETURN(std::shared_ptr<InferenceBackend> edge_tier,
                          MakeCascadeBackend(edge_model, edge_config, spec, MakeOffloadClient));
  InferenceService edge;
  HIEDGE_RETURN_IF_ERROR(edge.AddModel(spec.name, edge_tier));
  HttpServer edge_server(&edge, loopback);
  HIEDGE_RETURN_IF_ERROR(edge_server.Start());

  OffloadOptions to_edge;
  to_edge.host = "127.0.0.1";
  to_edge.port = edge_server.port();
  to_edge.model = spec.name;
  if (edge_tier->info().pixel_inputs) to_edge.payload = Payload::kUint8Pixels;
  std::unique_ptr<OffloadClient> client = MakeOffloadClient(to_edge);
  DeviceOptions device_options;
  device_options.policy = device_policy;
  device_options.offload_deadline = 2 * o.deadline;  // Both hops.
  DeviceRuntime device(device_model.get(), client.get(), device_options);
  double wall = 0;
  const std::string name = "Device -> edge -> cloud";
  HIEDGE_ASSIGN_OR_RETURN(std::vector<SampleRecord> records,
                          RunDevice(device, test, name, &wall, o.progress));
  edge_server.Stop();
  cloud_server.Stop();

  CascadeRunSummary s;
  s.result = Summarize(name, device_config.theta, records, test,
                       CostModel{o.device_offload_cost, 1.0}, wall);
  s.device_theta = device_config.theta;
  s.edge_theta = edge_config.theta;
  HIEDGE_ASSIGN_OR_RETURN(const CascadeCounters counters, ReadCascadeCounters(*edge_tier));
  s.edge_rows = counters.rows;
  s.edge_answered = counters.answered_here;
  s.cloud_forwarded = counters.forwarded;
  s.edge_fallbacks = counters.fallbacks;
  // Both tiers' offloads priced: the row's cost is comparable with two-tier rows'.
  const double errors = static_cast<double>(s.result.device_errors + s.result.server_errors);
  s.result.cost =
      errors + o.device_offload_cost * static_cast<double>(s.result.offloaded) +
      o.edge_offload_cost * static_cast<double>(counters.forwarded + counters.fallbacks);
  s.cost_per_sample = test.size() == 0 ? 0 : s.result.cost / static_cast<double>(test.size());
  return s;
}

}  // namespace hiedge
