// The `hiedge` Python module (pybind11): the device side of hierarchical inference
// from Python: load a model (XNNPACK on ONNX), run it on NumPy batches, decide with an
// offload policy (a bare θ or a calibrated decision config), and run the device loop
// against an edge server over REST. Links hiedge_device only: no libtorch, no server.
//
// Errors: a hiedge Status becomes ValueError (InvalidArgument, wrong shapes),
// FileNotFoundError (NotFound), or RuntimeError (anything else), with its message.
// Inference and the device loop release the GIL.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cmath>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "hiedge/decision/calibrate.h"
#include "hiedge/data/data.h"
#include "hiedge/decision/decision.h"
#include "hiedge/decision/decision_config.h"
#include "hiedge/device/device.h"
#include "hiedge/engine/model.h"
#include "hiedge/common/model_card.h"
#include "hiedge/decision/offload_policy.h"

namespace py = pybind11;

namespace hiedge::python {
namespace {

using FloatArray = py::array_t<float, py::array::c_style | py::array::forcecast>;

// The one place a Status becomes a Python exception.
[[noreturn]] void Raise(const Status& status) {
  const std::string message = status.message();
  switch (status.code()) {
    case StatusCode::kInvalidArgument:
      throw py::value_error(message);
    case StatusCode::kNotFound:
      PyErr_SetString(PyExc_FileNotFoundError, message.c_str());
      throw py::error_already_set();
    default:
      throw std::runtime_error(status.ToString());
  }
}
void Check(const Status& status) {
  if (!status.ok()) Raise(status);
}
template <typename T>
T Take(Result<T> result) {
  if (!result.ok()) Raise(result.status());
  return std::move(*result);
}

std::vector<int64_t> ShapeOf(const FloatArray& array) {
  return std::vector<int64_t>(array.shape(), array.shape() + array.ndim());
}

// The tensor's own buffer handed to NumPy (no copy): a capsule owns the vector.
FloatArray ToArray(FloatTensor tensor) {
  auto* owned = new std::vector<float>(std::move(tensor.data));
  py::capsule release(owned, [](void* p) { delete static_cast<std::vector<float>*>(p); });
  return FloatArray(std::vector<py::ssize_t>(tensor.shape.begin(), tensor.shape.end()),
                    owned->data(), release);
}

FloatTensor ToTensor(const FloatArray& array) {
  return {ShapeOf(array), std::vector<float>(array.data(), array.data() + array.size())};
}

template <typename T>
std::vector<T> ToVector(const py::array_t<T, py::array::c_style | py::array::forcecast>& a) {
  return std::vector<T>(a.data(), a.data() + a.size());
}

// A loaded model. Infer is thread-safe in C++; Python callers may share one.
class Model {
 public:
  explicit Model(std::shared_ptr<InferenceBackend> backend) : backend_(std::move(backend)) {}

  // [N, *input_shape] floats -> [N, classes] logits.
  FloatArray Infer(const FloatArray& batch) const {
    FloatTensor input = ToTensor(batch);
    Result<FloatTensor> out = Status::Internal("not run");
    {
      py::gil_scoped_release unlocked;
      out = backend_->Infer(input);
    }
    return ToArray(Take(std::move(out)));
  }
  const ModelInfo& info() const { return backend_->info(); }
  const std::shared_ptr<InferenceBackend>& backend() const { return backend_; }

