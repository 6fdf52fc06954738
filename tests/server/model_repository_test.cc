#include "hiedge/server/model_repository.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <future>

#include "common/files.h"
#include "testing/eventually.h"
#include "testing/fake_backend.h"
#include "testing/temp_dir.h"

namespace hiedge {
namespace {

namespace fs = std::filesystem;

// A card file holding "logit <x>" loads as a FakeBackend with that confidence logit;
// anything else fails to load, like a corrupt model file.
Result<std::unique_ptr<InferenceBackend>> FakeLoader(const std::string& card_path) {
  HIEDGE_ASSIGN_OR_RETURN(std::string text, ReadTextFile(card_path));
  if (text.rfind("logit ", 0) != 0) return Status::DataLoss("not a model: " + text.substr(0, 20));
  return std::unique_ptr<InferenceBackend>(std::make_unique<testing::FakeBackend>(
      "fake", std::stof(text.substr(6)), std::chrono::milliseconds(50)));
}

class ModelRepositoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    temp_ = std::make_unique<testing::ScopedTempDir>("repo");
    root_ = temp_->path();
  }
  void TearDown() override { temp_.reset(); }

  void Write(const std::string& relative, const std::string& text) {
    ASSERT_TRUE(WriteTextFile((root_ / relative).string(), text).ok());
  }
  // The logit the served model puts on its predicted class.
  float ServedLogit(const std::string& model) {
    protocol::InferRequest request;
    request.inputs.push_back({"input", "FP32", {1, 1, 4, 4}, std::vector<float>(16, 0.0f), {}});
    auto response = service_.Infer(model, "", request);
    EXPECT_TRUE(response.ok()) << response.status().ToString();
    if (!response.ok()) return -1;
    return response->outputs[0].data[0];
  }
  std::string Version(const std::string& model) {
    auto m = service_.GetModelMetadata(model, "");
    return m.ok() ? m->versions[0] : "";
  }
  std::vector<ModelRepository::Event> Poll(ModelRepository& repo) {
    auto events = repo.Poll();
    EXPECT_TRUE(events.ok()) << events.status().ToString();
    return events.ok() ? *events : std::vector<ModelRepository::Event>{};
  }

  std::unique_ptr<testing::ScopedTempDir> temp_;
  fs::path root_;
  InferenceService service_;
};

constexpr const char* kBatchedConfig = R"(
name: "lml"
platform: "hiedge"
backend: "hiedge"           # Triton fields hiedge ignores are accepted:
instance_group [ { kind: KIND_GPU, count: 2, gpus: [ 0 ] } ]
optimization { cuda { graphs: true } }
parameters { key: "note" value: { string_value: "x" } }
max_batch_size: 64
dynamic_batching {
  preferred_batch_size: [ 16, 32 ]
  max_queue_delay_microseconds: 500
  default_queue_policy { max_queue_size: 128 }
}
)";

TEST_F(ModelRepositoryTest, LoadsLatestVersionOfEveryModelWithItsBatching) {
  Write("lml/config.pbtxt", kBatchedConfig);
  Write("lml/1/model.json", "logit 1");
  Write("lml/2/model.json", "logit 2");
  Write("lml/notes/model.json", "ignored: not a version folder");
  Write("sml/config.pbtxt", "default_model_filename: \"sml.json\"\n");
  Write("sml/7/sml.json", "logit 7");
  Write("not_a_model/readme.txt", "no config.pbtxt: skipped");
  ModelRepository repo(root_.string(), &service_, FakeLoader);
  auto events = Poll(repo);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].model, "lml");
  EXPECT_EQ(events[0].action, "loaded") << events[0].status.ToString();
  EXPECT_EQ(events[0].version, "2");
  EXPECT_EQ(service_.ModelNames(), (std::vector<std::string>{"lml", "sml"}));
  EXPECT_EQ(ServedLogit("lml"), 2.0f);
  EXPECT_EQ(ServedLogit("sml"), 7.0f);
  EXPECT_EQ(Version("sml"), "7");
  auto config = service_.GetModelConfig("lml", "");
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->batching.max_batch_size, 64);
  EXPECT_EQ(config->batching.preferred_batch_sizes, (std::vector<int64_t>{16, 32}));
  EXPECT_EQ(config->batching.max_queue_delay_us, 500);
  EXPECT_EQ(config->batching.max_queue_size, 128u);
  EXPECT_EQ(config->batching.instances, 1) << "GPU instance groups are ignored";
  EXPECT_FALSE(service_.GetModelConfig("sml", "")->batching.enabled());
  EXPECT_TRUE(Poll(repo).empty()) << "nothing changed, nothing reloaded";
}

