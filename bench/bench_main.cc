// hiedge benchmarks: S-ML batch-1 latency (with its arithmetic limit), L-ML throughput
// by batch size, decision cost per sample, and end-to-end HI over loopback HTTP.
// Run through scripts/bench.sh, which records the machine and settings beside results.
#include <arpa/inet.h>
#include <benchmark/benchmark.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <latch>
#include <memory>
#include <thread>

#include "hiedge/data/data.h"
#include "hiedge/decision/decision.h"
#include "hiedge/device/device.h"
#include "hiedge/device/device_grpc.h"
#include "hiedge/server/http_server.h"
#include "hiedge/engine/model.h"
#include "hiedge/torch/train.h"
#include "testing/both_servers.h"

namespace hiedge {
namespace {

const std::string kModels = std::string(HIEDGE_SOURCE_DIR) + "/models";

std::shared_ptr<InferenceBackend> Model(const std::string& name) {
  static std::map<std::string, std::shared_ptr<InferenceBackend>> cache;
  auto& slot = cache[name];
  if (!slot) {
    auto loaded = LoadModel(kModels + "/" + name + ".json");
    if (!loaded.ok()) {
      std::fprintf(stderr, "bench: %s\n", loaded.status().ToString().c_str());
      std::exit(1);
    }
    slot = std::move(loaded).value();
  }
  return slot;
}

const Dataset& TestImages() {
  static const Dataset test = [] {
    auto ds = LoadFashionMnist(kFashionMnistDir, Split::kTest);
    if (!ds.ok()) {
      std::fprintf(stderr, "bench: %s\n", ds.status().ToString().c_str());
      std::exit(1);
    }
    return Head(*ds, 2048);
  }();
  return test;
}

FloatTensor Batch(size_t start, int64_t n) {
  const Dataset& d = TestImages();
  FloatTensor t{{n, d.channels, d.height, d.width}, {}};
  for (int64_t i = 0; i < n; ++i) {
    const float* image = d.image((start + static_cast<size_t>(i)) % d.size());
    t.data.insert(t.data.end(), image, image + d.image_elements());
  }
  return t;
}

double PeakMacsPerSecond() {
  static const double peak = MeasurePeakMacsPerSecond();
  return peak;
}

void BM_SmlBatch1Latency(benchmark::State& state) {
  auto model = Model("sml");
  const FloatTensor one = Batch(0, 1);
  for (auto _ : state) benchmark::DoNotOptimize(model->Infer(one));
  const double macs = static_cast<double>(model->info().macs_per_sample);
  state.counters["MACs"] = macs;
  state.counters["peak_GMACs"] = PeakMacsPerSecond() / 1e9;
  // The arithmetic limit: the time the MACs alone take at the measured GEMM peak.
  state.counters["limit_us"] = macs / PeakMacsPerSecond() * 1e6;
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SmlBatch1Latency)->Unit(benchmark::kMicrosecond)->MinTime(2.0)->UseRealTime();

void BM_LmlThroughput(benchmark::State& state) {
  auto model = Model("lml");
  const FloatTensor batch = Batch(0, state.range(0));
  for (auto _ : state) benchmark::DoNotOptimize(model->Infer(batch));
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.counters["MACs"] = static_cast<double>(model->info().macs_per_sample);
}
BENCHMARK(BM_LmlThroughput)
    ->Arg(1)
    ->Arg(32)
    ->Arg(256)
    ->Unit(benchmark::kMillisecond)
    ->MinTime(2.0)
    ->UseRealTime();

void BM_DecisionPerSample(benchmark::State& state) {
  const std::vector<float> logits = {0.3f, -1.2f, 4.1f, 0.0f, 2.2f, -0.7f, 1.9f, 0.4f, -2.0f, 3.8f};
  for (auto _ : state) {
    const std::vector<float> p = Softmax(logits.data(), logits.size());
    const ArgMax top = FindArgMax(p.data(), p.size());
    benchmark::DoNotOptimize(ShouldOffload(top.value, 0.9));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DecisionPerSample)->Unit(benchmark::kNanosecond);

// The device loop over loopback at a fixed theta (arg 0, in thousandths), over REST or
// gRPC (arg 1: 0 / 1), sending unsure samples one by one or in batches (arg 2: samples
// per offload request, 2 ms delay bound); offload fraction reported.
void BM_EndToEndHiLoopback(benchmark::State& state);

// A model with no compute, so a round trip measures the server: HTTP, protocol
// encode/decode, validation and bookkeeping.
class NoComputeBackend final : public InferenceBackend {
 public:
  NoComputeBackend() {
    info_.name = "none";
    info_.input_shape = {1, 28, 28};
    info_.num_classes = 10;
  }
  const ModelInfo& info() const override { return info_; }
  Result<FloatTensor> Infer(const FloatTensor& input) override {
    return FloatTensor{{input.shape[0], 10},
                       std::vector<float>(static_cast<size_t>(input.shape[0]) * 10)};
  }
  Result<std::vector<FloatTensor>> InferAllExits(const FloatTensor& input) override {
    HIEDGE_ASSIGN_OR_RETURN(FloatTensor y, Infer(input));
    return std::vector<FloatTensor>{y};
  }
  Result<FloatTensor> RunStages(const FloatTensor& input, int, int) override {
    return Infer(input);
  }

 private:
  ModelInfo info_;
};

// Both transports over one service; arg 0 of the benchmark picks the client's.
using testing::BothServers;

// Keep-alive connections for the whole run, `workers` of them served at once.
HttpServerOptions HttpWorkers(int workers) {
  HttpServerOptions o;
  o.worker_threads = workers;
  return o;
}

std::string TransportArg(const benchmark::State& state, int index) {
  return state.range(index) == 1 ? "grpc" : "rest";
}

void BM_EndToEndHiLoopback(benchmark::State& state) {
  InferenceService service;
  if (!service.AddModel("lml", Model("lml")).ok()) state.SkipWithError("add model");
  BothServers servers(&service, HttpWorkers(16));
  if (!servers.ok()) state.SkipWithError("server start");
  auto client = servers.Client(TransportArg(state, 1), "lml");
  auto local = Model("sml");
  DeviceOptions options;
  options.policy = OffloadPolicy::MaxSoftmax(static_cast<double>(state.range(0)) / 1000.0);
  options.offload_deadline = std::chrono::seconds(5);
  options.offload_batch = static_cast<size_t>(state.range(2));
  options.offload_batch_delay = std::chrono::milliseconds(2);
  DeviceRuntime device(local.get(), client.get(), options);
  size_t i = 0, answered = 0, offloaded = 0, fallbacks = 0;
  auto count = [&](const std::vector<DeviceRuntime::Answer>& answers) {
    for (const auto& a : answers) {
      ++answered;
      offloaded += a.record.offloaded ? 1 : 0;
      fallbacks += a.record.fallback ? 1 : 0;
    }
  };
  for (auto _ : state) {
    auto answers = device.Submit(i, TestImages().sample(i % TestImages().size()));
    ++i;
    if (answers.ok()) count(*answers);
  }
  count(device.Flush());
  state.SetItemsProcessed(state.iterations());
  state.counters["offload_fraction"] =
      static_cast<double>(offloaded) / static_cast<double>(answered);
  state.counters["fallbacks"] = static_cast<double>(fallbacks);
  state.counters["unanswered"] = static_cast<double>(i - answered);
}
BENCHMARK(BM_EndToEndHiLoopback)
    ->ArgNames({"theta_milli", "grpc", "offload_batch"})
    ->Args({0, 0, 1})
    ->Args({800, 0, 1})
    ->Args({800, 1, 1})
    ->Args({800, 0, 8})
    ->Args({800, 1, 8})
    ->Args({2000, 0, 1})
    ->Args({2000, 1, 1})
    ->Args({2000, 1, 8})
    ->Unit(benchmark::kMicrosecond)
    ->MinTime(3.0)
    ->UseRealTime();

// A bare TCP ping-pong over loopback: the client sends `request_bytes`, a thread
// answers `reply_bytes`. The round trip every transport pays before any protocol work.
class LoopbackEcho {
 public:
  LoopbackEcho(size_t request_bytes, size_t reply_bytes)
      : request_(request_bytes, 'x'), reply_(reply_bytes, 'y') {
    listener_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    bind(listener_, reinterpret_cast<sockaddr*>(&addr), len);
    listen(listener_, 1);
    getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len);
    client_ = socket(AF_INET, SOCK_STREAM, 0);
    ok_ = connect(client_, reinterpret_cast<sockaddr*>(&addr), len) == 0;
    const int one = 1;
    setsockopt(client_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    server_ = std::thread([this, one] {
      const int conn = accept(listener_, nullptr, nullptr);
      setsockopt(conn, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
      std::string buffer(request_.size(), 0);
      while (ReadAll(conn, buffer.data(), buffer.size())) {
        if (!WriteAll(conn, reply_.data(), reply_.size())) break;
      }
      close(conn);
    });
  }
  ~LoopbackEcho() {
    shutdown(client_, SHUT_RDWR);
    close(client_);
    server_.join();
    close(listener_);
  }
  bool RoundTrip() {
    std::string buffer(reply_.size(), 0);
    return ok_ && WriteAll(client_, request_.data(), request_.size()) &&
           ReadAll(client_, buffer.data(), buffer.size());
  }

 private:
  static bool ReadAll(int fd, char* p, size_t n) {
    while (n > 0) {
      const ssize_t got = read(fd, p, n);
      if (got <= 0) return false;
      p += got;
      n -= static_cast<size_t>(got);
    }
    return true;
  }
  static bool WriteAll(int fd, const char* p, size_t n) {
    while (n > 0) {
      const ssize_t put = write(fd, p, n);
      if (put <= 0) return false;
      p += put;
      n -= static_cast<size_t>(put);
    }
    return true;
  }
  std::string request_, reply_;
  int listener_ = -1, client_ = -1;
  bool ok_ = false;
  std::thread server_;
};

double MicrosSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start)
      .count();
}

// Server overhead beyond model compute: one client, batch 1, binary/raw tensors, a
// model with no compute. Each iteration also times a bare TCP ping-pong of the same
// size, interleaved so both see the same machine load; overhead_p50_us = p50 round
// trip minus p50 ping-pong is the protocol + queue + bookkeeping cost of both sides.
// Arg: 0 = REST, 1 = gRPC.
void BM_ServerOverhead(benchmark::State& state) {
  InferenceService service;
  if (!service.AddModel("none", std::make_shared<NoComputeBackend>()).ok())
    state.SkipWithError("add");
  BothServers servers(&service, HttpWorkers(16));
  if (!servers.ok()) state.SkipWithError("server start");
  auto client = servers.Client(TransportArg(state, 0), "none");
  const FloatTensor x = Batch(0, 1);
  LoopbackEcho echo(x.data.size() * sizeof(float) + 200, 200);
  std::vector<double> round_trips_us, echo_us;
  for (auto _ : state) {
    auto start = std::chrono::steady_clock::now();
    if (!client->Infer(x, std::chrono::seconds(5)).ok()) state.SkipWithError("request failed");
    round_trips_us.push_back(MicrosSince(start));
    start = std::chrono::steady_clock::now();
    if (!echo.RoundTrip()) state.SkipWithError("echo failed");
    echo_us.push_back(MicrosSince(start));
  }
  std::sort(round_trips_us.begin(), round_trips_us.end());
  std::sort(echo_us.begin(), echo_us.end());
  state.counters["p50_us"] = round_trips_us[round_trips_us.size() / 2];
  state.counters["p99_us"] = round_trips_us[round_trips_us.size() * 99 / 100];
  state.counters["tcp_p50_us"] = echo_us[echo_us.size() / 2];
  state.counters["overhead_p50_us"] =
      round_trips_us[round_trips_us.size() / 2] - echo_us[echo_us.size() / 2];
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ServerOverhead)
    ->ArgName("grpc")
    ->Arg(0)
    ->Arg(1)
    ->Unit(benchmark::kMicrosecond)
    ->MinTime(2.0)
    ->UseRealTime();

// Images per second of 64 concurrent clients, each sending kRequests batch-1 requests
// to `model` through `servers` over `transport`; failures counted.
double ServedThroughput(const BothServers& servers, const std::string& transport, size_t* failures) {
  constexpr int kClients = 64;
  constexpr int kRequests = 30;
  std::vector<std::thread> clients;
  std::atomic<size_t> failed{0};
  // Every client connects and is answered once before the clock starts: the figure
  // is serving throughput, not a burst of 64 connects (httplib's accept backlog is 5,
  // and a dropped SYN costs the kernel's 1 s retransmit).
  std::latch connected(kClients), go(1);
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      auto client = servers.Client(transport, "lml");
      if (!client->Infer(Batch(static_cast<size_t>(c), 1), std::chrono::seconds(30)).ok()) {
        failed.fetch_add(1);
      }
      connected.count_down();
      go.wait();
      for (int i = 0; i < kRequests; ++i) {
        const FloatTensor x = Batch(static_cast<size_t>(c * kRequests + i), 1);
        auto r = client->Infer(x, std::chrono::seconds(30));
        if (!r.ok() && failed.fetch_add(1) == 0) {
          std::fprintf(stderr, "bench: first failure: %s\n", r.status().ToString().c_str());
        }
      }
    });
  }
  connected.wait();
  const auto start = std::chrono::steady_clock::now();
  go.count_down();
  for (auto& t : clients) t.join();
  *failures += failed.load();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return kClients * kRequests / seconds;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// The L-ML three ways, interleaved in rounds so that all three see the same machine