 private:
  std::shared_ptr<InferenceBackend> backend_;
};

Model LoadModelFile(const std::string& card, const std::string& backend, int threads) {
  if (threads < 1) throw py::value_error("threads must be at least 1");
  return Model(std::shared_ptr<InferenceBackend>(Take(LoadModel(card, {backend, threads}))));
}

// Per row of [N, classes] logits: the policy's decisions as arrays.
py::dict DecideRows(const OffloadPolicy& policy, const FloatArray& logits) {
  if (logits.ndim() != 2 || logits.shape(1) < 1) {
    throw py::value_error("logits must be a 2-D array [samples, classes]");
  }
  const auto rows = static_cast<size_t>(logits.shape(0));
  const auto classes = static_cast<size_t>(logits.shape(1));
  py::array_t<int32_t> prediction(rows);
  py::array_t<float> confidence(rows), score(rows);
  py::array_t<bool> offload(rows);
  for (size_t r = 0; r < rows; ++r) {
    const PolicyDecision d = policy.Decide({logits.data() + r * classes, classes});
    prediction.mutable_at(r) = d.prediction;
    confidence.mutable_at(r) = d.confidence;
    score.mutable_at(r) = d.score;
    offload.mutable_at(r) = d.offload;
  }
  py::dict out;
  out["prediction"] = prediction;
  out["confidence"] = confidence;
  out["score"] = score;
  out["offload"] = offload;
  return out;
}

OffloadPolicy PolicyFromConfigFile(const std::string& path) {
  const DecisionConfig config = Take(ReadDecisionConfig(path));
  return Take(OffloadPolicy::FromConfig(config));
}

// One answer of the device as a dict.
py::dict AnswerDict(size_t sample, const SampleRecord& s) {
  py::dict d;
  d["sample"] = sample;
  d["prediction"] = s.final_prediction;
  d["confidence"] = s.confidence;
  d["score"] = s.score;
  d["offloaded"] = s.offloaded;
  d["remote_prediction"] = s.remote_prediction;
  d["fallback"] = s.fallback;
  d["exit"] = s.exit;
  d["audit"] = s.audit;
  d["total_ms"] = s.total_ms();
  return d;
}

// A split of a data set as (images [N, C, H, W] floats in [0, 1], labels [N]): "test",
// or hiedge's fixed "train"/"validation" split of the training data (the one
// `hiedge calibrate` uses).
py::tuple LoadSplit(const std::string& data_dir, const std::string& split) {
  Dataset data;
  if (split == "test") {
    data = Take(LoadFashionMnist(data_dir, Split::kTest));
  } else if (split == "train" || split == "validation") {
    TrainValidation parts = SplitTrainValidation(Take(LoadFashionMnist(data_dir, Split::kTrain)));
    data = split == "train" ? std::move(parts.train) : std::move(parts.validation);
  } else {
    throw py::value_error("split must be test, train or validation, not '" + split + "'");
  }
  const auto n = static_cast<py::ssize_t>(data.size());
  FloatArray images({n, static_cast<py::ssize_t>(data.channels),
                     static_cast<py::ssize_t>(data.height), static_cast<py::ssize_t>(data.width)});
  for (size_t i = 0; i < data.size(); ++i) {
    std::copy(data.image(i), data.image(i) + data.image_elements(),
              images.mutable_data() + i * data.image_elements());
  }
  py::array_t<int32_t> labels(n);
  for (size_t i = 0; i < data.size(); ++i) labels.mutable_at(i) = data.labels[i];
  return py::make_tuple(images, labels);
}

using IntArray = py::array_t<int32_t, py::array::c_style | py::array::forcecast>;

// hiedge calibrate's fit on NumPy arrays: S-ML logits [N, C], labels [N] and the L-ML's
// predictions [N] on the same (validation) samples.
DecisionConfig Calibrate(const FloatArray& logits, const IntArray& labels,
                         const IntArray& remote_predictions, double beta,
                         const std::string& module, const std::string& objective,
                         double target_accuracy, bool fit_temperature) {
  if (logits.ndim() != 2 || labels.ndim() != 1 || remote_predictions.ndim() != 1 ||
      labels.shape(0) != logits.shape(0) || remote_predictions.shape(0) != logits.shape(0)) {
    throw py::value_error("logits must be [N, classes], labels and remote_predictions [N]");
  }
  LabelledLogits split;
  split.local_logits = {logits.data(), static_cast<size_t>(logits.size())};
  split.classes = static_cast<int>(logits.shape(1));
  split.labels = {labels.data(), static_cast<size_t>(labels.size())};
  split.remote_predictions = {remote_predictions.data(), static_cast<size_t>(remote_predictions.size())};
  CalibrationOptions options;
  options.module = module;
  options.objective = objective;
  options.cost.offload_cost = beta;
  options.target_accuracy = target_accuracy;
  options.fit_temperature = fit_temperature;
  return Take(CalibratePolicy(split, options));
}

// Seed 000's θ*: the threshold on `confidence` minimising errors + β · offloads.
py::dict OptimalThresholdOf(const FloatArray& confidence, const py::array_t<bool>& local_correct,
                            const py::array_t<bool>& remote_correct, double beta) {
  if (confidence.ndim() != 1 || local_correct.size() != confidence.size() ||
      remote_correct.size() != confidence.size()) {
    throw py::value_error("confidence, local_correct and remote_correct must be [N]");
  }
  std::vector<SampleOutcome> samples(static_cast<size_t>(confidence.size()));
  for (size_t i = 0; i < samples.size(); ++i) {
    samples[i] = {confidence.data()[i], local_correct.data()[i], remote_correct.data()[i]};
  }
  const ThresholdPoint best = OptimalThreshold(samples, CostModel{beta, 1.0});
  py::dict d;
  d["theta"] = best.theta;
  d["offload_fraction"] = best.offload_fraction();
  d["accuracy"] = best.accuracy();
  d["mean_cost"] = best.mean_cost();
  return d;
}

// An Open Inference Protocol client of one server (REST).
class Client {
 public:
  Client(const std::string& server, const std::string& model, int deadline_ms)
      : deadline_(std::chrono::milliseconds(deadline_ms)) {
    if (deadline_ms < 1) throw py::value_error("deadline_ms must be at least 1");
    OffloadOptions options;
    Check(ParseHostPort(server, &options));
    options.model = model;
    client_ = MakeOffloadClient(options);
  }
  FloatArray Infer(const FloatArray& batch) {
    FloatTensor input = ToTensor(batch);
    Result<FloatTensor> out = Status::Internal("not run");
    {
      py::gil_scoped_release unlocked;
      out = client_->Infer(input, deadline_);
    }
    return ToArray(Take(std::move(out)));
  }

