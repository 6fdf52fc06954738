#include "device_flags.h"

#include <cmath>
#include <cstdio>
#include <filesystem>

#include "cli.h"
#include "common/files.h"
#include "hiedge/decision/decision_config.h"
#include "hiedge/common/model_card.h"
#include "hiedge/protocol/protocol.h"

namespace hiedge::cli {

void AddDeviceFlags(CLI::App* cmd, DeviceFlags* a) {
  cmd->add_option("--local", a->local, "S-ML model card")->capture_default_str();
  cmd->add_option("--engine", a->engine,
                  "Inference backend for the S-ML (default: the best this build has)");
  cmd->add_option("--threads", a->threads, "S-ML intra-op threads")
      ->check(Positive())
      ->capture_default_str();
  cmd->add_option("--decision", a->decision, "Decision config from `hiedge calibrate`");
  cmd->add_flag("--force", a->force,
                "Use a decision config calibrated for another model than --local");
  cmd->add_option("--theta", a->theta,
                  "Offload iff max softmax < theta (0 never, > 1 always); default 0.9. With "
                  "--decision: overrides the config's theta (S-ML-only or L-ML-only runs) while "
                  "drift detection keeps judging at the calibrated theta")
      ->check(NonNegative());
  cmd->add_option("--exit-threshold", a->exit_thresholds,
                  "EE-HI: max-softmax threshold per early exit of --local, in order (> 1 "
                  "disables one); overrides the --decision config's")
      ->check(NonNegative());
  cmd->add_flag("--no-drift", a->no_drift,
                "Do not watch for drift (on by default with --decision: the live offload rate, "
                "confidence histogram and S-ML/L-ML disagreement against the calibration's, and "
                "the inputs' statistics and predicted classes when the config has an input "
                "reference; exit code 6 when detected)");
  cmd->add_option("--drift-false-alarm-rate", a->drift_false_alarm_rate,
                  "Drift detection: false alarms per in-distribution sample, at most (mean)")
      ->check(CLI::Range(1e-9, 0.1))
      ->capture_default_str();
  cmd->add_flag("--learn", a->learn,
                "Learn the threshold in the field (needs --decision): audits, labels, the "
                "L-ML's answers while it is believed; drift alarms make it forget");
  cmd->add_option("--audit-rate", a->audit_rate,
                  "--learn: fraction of samples sent to the server for learning although "
                  "accepted (answered locally)")
      ->check(CLI::Range(0.0, 0.5))
      ->capture_default_str();
  cmd->add_option("--audit-seed", a->audit_seed,
                  "--learn: seed of the audit draws (which samples are audited)")
      ->capture_default_str();
  cmd->add_option("--learner-state", a->learner_state,
                  "--learn: JSON file the learner starts from (when it exists) and is saved to "
                  "(atomically, at the end and every --checkpoint-every samples)");
  cmd->add_option("--checkpoint-every", a->checkpoint_every,
                  "--learner-state: also save it every N samples (0 = at the end only), so a "
                  "crash loses at most N samples of learning and nothing is counted twice")
      ->capture_default_str();
  cmd->add_flag("--label-audits", a->label_audits,
                "--learn: act as the application and return the data's true label of every "
                "audited sample");
  cmd->add_option("--beta", a->beta, "Offload cost for the cost column")->capture_default_str();
  cmd->add_option("--server", a->endpoints,
                  "Edge server host:port; repeat for several, chosen per request by measured "
                  "round-trip time with failover")
      ->capture_default_str();
  cmd->add_option("--transport", a->transport,
                  "Offload protocol: rest or grpc (the server's gRPC port)")
      ->check(RegisteredTransport())
      ->capture_default_str();
  cmd->add_option("--tls-root-cert", a->server.tls_root_cert_file,
                  "gRPC over TLS, trusting this PEM root")
      ->check(CLI::ExistingFile);
  cmd->add_option("--model", a->server.model, "Remote model name")->capture_default_str();
  cmd->add_option("--auth-token", a->server.bearer_token, "Bearer token for the edge server");
  cmd->add_option("--binary", a->server.binary, "REST: use the binary tensor data extension")
      ->capture_default_str();
  cmd->add_option("--payload", a->payload,
                  "Offload tensor datatype: fp32; fp16 (half the bytes, rounded); uint8 (image "
                  "pixel bytes, a quarter, exact for 8-bit images; the server's model must "
                  "declare pixel_inputs)")
      ->check(CLI::IsMember({"fp32", "fp16", "uint8"}))
      ->capture_default_str();
  cmd->add_option("--breaker-failures", a->breaker_failures,
                  "Offloads in a row that missed their deadline, after which offloads fall back "
                  "at once until a probe gets through (0 = never)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_option("--offload-cost-per-ms", a->offload_cost_per_ms,
                  "Load-aware offloading (needs --decision): beta of an offload grows by this per "
                  "ms of the smoothed round trip, and theta is re-chosen on the decision "
                  "config's cost curve, so a slow or busy server is asked less (0 = off)")
      ->check(CLI::Range(0.0, 1000.0))
      ->capture_default_str();
  cmd->add_flag("--follow-server-price", a->follow_server_price,
                "Server-set thresholds (needs --decision): add the offload price the server "
                "reports (served with --slo-ms) to beta and re-choose theta on the decision "
                "config's cost curve; nonsense prices are ignored and counted");
  cmd->add_option("--client-id", a->server.client_id,
                  "Name sent to the server as hiedge-client-id, the key of its per-client "
                  "quotas (1-64 characters of [A-Za-z0-9._:-])");
  cmd->add_option("--deadline-ms", a->deadline_ms, "Offload deadline")
      ->check(Positive())
      ->capture_default_str();
  cmd->add_option("--offload-batch", a->offload_batch,
                  "Unsure samples sent per request (1 = each at once)")
      ->check(Positive())
      ->capture_default_str();
  cmd->add_option("--offload-batch-delay-ms", a->offload_batch_delay_ms,
                  "Longest an unsure sample waits for a fuller offload batch")
      ->check(NonNegative())
      ->capture_default_str();
  cmd->add_option("--max-fallback-fraction", a->max_fallback_fraction,
                  "Exit 5 when more than this fraction of samples fell back to the local answer "
                  "(server unreachable, errors, missed deadlines)")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  cmd->add_option("--out", a->out, "Results folder")->capture_default_str();
}

Result<DeviceSetup> SetUpDevice(const DeviceFlags& a) {
  DeviceSetup setup;
  const bool theta_given = !std::isnan(a.theta);
  setup.options.policy = OffloadPolicy::MaxSoftmax(theta_given ? a.theta : 0.9);
  setup.beta = a.beta;
  if (!a.decision.empty()) {
    HIEDGE_ASSIGN_OR_RETURN(DecisionConfig config, ReadDecisionConfig(a.decision));
    HIEDGE_ASSIGN_OR_RETURN(const std::string model_id, ModelIdentity(a.local));
    if (Status fits = CheckCalibratedFor(config, model_id); !fits.ok()) {
      if (!a.force) return fits;
      std::fprintf(stderr, "warning (--force): %s\n", fits.message().c_str());
    }
    HIEDGE_ASSIGN_OR_RETURN(setup.options.policy, OffloadPolicy::FromConfig(config));
    if (theta_given) {
      if (a.learn || a.offload_cost_per_ms > 0 || a.follow_server_price) {
        return Status::InvalidArgument(
            "--theta with --decision fixes theta; --learn, --offload-cost-per-ms and "
            "--follow-server-price move it: choose one");
      }
      setup.options.drift_theta = config.theta;
      setup.options.policy = setup.options.policy.WithTheta(a.theta);
    }
    setup.options.exit_thresholds = config.exit_thresholds;
    if (!a.no_drift) {
      HIEDGE_ASSIGN_OR_RETURN(setup.options.drift,
                              DriftDetector::FromConfig(config, {a.drift_false_alarm_rate}));
    }
    setup.beta = config.offload_cost;
    setup.decision = config;
  }
  if (!a.exit_thresholds.empty()) setup.options.exit_thresholds = a.exit_thresholds;
  if ((a.learn || !a.learner_state.empty() || a.label_audits) && !setup.decision)
    return Status::InvalidArgument("--learn needs a --decision config (its β and statistics)");
  HIEDGE_ASSIGN_OR_RETURN(setup.local, LoadModel(a.local, {a.engine, a.threads}));
  if (a.learn) {
    FieldLearnerOptions learner = FieldLearnerOptionsFor(*setup.decision, setup.options.policy,
                                                         setup.local->info().num_classes);
    learner.audit_rate = a.audit_rate;
    learner.seed = a.audit_seed;
    std::error_code ec;
    if (!a.learner_state.empty() && std::filesystem::exists(a.learner_state, ec)) {
      HIEDGE_ASSIGN_OR_RETURN(const std::string text, ReadTextFile(a.learner_state));
      auto restored = FieldLearner::FromJson(text, learner, setup.options.policy.theta());
      if (!restored.ok()) {
        return Status(restored.status().code(),
                      a.learner_state + ": " + restored.status().message());
      }
      setup.options.learner = std::move(*restored);
    } else {
      HIEDGE_ASSIGN_OR_RETURN(setup.options.learner,
                              FieldLearner::Create(learner, setup.options.policy.theta()));
    }
  } else if (!a.learner_state.empty() || a.label_audits) {
    return Status::InvalidArgument("--learner-state and --label-audits need --learn");
  }
  const size_t exits = setup.local->info().early_exit_after_stage.size();
  if (!setup.options.exit_thresholds.empty() && setup.options.exit_thresholds.size() != exits) {
    return Status::InvalidArgument(std::to_string(setup.options.exit_thresholds.size()) +
                                   " exit threshold(s) for " + a.local + ", which has " +
                                   std::to_string(exits) + " early exit(s)");
  }
  OffloadOptions server = a.server;
  HIEDGE_ASSIGN_OR_RETURN(server.transport, ParseTransport(a.transport));
  HIEDGE_ASSIGN_OR_RETURN(server.payload, ParsePayload(a.payload));
  std::vector<std::unique_ptr<OffloadClient>> links;
  for (const std::string& endpoint : a.endpoints) {
    OffloadOptions o = server;
    HIEDGE_RETURN_IF_ERROR(ParseHostPort(endpoint, &o));
    links.push_back(MakeOffloadClient(o));
  }
  setup.client =
      links.size() == 1 ? std::move(links[0]) : MakeMultiEndpointClient(std::move(links));
  setup.options.offload_deadline = std::chrono::milliseconds(a.deadline_ms);
  setup.options.breaker.failures_to_open = a.breaker_failures;
  if (!a.server.client_id.empty()) {
    if (Status valid = protocol::CheckClientId(a.server.client_id); !valid.ok())
      return Status::InvalidArgument("--client-id: " + valid.message());
  }
  if (a.offload_cost_per_ms > 0 || a.follow_server_price) {
    const char* flag = a.offload_cost_per_ms > 0 ? "--offload-cost-per-ms" : "--follow-server-price";
    if (!setup.decision) {
      return Status::InvalidArgument(std::string(flag) + " needs a --decision config");
    }
    if (a.learn) {
      return Status::InvalidArgument(std::string(flag) + " and --learn both set theta: choose one");
    }
    if (Status curve = PointForOffloadCost(*setup.decision, setup.decision->offload_cost).status();
        !curve.ok()) {
      return Status::InvalidArgument(std::string(flag) + ": " + curve.message() +
                                     " (recalibrate with hiedge calibrate)");
    }
    setup.options.offload_cost_per_ms = a.offload_cost_per_ms;
    setup.options.follow_server_price = a.follow_server_price;
    setup.options.cost_curve = setup.decision;
  }
  setup.options.offload_batch = a.offload_batch;
  setup.options.offload_batch_delay =
      std::chrono::microseconds(static_cast<int64_t>(a.offload_batch_delay_ms * 1000));
  return setup;
}

Status SaveLearnerState(const DeviceFlags& a, const DeviceRuntime& device) {
  if (a.learner_state.empty() || device.learner() == nullptr) return Status::Ok();
  return WriteTextFile(a.learner_state, device.learner()->ToJson());
}

std::string LearnerSummaryLine(const DeviceRuntime& device) {
  if (device.learner() == nullptr) return "";
  const FieldLearnerStats s = device.learner()->stats();
  char line[512];
  std::snprintf(
      line, sizeof line,
      "learner: theta %.4f, %llu audits (%llu extra offloads), %llu labelled, "
      "%llu from L-ML answers, %llu discarded, %llu resets; L-ML %s\n",
      s.theta, static_cast<unsigned long long>(s.audits),
      static_cast<unsigned long long>(s.extra_offloads),
      static_cast<unsigned long long>(s.labelled), static_cast<unsigned long long>(s.proxied),
      static_cast<unsigned long long>(s.discarded), static_cast<unsigned long long>(s.resets),
      s.remote_trusted ? "trusted" : "not trusted");
  return line;
}

int ExitCodeWithDrift(const Status& status, const DriftDetector* drift) {
  const int code = ExitCodeFor(status);
  if (code != 0 || drift == nullptr || !drift->drifted()) return code;
  std::fprintf(stderr,
               "drift detected: %llu alarm(s), the first at observation %llu (%s); the "
               "calibration no longer describes this stream (exit code %d)\n",
               static_cast<unsigned long long>(drift->alarm_count()),
               static_cast<unsigned long long>(drift->alarms()[0].sample),
               drift->alarms()[0].statistic.c_str(), kExitDriftDetected);
  return kExitDriftDetected;
}

Status CheckFallbackFraction(uint64_t fallbacks, uint64_t samples, double max_fraction) {
  const double fraction =
      samples == 0 ? 0 : static_cast<double>(fallbacks) / static_cast<double>(samples);
  if (fraction <= max_fraction) return Status::Ok();
  char text[256];
  std::snprintf(text, sizeof(text),
                "%.2f%% of samples fell back to the local answer (%llu of %llu), more than "
                "--max-fallback-fraction %.2f%%; causes above",
                100 * fraction, static_cast<unsigned long long>(fallbacks),
                static_cast<unsigned long long>(samples), 100 * max_fraction);
  return Status::Unavailable(text);
}

}  // namespace hiedge::cli
