#include "device_stream.h"

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "hiedge/device/device_summary.h"
#include "hiedge/data/sample_stream.h"

namespace hiedge::cli {
namespace {

Result<std::unique_ptr<SampleStream>> OpenStream(const DeviceStreamArgs& a,
                                                 const std::vector<int64_t>& model_shape) {
  const int sources = !a.data_dir.empty() + !a.idx_images.empty() + !a.raw.empty();
  if (sources > 1 || (sources == 0 && a.default_data_dir.empty())) {
    return Status::InvalidArgument("give exactly one of --data, --idx or --raw");
  }
  if (sources == 0 || !a.data_dir.empty()) {
    ImageFit fit;
    if (model_shape.size() == 3) fit = {model_shape[0], model_shape[1], model_shape[2]};
    return OpenDataTestStream(a.data_dir.empty() ? a.default_data_dir : a.data_dir, fit);
  }
  if (!a.idx_images.empty()) return OpenIdxStream(a.idx_images, a.idx_labels);
  HIEDGE_ASSIGN_OR_RETURN(RawFormat format, ParseRawFormat(a.raw_format));
  return OpenRawStream(a.raw, model_shape, format);
}

// Writes the answers and, with `labeller`, gives the device the true label of every
// audited sample (the application's part in learning in the field).
Status WriteAnswers(std::FILE* out, const std::vector<DeviceRuntime::Answer>& answers,
                    const std::vector<int>& labels, uint64_t first_sample, DeviceSummary* summary,
                    DeviceRuntime* labeller) {
  for (const DeviceRuntime::Answer& a : answers) {
    const int label = labels[a.sample - first_sample];
    summary->Add(a.record, label);
    std::fprintf(out, "%zu,%d,%d,%.6f,%d,%d,%d,%.4f,%.6f,%d,%d,%d\n", a.sample, label,
                 a.record.final_prediction, a.record.confidence, a.record.offloaded ? 1 : 0,
                 a.record.remote_prediction, a.record.fallback ? 1 : 0, a.record.total_ms(),
                 a.record.score, a.record.exit, a.record.audit ? 1 : 0,
                 a.record.drift_alarm ? 1 : 0);
    if (labeller != nullptr && a.record.audit && label >= 0)
      HIEDGE_RETURN_IF_ERROR(labeller->Feedback(a.sample, label));
  }
  if (std::ferror(out)) return Status::IoError("cannot write the answers");
  return Status::Ok();
}

Status RunStream(const DeviceStreamArgs& a, std::optional<DriftDetector>* drift) {
  HIEDGE_ASSIGN_OR_RETURN(DeviceSetup setup, SetUpDevice(a.device));
  const std::vector<int64_t>& shape = setup.local->info().input_shape;
  HIEDGE_ASSIGN_OR_RETURN(std::unique_ptr<SampleStream> stream, OpenStream(a, shape));
  if (stream->sample_shape() != shape) {
    return Status::InvalidArgument("the data's samples are " +
                                   ShapeToString(stream->sample_shape()) + " but " +
                                   a.device.local + " takes " + ShapeToString(shape));
  }
  std::error_code ec;
  std::filesystem::create_directories(a.device.out, ec);
  const std::string answers_path = a.answers.empty() ? a.device.out + "/answers.csv" : a.answers;
  std::FILE* out = answers_path == "-" ? stdout : std::fopen(answers_path.c_str(), "w");
  if (out == nullptr) return Status::IoError("cannot write " + answers_path);
  // Line-buffered: each answer reaches the file or pipe as it is made, so a crash loses
  // at most the answer being written, and a reader of --answers - sees each at once.
  std::setvbuf(out, nullptr, _IOLBF, 1 << 16);
  std::fprintf(out,
               "sample,label,prediction,confidence,offloaded,remote_prediction,fallback,"
               "total_ms,score,exit,audit,drift_alarm\n");
  DeviceRuntime device(setup.local.get(), setup.client.get(), setup.options);
  DeviceRuntime* labeller = a.device.label_audits ? &device : nullptr;
  DeviceSummary summary;
  summary.policy = setup.options.policy.Describe();
  summary.drift_detection = device.drift() != nullptr;
  if (setup.decision && !setup.decision->confidence_accuracy.empty()) {
    HIEDGE_ASSIGN_OR_RETURN(AccuracyEstimator estimate,
                            AccuracyEstimator::Create(setup.decision->confidence_accuracy,
                                                      a.estimate_window));
    summary.estimate.emplace(std::move(estimate));
  }
  // Labels of samples not yet answered (the offload batch holds at most a few).
  std::vector<int> pending_labels;
  uint64_t first_pending = 0, next = 0;
  std::vector<float> image;
  int label = -1;
  Status status;
  bool stop_reported = false;
  while (a.limit == 0 || next < a.limit) {
    auto more = stream->Next(&image, &label);
    if (!more.ok()) {
      status = more.status();
      break;
    }
    if (!*more) break;
    pending_labels.push_back(label);
    auto answers = device.Submit(next++, TensorView{image, shape});
    if (!answers.ok()) {
      status = answers.status();
      break;
    }
    status = WriteAnswers(out, *answers, pending_labels, first_pending, &summary, labeller);
    if (!status.ok()) break;
    if (!stop_reported && !device.offload_stopped().ok()) {
      std::fprintf(stderr, "%s; answering on the device from now on\n",
                   device.offload_stopped().ToString().c_str());
      stop_reported = true;
    }
    if (device.queued() == 0) {
      first_pending = next;
      pending_labels.clear();
      // A checkpoint holds exactly the samples answered so far (none is queued), so a
      // restart after a crash counts each sample once.
      if (a.device.checkpoint_every > 0 && next % a.device.checkpoint_every == 0) {
        status = SaveLearnerState(a.device, device);
        if (!status.ok()) break;
      }
    }
    if (a.progress_every > 0 && next % a.progress_every == 0) {
      std::fprintf(stderr, "%llu samples, %.2f%% offloaded, %llu fell back\n",
                   static_cast<unsigned long long>(next), 100 * summary.offload_rate(),
                   static_cast<unsigned long long>(summary.fallbacks));
    }
  }
  // Every submitted sample is answered, also when the stream broke off.
  Status flushed =
      WriteAnswers(out, device.Flush(), pending_labels, first_pending, &summary, labeller);
  if (out != stdout) std::fclose(out);
  HIEDGE_RETURN_IF_ERROR(status);
  HIEDGE_RETURN_IF_ERROR(flushed);
  if (device.drift() != nullptr) {
    summary.drift = device.drift()->alarms();
    summary.drift_episodes = device.drift()->episodes();
    *drift = *device.drift();
  }
  summary.ignored_prices = device.ignored_prices();
  if (setup.options.offload_cost_per_ms > 0 || setup.options.follow_server_price)
    summary.final_offload_beta = device.offload_beta();
  // With --answers - stdout is the CSV: the text summary goes to stderr instead.
  std::fprintf(answers_path == "-" ? stderr : stdout, "%s%s", summary.ToText(setup.beta).c_str(),
               LearnerSummaryLine(device).c_str());
  HIEDGE_RETURN_IF_ERROR(SaveLearnerState(a.device, device));
  std::ofstream json(a.device.out + "/summary.json");
  json << summary.ToJson(setup.beta);
  if (!json) return Status::IoError("cannot write " + a.device.out + "/summary.json");
  std::fprintf(stderr, "wrote %s and %s/summary.json\n", answers_path.c_str(),
               a.device.out.c_str());
  HIEDGE_RETURN_IF_ERROR(device.offload_stopped());
  return CheckFallbackFraction(summary.fallbacks, summary.samples, a.device.max_fallback_fraction);
}

}  // namespace

void AddDeviceStreamFlags(CLI::App* command, DeviceStreamArgs* a) {
  AddDeviceFlags(command, &a->device);
  command->add_option("--data", a->data_dir,
                      "Data set (test split): an idx folder or an image folder (both streamed), "
                      "CIFAR-10 batches or a manifest .json (docs/data.md)" +
                          (a->default_data_dir.empty()
                               ? std::string()
                               : "; default " + a->default_data_dir));
  command->add_option("--idx", a->idx_images, "An idx3 image file (gzip or plain), streamed");
  command->add_option("--labels", a->idx_labels, "Its idx1 label file (optional)");
  command->add_option("--raw", a->raw, "Headerless samples from a file or - (stdin), unlabelled");
  command->add_option("--raw-format", a->raw_format, "f32 (little-endian floats) or u8 (bytes / 255)")
      ->check(CLI::IsMember({"f32", "u8"}))
      ->capture_default_str();
  command->add_option("--limit", a->limit, "Samples (0 = the whole stream)")->capture_default_str();
  command->add_option("--answers", a->answers,
                      "Answers CSV (default <out>/answers.csv; - = stdout)");
  command->add_option("--estimate-window", a->estimate_window,
                      "Samples per window of the label-free S-ML accuracy estimate in summary.json "
                      "(needs a --decision config with a reliability table)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  command->add_option("--progress-every", a->progress_every,
                      "Print a progress line to stderr every N samples (0 = never)")
      ->capture_default_str();
}

Status RunDeviceStream(const DeviceStreamArgs& args, std::optional<DriftDetector>* drift) {
  return RunStream(args, drift);
}

}  // namespace hiedge::cli