TEST_F(ModelRepositoryTest, SpecificVersionPolicyPicksTheHighestListed) {
  Write("m/config.pbtxt", "version_policy { specific { versions: [1, 3] } }");
  for (int v : {1, 2, 3, 4})
    Write("m/" + std::to_string(v) + "/model.json", "logit " + std::to_string(v));
  ModelRepository repo(root_.string(), &service_, FakeLoader);
  Poll(repo);
  EXPECT_EQ(Version("m"), "3");
}

// Holds every Infer until the gate opens: a request provably in flight.
class GatedBackend final : public InferenceBackend {
 public:
  GatedBackend(std::unique_ptr<InferenceBackend> inner, std::shared_future<void> gate)
      : inner_(std::move(inner)), gate_(std::move(gate)) {}
  const ModelInfo& info() const override { return inner_->info(); }
  Result<FloatTensor> Infer(const FloatTensor& input) override {
    gate_.wait();
    return inner_->Infer(input);
  }
  Result<std::vector<FloatTensor>> InferAllExits(const FloatTensor& input) override {
    gate_.wait();
    return inner_->InferAllExits(input);
  }
  Result<FloatTensor> RunStages(const FloatTensor& input, int first, int last) override {
    gate_.wait();
    return inner_->RunStages(input, first, last);
  }

 private:
  std::unique_ptr<InferenceBackend> inner_;
  std::shared_future<void> gate_;
};

TEST_F(ModelRepositoryTest, ReloadSwapsAtomicallyWhileRequestsRun) {
  std::promise<void> open;
  const std::shared_future<void> gate = open.get_future().share();
  int loads = 0;
  // Version 1 (the first load) waits at the gate; later loads do not.
  auto loader = [&](const std::string& path) -> Result<std::unique_ptr<InferenceBackend>> {
    HIEDGE_ASSIGN_OR_RETURN(auto fake, FakeLoader(path));
    if (loads++ > 0) return fake;
    return std::unique_ptr<InferenceBackend>(std::make_unique<GatedBackend>(std::move(fake), gate));
  };
  Write("m/config.pbtxt", "");
  Write("m/1/model.json", "logit 1");
  ModelRepository repo(root_.string(), &service_, loader);
  Poll(repo);
  // A request running on version 1, held there ...
  auto in_flight = std::async(std::launch::async, [this] { return ServedLogit("m"); });
  ASSERT_TRUE(
      testing::Eventually([&] { return service_.GetModelStats("m")->pending_requests == 1; }));
  Write("m/2/model.json", "logit 2");
  auto events = Poll(repo);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].action, "reloaded");
  EXPECT_EQ(events[0].version, "2");
  // ... while new requests already see version 2,
  EXPECT_EQ(ServedLogit("m"), 2.0f);
  EXPECT_EQ(Version("m"), "2");
  EXPECT_EQ(in_flight.wait_for(std::chrono::seconds(0)), std::future_status::timeout);
  // ... and it finishes on the old model once released.
  open.set_value();
  EXPECT_EQ(in_flight.get(), 1.0f);
}

TEST_F(ModelRepositoryTest, BrokenVersionLinksAreNamedNotSilentlySkipped) {
  Write("m/config.pbtxt", "");
  fs::create_directory_symlink(root_ / "nowhere", root_ / "m" / "1");
  ModelRepository repo(root_.string(), &service_, FakeLoader);
  auto events = Poll(repo);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].action, "failed");
  EXPECT_NE(events[0].status.message().find("version 1 is a symbolic link to"), std::string::npos)
      << events[0].status.ToString();
  EXPECT_TRUE(service_.ModelNames().empty());
}