 private:
  std::chrono::microseconds deadline_;
  std::unique_ptr<OffloadClient> client_;
};

// The device loop over a batch of samples: the S-ML on each, the policy, offloads to
// one REST server (none: every offload falls back to the S-ML's answer, flagged).
class Device {
 public:
  Device(const std::string& model, const std::string& server, std::optional<double> theta,
         const std::string& decision, const std::string& remote_model, int deadline_ms,
         bool force, size_t offload_batch)
      : local_(LoadModelFile(model, "", 1)) {
    DeviceOptions options;
    options.policy = OffloadPolicy::MaxSoftmax(theta.value_or(0.9));
    if (!decision.empty()) {
      const DecisionConfig config = Take(ReadDecisionConfig(decision));
      if (!force) Check(CheckCalibratedFor(config, Take(ModelIdentity(model))));
      options.policy = Take(OffloadPolicy::FromConfig(config));
      if (theta) options.policy = options.policy.WithTheta(*theta);
    }
    if (deadline_ms < 1) throw py::value_error("deadline_ms must be at least 1");
    options.offload_deadline = std::chrono::milliseconds(deadline_ms);
    if (offload_batch < 1) throw py::value_error("offload_batch must be at least 1");
    options.offload_batch = offload_batch;
    if (!server.empty()) {
      OffloadOptions offload;
      Check(ParseHostPort(server, &offload));
      offload.model = remote_model;
      client_ = MakeOffloadClient(offload);
    }
    runtime_ = std::make_unique<DeviceRuntime>(local_.backend().get(), client_.get(),
                                               std::move(options));
  }