// load (this machine is shared): offline at batch 256, behind the server without
// batching, and behind the server with dynamic batching (max 64 rows, 5 ms), each
// served case with 64 concurrent batch-1 clients over REST or gRPC (arg 0 / 1).
// Reports the medians over the rounds and the two ratios the issue asks about.
void BM_LmlServingRatios(benchmark::State& state) {
  const std::string transport = TransportArg(state, 0);
  std::shared_ptr<InferenceBackend> model = Model("lml");
  InferenceService unbatched_service, batched_service;
  BatchingConfig batching;
  batching.max_batch_size = 64;
  batching.max_queue_delay_us = 5000;
  if (!unbatched_service.AddModel("lml", model).ok() ||
      !batched_service.AddModel("lml", model, batching).ok()) {
    state.SkipWithError("add model");
  }
  BothServers unbatched(&unbatched_service, HttpWorkers(72)),
      batched(&batched_service, HttpWorkers(72));
  if (!unbatched.ok() || !batched.ok()) state.SkipWithError("server start");
  const FloatTensor offline_batch = Batch(0, 256);
  std::vector<double> offline, plain, dynamic;
  size_t failures = 0;
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    int runs = 0;
    while (runs < 8) {
      benchmark::DoNotOptimize(model->Infer(offline_batch));
      ++runs;
    }
    offline.push_back(
        256.0 * runs /
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    plain.push_back(ServedThroughput(unbatched, transport, &failures));
    dynamic.push_back(ServedThroughput(batched, transport, &failures));
  }
  state.counters["offline256_per_s"] = Median(offline);
  state.counters["unbatched_per_s"] = Median(plain);
  state.counters["batched_per_s"] = Median(dynamic);
  state.counters["batched_vs_offline"] = Median(dynamic) / Median(offline);
  state.counters["batched_vs_unbatched"] = Median(dynamic) / Median(plain);
  state.counters["failures"] = static_cast<double>(failures);
}
BENCHMARK(BM_LmlServingRatios)
    ->ArgName("grpc")
    ->Arg(0)
    ->Arg(1)
    ->Iterations(5)
    ->Unit(benchmark::kMillisecond);