TEST_F(ModelRepositoryTest, ConfigDimsAreCheckedAgainstTheModel) {
  Write("m/config.pbtxt", R"(
max_batch_size: 8
input [ { name: "input", data_type: TYPE_FP32, dims: [ 1, 4, 4 ] } ]
output [ { name: "logits", data_type: TYPE_FP32, dims: [ 10 ] } ])");
  Write("m/1/model.json", "logit 1");
  Write("bad/config.pbtxt", R"(
max_batch_size: 8
input [ { name: "input", data_type: TYPE_FP32, dims: [ 3, 32, 32 ] } ])");
  Write("bad/1/model.json", "logit 1");
  Write("classes/config.pbtxt", R"(
output [ { name: "logits", data_type: TYPE_FP32, dims: [ 7 ] } ])");
  Write("classes/1/model.json", "logit 1");
  ModelRepository repo(root_.string(), &service_, FakeLoader);
  auto events = Poll(repo);
  ASSERT_EQ(events.size(), 3u);  // Sorted: bad, classes, m.
  EXPECT_EQ(events[0].action, "failed");
  EXPECT_NE(events[0].status.message().find("input dims [3,32,32] differ"), std::string::npos)
      << events[0].status.ToString();
  EXPECT_EQ(events[1].action, "failed");
  EXPECT_NE(events[1].status.message().find("differ from the model's 10 classes"),
            std::string::npos)
      << events[1].status.ToString();
  EXPECT_EQ(events[2].action, "loaded") << events[2].status.ToString();
  EXPECT_EQ(service_.ModelNames(), std::vector<std::string>{"m"});
}

// config.pbtxt's tensor names are never silently replaced: a hiedge card served under
// other names than the config gives is refused with what to do.
TEST_F(ModelRepositoryTest, ConfigTensorNamesMustBeTheServedOnes) {
  Write("renamed/config.pbtxt", R"(
input [ { name: "INPUT__0", data_type: TYPE_FP32, dims: [ 1, 4, 4 ] } ]
output [ { name: "logits", data_type: TYPE_FP32, dims: [ 10 ] } ])");
  Write("renamed/1/model.json", "logit 1");
  ModelRepository repo(root_.string(), &service_, FakeLoader);
  auto events = Poll(repo);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].action, "failed");
  EXPECT_NE(events[0].status.message().find("'INPUT__0'"), std::string::npos)
      << events[0].status.ToString();
  EXPECT_NE(events[0].status.message().find("input_name"), std::string::npos);
}

TEST_F(ModelRepositoryTest, CpuInstanceGroupsSetHowManyBatchesRunAtOnce) {
  Write("two/config.pbtxt", R"(
max_batch_size: 8
dynamic_batching { max_queue_delay_microseconds: 100 }
instance_group [ { kind: KIND_CPU, count: 2 }, { kind: KIND_GPU, count: 4 }, { kind: KIND_AUTO } ])");
  Write("two/1/model.json", "logit 1");
  Write("many/config.pbtxt", "instance_group [ { kind: KIND_CPU, count: 17 } ]");
  Write("many/1/model.json", "logit 1");
  ModelRepository repo(root_.string(), &service_, FakeLoader);
  auto events = Poll(repo);
  ASSERT_EQ(events.size(), 2u);  // Sorted: many, two.
  EXPECT_EQ(events[0].action, "failed");
  EXPECT_NE(events[0].status.message().find("17 CPU instances; at most 16"), std::string::npos)
      << events[0].status.ToString();
  EXPECT_EQ(events[1].action, "loaded") << events[1].status.ToString();
  auto config = service_.GetModelConfig("two", "");
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->batching.instances, 3);  // 2 CPU + 1 AUTO (count defaults to 1).
  EXPECT_EQ(ServedLogit("two"), 1.0f);
}