  // [N, *input_shape] samples -> per-sample arrays of the answers, in order.
  py::dict Run(const FloatArray& samples) {
    const std::vector<int64_t>& shape = local_.info().input_shape;
    if (samples.ndim() != static_cast<py::ssize_t>(shape.size() + 1) ||
        !std::equal(shape.begin(), shape.end(), samples.shape() + 1)) {
      throw py::value_error("samples must be [N, " + ShapeToString(shape).substr(1) +
                            " for model " + local_.info().name);
    }
    const auto rows = static_cast<size_t>(samples.shape(0));
    const size_t per_sample = rows == 0 ? 0 : static_cast<size_t>(samples.size()) / rows;
    std::vector<SampleRecord> records;
    records.reserve(rows);
    Status failed;
    {
      py::gil_scoped_release unlocked;
      for (size_t r = 0; r < rows && failed.ok(); ++r) {
        auto record = runtime_->Process(
            TensorView{{samples.data() + r * per_sample, per_sample}, shape});
        if (record.ok()) {
          records.push_back(std::move(*record));
        } else {
          failed = record.status();
        }
      }
    }
    Check(failed);
    py::array_t<int32_t> prediction(rows), remote(rows), exit(rows);
    py::array_t<float> confidence(rows), score(rows), total_ms(rows);
    py::array_t<bool> offloaded(rows), fallback(rows);
    for (size_t r = 0; r < rows; ++r) {
      const SampleRecord& s = records[r];
      prediction.mutable_at(r) = s.final_prediction;
      remote.mutable_at(r) = s.remote_prediction;
      exit.mutable_at(r) = s.exit;
      confidence.mutable_at(r) = s.confidence;
      score.mutable_at(r) = s.score;
      total_ms.mutable_at(r) = static_cast<float>(s.total_ms());
      offloaded.mutable_at(r) = s.offloaded;
      fallback.mutable_at(r) = s.fallback;
    }
    py::dict out;
    out["prediction"] = prediction;
    out["confidence"] = confidence;
    out["score"] = score;
    out["offloaded"] = offloaded;
    out["remote_prediction"] = remote;
    out["fallback"] = fallback;
    out["exit"] = exit;
    out["total_ms"] = total_ms;
    return out;
  }
  const OffloadPolicy& policy() const { return runtime_->options().policy; }

  // Streaming: one sample in, the answers that became final out (DeviceRuntime::Submit).
  py::list Submit(size_t sample, const FloatArray& one) {
    const std::vector<int64_t>& shape = local_.info().input_shape;
    if (static_cast<int64_t>(one.size()) != FloatTensor::NumElements(shape)) {
      throw py::value_error("a sample of model " + local_.info().name + " is " +
                            ShapeToString(shape));
    }
    Result<std::vector<DeviceRuntime::Answer>> answers = Status::Internal("not run");
    {
      py::gil_scoped_release unlocked;
      answers = runtime_->Submit(sample, TensorView{{one.data(), static_cast<size_t>(one.size())}, shape});
    }
    return ToList(Take(std::move(answers)));
  }
  py::list Flush() {
    std::vector<DeviceRuntime::Answer> answers;
    {
      py::gil_scoped_release unlocked;
      answers = runtime_->Flush();
    }
    return ToList(answers);
  }
  // The true label of an audited sample, for the field learner.
  void Feedback(size_t sample, int label) { Check(runtime_->Feedback(sample, label)); }

 private:
  static py::list ToList(const std::vector<DeviceRuntime::Answer>& answers) {
    py::list out;
    for (const auto& a : answers) out.append(AnswerDict(a.sample, a.record));
    return out;
  }

  Model local_;
  std::unique_ptr<OffloadClient> client_;  // Null without a server.
  std::unique_ptr<DeviceRuntime> runtime_;
};

}  // namespace
}  // namespace hiedge::python