// The batched server (max 64 rows, 5 ms) on each engine with 1 or 2 intra-op threads
// per model, 64 concurrent batch-1 REST clients, interleaved round by round with the XNNPACK
// engine's offline batch-256 throughput: the server-on-new-engine vs server-on-libtorch ratio the
// engine issue asks about, and how close the batched server comes to the best offline figure.
void BM_ServerEngineRatio(benchmark::State& state) {
  const std::string card = kModels + "/lml.json";
  const int threads = static_cast<int>(state.range(0));  // Intra-op threads of the model.
  auto xnn = LoadModel(card, {"xnnpack", threads});
  auto torch = LoadModel(card, {"torch", threads});
  if (!xnn.ok() || !torch.ok()) {
    state.SkipWithError("load");
    return;
  }
  std::shared_ptr<InferenceBackend> xnn_model = std::move(*xnn), torch_model = std::move(*torch);
  BatchingConfig batching;
  batching.max_batch_size = 64;
  batching.max_queue_delay_us = 5000;
  batching.instances = static_cast<int>(state.range(1));
  InferenceService xnn_service, torch_service, empty_service;
  if (!xnn_service.AddModel("lml", xnn_model, batching).ok() ||
      !torch_service.AddModel("lml", torch_model, batching).ok() ||
      !empty_service.AddModel("lml", std::make_shared<NoComputeBackend>(), batching).ok()) {
    state.SkipWithError("add model");
    return;
  }
  BothServers xnn_server(&xnn_service, HttpWorkers(72)),
      torch_server(&torch_service, HttpWorkers(72)), empty_server(&empty_service, HttpWorkers(72));
  const FloatTensor offline_batch = Batch(0, 256), batch64 = Batch(0, 64);
  std::vector<double> offline, on_xnn, on_torch, on_empty, xnn64, torch64;
  size_t failures = 0;
  int round = 0;
  auto images_per_s = [](InferenceBackend& model, const FloatTensor& x, int runs) {
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < runs; ++i) benchmark::DoNotOptimize(model.Infer(x));
    return static_cast<double>(x.shape[0]) * runs /
           std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  for (auto _ : state) {
    offline.push_back(images_per_s(*xnn_model, offline_batch, 4));
    xnn64.push_back(images_per_s(*xnn_model, batch64, 16));
    torch64.push_back(images_per_s(*torch_model, batch64, 8));
    on_empty.push_back(ServedThroughput(empty_server, "rest", &failures));
    // Alternate which engine goes first.
    if (round++ % 2 == 0) {
      on_xnn.push_back(ServedThroughput(xnn_server, "rest", &failures));
      on_torch.push_back(ServedThroughput(torch_server, "rest", &failures));
    } else {
      on_torch.push_back(ServedThroughput(torch_server, "rest", &failures));
      on_xnn.push_back(ServedThroughput(xnn_server, "rest", &failures));
    }
  }
  state.counters["xnnpack_offline256_per_s"] = Median(offline);
  state.counters["server_xnnpack_per_s"] = Median(on_xnn);
  state.counters["server_libtorch_per_s"] = Median(on_torch);
  state.counters["server_xnnpack_vs_libtorch"] = Median(on_xnn) / Median(on_torch);
  state.counters["server_xnnpack_vs_offline"] = Median(on_xnn) / Median(offline);
  // The same server and clients with a model that computes nothing: what the clients,
  // REST and the batcher alone sustain on this machine's 2 cores. If that work and the
  // model's (`threads` cores busy per batch of 64) add up in core seconds per image, the
  // served ratio is about `additive_bound`, whatever the engine.
  const double cores = 2.0, transport_core_s = cores / Median(on_empty);
  state.counters["server_nocompute_per_s"] = Median(on_empty);
  state.counters["xnnpack_offline64_per_s"] = Median(xnn64);
  state.counters["libtorch_offline64_per_s"] = Median(torch64);
  state.counters["offline64_xnnpack_vs_libtorch"] = Median(xnn64) / Median(torch64);
  state.counters["additive_bound"] =
      (transport_core_s + threads / Median(torch64)) / (transport_core_s + threads / Median(xnn64));
  state.counters["failures"] = static_cast<double>(failures);
}
BENCHMARK(BM_ServerEngineRatio)
    ->ArgNames({"threads", "instances"})
    ->Args({1, 1})
    ->Args({1, 2})
    ->Args({2, 1})
    ->Args({2, 2})
    ->Iterations(5)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace hiedge

BENCHMARK_MAIN();