TEST_F(ModelRepositoryTest, FailedLoadKeepsServingTheOldModel) {
  Write("m/config.pbtxt", "max_batch_size: 4");
  Write("m/1/model.json", "logit 1");
  ModelRepository repo(root_.string(), &service_, FakeLoader);
  Poll(repo);

  Write("m/2/model.json", "corrupt weights");
  auto events = Poll(repo);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].action, "failed");
  EXPECT_EQ(events[0].version, "1") << "still serving version 1";
  EXPECT_EQ(events[0].status.code(), StatusCode::kDataLoss);
  EXPECT_NE(events[0].status.message().find("m/2/model.json"), std::string::npos)
      << events[0].status.message();
  EXPECT_EQ(ServedLogit("m"), 1.0f);

  Write("m/config.pbtxt", "max_batch_size: {{{");
  events = Poll(repo);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(events[0].status.message().find("line 1"), std::string::npos)
      << events[0].status.message();
  EXPECT_EQ(ServedLogit("m"), 1.0f);

  Write("m/config.pbtxt", "name: \"other\"");
  events = Poll(repo);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].action, "failed");
  EXPECT_EQ(ServedLogit("m"), 1.0f);

  // Fixed: the next scan loads it.
  Write("m/config.pbtxt", "");
  Write("m/2/model.json", "logit 2");
  events = Poll(repo);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].action, "reloaded");
  EXPECT_EQ(ServedLogit("m"), 2.0f);
}

TEST_F(ModelRepositoryTest, RemovedModelIsUnloadedAndModelWithoutVersionsFails) {
  Write("a/config.pbtxt", "");
  Write("a/1/model.json", "logit 1");
  Write("b/config.pbtxt", "");
  ModelRepository repo(root_.string(), &service_, FakeLoader);
  auto events = Poll(repo);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].model, "b");
  EXPECT_EQ(events[1].action, "failed");
  EXPECT_EQ(events[1].status.code(), StatusCode::kNotFound);
  fs::remove_all(root_ / "a");
  events = Poll(repo);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].action, "unloaded");
  EXPECT_TRUE(service_.ModelNames().empty());
}

TEST(ModelRepositoryRootTest, MissingRootIsNotFound) {
  InferenceService service;
  ModelRepository repo("/nonexistent/repository", &service, FakeLoader);
  EXPECT_EQ(repo.Poll().status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace hiedge

namespace hiedge {
namespace {

// The repository shipped in model_repository/ (copies of the shipped models, so it
// survives `cp -r`) loads with the real loader, with the batching its config.pbtxt
// asks for.
TEST(ShippedModelRepositoryTest, ServesLmlAndSmlWithConfiguredBatching) {
  InferenceService service;
  ModelRepository repo(std::string(HIEDGE_SOURCE_DIR) + "/model_repository", &service);
  auto events = repo.Poll();
  ASSERT_TRUE(events.ok()) << events.status().ToString();
  ASSERT_EQ(events->size(), 2u);
  for (const auto& e : *events)
    EXPECT_TRUE(e.status.ok()) << e.model << ": " << e.status.ToString();
  EXPECT_EQ(service.ModelNames(), (std::vector<std::string>{"lml", "sml"}));
  auto lml = service.GetModelConfig("lml", "1");
  ASSERT_TRUE(lml.ok()) << lml.status().ToString();
  EXPECT_EQ(lml->info.architecture, "vgg");
  EXPECT_TRUE(lml->batching.enabled());
  EXPECT_EQ(lml->batching.max_batch_size, 64);
  auto sml = service.GetModelConfig("sml", "1");
  ASSERT_TRUE(sml.ok());
  EXPECT_FALSE(sml->batching.enabled());
}

// The shipped repository holds regular files, byte-identical to models/ (no link out of
// the repository that a copy would break).
TEST(ShippedModelRepositoryTest, HoldsCopiesOfTheShippedModelsNotLinks) {
  const fs::path source(HIEDGE_SOURCE_DIR);
  for (const char* model : {"sml", "lml"}) {
    for (const char* ext : {".json", ".onnx", ".pt"}) {
      const fs::path copy = source / "model_repository" / model / "1" / (std::string(model) + ext);
      const fs::path original = source / "models" / (std::string(model) + ext);
      EXPECT_FALSE(fs::is_symlink(copy)) << copy;
      auto a = ReadTextFile(copy.string());
      auto b = ReadTextFile(original.string());
      ASSERT_TRUE(a.ok() && b.ok()) << copy;
      EXPECT_TRUE(*a == *b) << copy << " differs from " << original << "; copy it again";
    }
  }
}

}  // namespace
}  // namespace hiedge