PYBIND11_MODULE(hiedge, m) {
  using namespace hiedge;
  using namespace hiedge::python;
  m.doc() = "hiedge: hierarchical inference at the network edge (the device side).";
  m.attr("__version__") = HIEDGE_VERSION_STRING;

  py::class_<Model>(m, "Model", "A model loaded from its card (hiedge's ONNX engine).")
      .def("infer", &Model::Infer, py::arg("batch"),
           "Logits [N, classes] of a float batch [N, *input_shape].")
      .def_property_readonly("name", [](const Model& s) { return s.info().name; })
      .def_property_readonly("input_shape", [](const Model& s) { return s.info().input_shape; })
      .def_property_readonly("num_classes", [](const Model& s) { return s.info().num_classes; })
      .def_property_readonly("macs_per_sample",
                             [](const Model& s) { return s.info().macs_per_sample; });
  m.def("load_model", &LoadModelFile, py::arg("card"), py::arg("backend") = "",
        py::arg("threads") = 1,
        "Loads the model a card (models/<name>.json) describes; backend '' picks the best.");

  py::class_<OffloadPolicy>(m, "OffloadPolicy",
                            "Offload iff the policy's score on the S-ML's logits < theta.")
      .def_static("max_softmax", &OffloadPolicy::MaxSoftmax, py::arg("theta"),
                  "Seed 000's rule: offload iff the max softmax probability < theta.")
      .def_static("from_config", &PolicyFromConfigFile, py::arg("path"),
                  "The policy of a decision config written by `hiedge calibrate`.")
      .def("decide", &DecideRows, py::arg("logits"),
           "Per row of [N, classes] logits: prediction, confidence, score, offload.")
      .def("with_theta", &OffloadPolicy::WithTheta, py::arg("theta"))
      .def_property_readonly("theta", &OffloadPolicy::theta)
      .def_property_readonly("temperature", &OffloadPolicy::temperature)
      .def("__repr__", &OffloadPolicy::Describe);

  py::class_<DecisionConfig>(m, "DecisionConfig",
                             "A calibrated decision: module, temperature, theta (hiedge calibrate).")
      .def_static("load", [](const std::string& path) { return Take(ReadDecisionConfig(path)); },
                  py::arg("path"))
      .def("save", [](const DecisionConfig& c, const std::string& path) {
        Check(WriteDecisionConfig(c, path));
      }, py::arg("path"))
      .def("to_json", &DecisionConfig::ToJson)
      .def_property_readonly("policy", [](const DecisionConfig& c) {
        return Take(OffloadPolicy::FromConfig(c));
      })
      .def_readonly("module", &DecisionConfig::module)
      .def_readonly("temperature", &DecisionConfig::temperature)
      .def_readonly("theta", &DecisionConfig::theta);
  m.def("calibrate", &Calibrate, py::arg("logits"), py::arg("labels"),
        py::arg("remote_predictions"), py::arg("beta") = 0.1, py::arg("module") = "max_softmax",
        py::arg("objective") = "min_cost", py::arg("target_accuracy") = 0.0,
        py::arg("fit_temperature") = false,
        "Fits a decision on validation logits as `hiedge calibrate` does.");
  m.def("optimal_threshold", &OptimalThresholdOf, py::arg("confidence"),
        py::arg("local_correct"), py::arg("remote_correct"), py::arg("beta") = 0.1,
        "Seed 000's theta*: the confidence threshold minimising errors + beta * offloads.");
  m.def("load_split", &LoadSplit, py::arg("data_dir") = std::string(kFashionMnistDir),
        py::arg("split") = "test",
        "(images, labels) of an idx data set: test, or hiedge's train/validation split.");

  py::class_<Client>(m, "Client", "An Open Inference Protocol client of one server (REST).")
      .def(py::init<const std::string&, const std::string&, int>(), py::arg("server"),
           py::arg("model") = "lml", py::arg("deadline_ms") = 2000)
      .def("infer", &Client::Infer, py::arg("batch"), "The server's logits for a batch.");

  py::class_<Device>(m, "Device",
                     "The device loop: S-ML, decision, offload to an edge server (REST).")
      .def(py::init<const std::string&, const std::string&, std::optional<double>,
                    const std::string&, const std::string&, int, bool, size_t>(),
           py::arg("model"), py::arg("server") = "", py::arg("theta") = py::none(),
           py::arg("decision") = "", py::arg("remote_model") = "lml",
           py::arg("deadline_ms") = 500, py::arg("force") = false, py::arg("offload_batch") = 1)
      .def("submit", &Device::Submit, py::arg("sample"), py::arg("data"),
           "Streaming: one sample in; the answers that became final out (dicts).")
      .def("flush", &Device::Flush, "Sends what is queued; its answers.")
      .def("feedback", &Device::Feedback, py::arg("sample"), py::arg("label"),
           "The true label of an audited sample (the field learner).")
      .def("run", &Device::Run, py::arg("samples"),
           "Answers a batch [N, *input_shape], one sample at a time: prediction, confidence, "
           "score, offloaded, remote_prediction, fallback, exit, total_ms.")
      .def_property_readonly("policy", &Device::policy);
}
