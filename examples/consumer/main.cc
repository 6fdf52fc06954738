// A device program against the installed hiedge: 28x28 byte images on stdin, the S-ML
// on each, offload of the unsure ones to an edge server, one answer per line.
//   consumer CARD THETA [HOST:PORT] < images.u8
#include <hiedge/device/device.h>
#include <hiedge/engine/model.h>

#include <cstdio>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  if (argc < 3) return std::fprintf(stderr, "usage: consumer CARD THETA [HOST:PORT]\n"), 2;
  auto model = hiedge::LoadModel(argv[1]);
  if (!model.ok()) return std::fprintf(stderr, "%s\n", model.status().ToString().c_str()), 1;
  hiedge::OffloadOptions server;
  if (argc > 3) {
    const std::string endpoint = argv[3];
    server.host = endpoint.substr(0, endpoint.rfind(':'));
    server.port = std::stoi(endpoint.substr(endpoint.rfind(':') + 1));
  }
  auto client = hiedge::MakeOffloadClient(server);
  hiedge::DeviceRuntime device(model->get(), argc > 3 ? client.get() : nullptr,
                               {.policy = hiedge::OffloadPolicy::MaxSoftmax(std::stod(argv[2]))});
  std::vector<unsigned char> bytes(28 * 28);
  std::vector<float> image(bytes.size());
  while (std::fread(bytes.data(), 1, bytes.size(), stdin) == bytes.size()) {
    for (size_t i = 0; i < bytes.size(); ++i) image[i] = bytes[i] / 255.0f;
    auto answer = device.Process({image, {1, 28, 28}});
    if (!answer.ok()) return std::fprintf(stderr, "%s\n", answer.status().ToString().c_str()), 1;
    std::printf("%d %s\n", answer->final_prediction, answer->offloaded ? "offloaded" : "local");
  }
  return 0;
}
