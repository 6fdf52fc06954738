// The REST transport under crowds: hundreds of concurrent clients, slow (drip)
// connections, keep-alive clients competing for few workers. Every client must be
// served, none reset, and slow clients must not delay anyone else.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

#include "hiedge/device/device.h"
#include "hiedge/server/http_server.h"
#include "testing/eventually.h"
#include "testing/fake_backend.h"
#include "testing/raw_http.h"

namespace hiedge {
namespace {

using testing::RawConnection;
using Clock = std::chrono::steady_clock;

OffloadOptions RestLink(int port) {
  OffloadOptions link;
  link.host = "127.0.0.1";
  link.port = port;
  link.model = "fake";
  link.max_retries = 0;  // A reset or refusal must show up as a failure here.
  return link;
}

FloatTensor Image(float first_pixel) {
  FloatTensor x{{1, 1, 4, 4}, std::vector<float>(16, 0.0f)};
  x.data[0] = first_pixel;
  return x;
}

TEST(HostileLoadTest, TwoHundredFiftySixConcurrentRestClientsAreAllServed) {
  constexpr int kClients = 256;
  constexpr int kRequests = 40;
  InferenceService service;
  ASSERT_TRUE(service.AddModel("fake", std::make_shared<testing::FakeBackend>()).ok());
  HttpServer server(&service, {.host = "127.0.0.1", .port = 0});
  ASSERT_TRUE(server.Start().ok());
  std::atomic<int> failed{0}, wrong{0};
  std::vector<int> served(kClients, 0);
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      auto client = MakeOffloadClient(RestLink(server.port()));
      for (int i = 0; i < kRequests; ++i) {
        const float v = static_cast<float>((c + i) % 10) / 10.0f + 0.05f;
        auto r = client->Infer(Image(v), std::chrono::seconds(30));
        if (!r.ok()) {
          if (failed.fetch_add(1) < 3) ADD_FAILURE() << r.status().ToString();
          continue;
        }
        const auto top = std::max_element(r->data.begin(), r->data.end()) - r->data.begin();
        if (top != testing::FakeBackend::ClassOf(v)) wrong.fetch_add(1);
        ++served[c];
      }
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(failed.load(), 0) << "resets, refusals or timeouts";
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(*std::min_element(served.begin(), served.end()), kRequests) << "a client was starved";
}

TEST(HostileLoadTest, SixtyFourDripConnectionsDoNotDelayAFreshClient) {
  InferenceService service;
  ASSERT_TRUE(service.AddModel("fake", std::make_shared<testing::FakeBackend>()).ok());
  HttpServer server(&service, {.host = "127.0.0.1", .port = 0});
  ASSERT_TRUE(server.Start().ok());
  // 64 connections that each send an unfinished request and keep dripping header lines.
  std::vector<std::unique_ptr<RawConnection>> drips;
  for (int i = 0; i < 64; ++i) {
    drips.push_back(std::make_unique<RawConnection>(server.port()));
    ASSERT_TRUE(drips.back()->Send("POST /v2/models/fake/infer HTTP/1.1\r\nHost: t\r\n"));
  }
  ASSERT_TRUE(testing::Eventually([&] { return server.open_connections() == 64; }));
  std::atomic<bool> stop{false};
  std::thread dripper([&] {
    while (!stop.load()) {
      for (auto& d : drips) d->Send("X-Drip: 1\r\n");
      std::this_thread::sleep_for(std::chrono::milliseconds(20));  // The drip rate, not a sync.
    }
  });
  std::vector<double> health_ms, infer_ms;
  for (int round = 0; round < 7; ++round) {
    auto t0 = Clock::now();
    {
      RawConnection fresh(server.port());
      fresh.Send("GET /v2/health/ready HTTP/1.1\r\nHost: t\r\n\r\n");
      EXPECT_EQ(RawConnection::StatusOf(fresh.ReadResponse()), 200);
    }
    health_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    t0 = Clock::now();
    auto client = MakeOffloadClient(RestLink(server.port()));
    EXPECT_TRUE(client->Infer(Image(0.35f), std::chrono::seconds(5)).ok());
    infer_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
  }
  stop.store(true);
  dripper.join();
  std::sort(health_ms.begin(), health_ms.end());
  std::sort(infer_ms.begin(), infer_ms.end());
  std::fprintf(stderr,
               "with 64 drip connections: fresh health p50 %.2f ms max %.2f ms, "
               "fresh infer p50 %.2f ms max %.2f ms\n",
               health_ms[3], health_ms.back(), infer_ms[3], infer_ms.back());
  // Medians hold the 100 ms bound; the maxima only guard against stalls (a shared CI
  // machine can deschedule any one round).
  EXPECT_LT(health_ms[3], 100.0);
  EXPECT_LT(infer_ms[3], 100.0);
  EXPECT_LT(health_ms.back(), 1000.0);
  EXPECT_LT(infer_ms.back(), 1000.0);
}

TEST(HostileLoadTest, KeepAliveClientsShareFewWorkersFairly) {
  constexpr int kClients = 32;
  constexpr int kTotal = 1600;
  InferenceService service;
  ASSERT_TRUE(service
                  .AddModel("fake", std::make_shared<testing::FakeBackend>(
                                        "fake", 3.0f, std::chrono::milliseconds(1)))
                  .ok());
  HttpServerOptions options{.host = "127.0.0.1", .port = 0};
  options.worker_threads = 4;  // Far fewer workers than keep-alive clients.
  HttpServer server(&service, options);
  ASSERT_TRUE(server.Start().ok());
  std::atomic<int> total{0}, failed{0};
  std::vector<int> served(kClients, 0);
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      auto client = MakeOffloadClient(RestLink(server.port()));
      while (total.load() < kTotal) {
        if (client->Infer(Image(0.5f), std::chrono::seconds(30)).ok()) {
          ++served[c];
          total.fetch_add(1);
        } else {
          failed.fetch_add(1);
        }
      }
    });
  }
  for (auto& t : clients) t.join();
  const auto [least, most] = std::minmax_element(served.begin(), served.end());
  std::fprintf(stderr, "keep-alive fairness: %d clients, %d answers, least %d, most %d\n", kClients,
               total.load(), *least, *most);
  EXPECT_EQ(failed.load(), 0);
  // Requests queue in arrival order: every client gets a near-equal share (~50 each).
  EXPECT_GE(*least, kTotal / kClients / 4);
}

}  // namespace
}  // namespace hiedge
