// hiedge-device: the edge device alone. Links hiedge's core, engine and device targets
// only (no libtorch, no server, no prometheus; gRPC only in hiedge-device-grpc). Runs
// the S-ML on every sample of a stream, decides, offloads the unsure ones to an edge
// server and answers each sample exactly once, in bounded memory:
//   hiedge-device --data /usr/share/datasets/fashion-mnist        (idx test split)
//   hiedge-device --idx images.idx3[.gz] [--labels labels.idx1[.gz]]
//   producer | hiedge-device --raw - --raw-format u8              (stdin, unlabelled)
// Answers go to <out>/answers.csv as they are made (or stdout with --answers -); the
// summary to <out>/summary.json and stdout (stderr with --answers -). Exit codes: 0 ok,
// 1 error, 2 bad usage, 3 a file is missing, 4 corrupt data, 5 too many samples fell
// back or the server refused the credentials, 6 drift detected.
#include <CLI/CLI.hpp>
#include <filesystem>
#include <optional>

#include "cli.h"
#include "device_stream.h"
#ifdef HIEDGE_DEVICE_GRPC
#include "hiedge/protocol/grpc_library.h"
#endif

int main(int argc, char** argv) {
  using namespace hiedge::cli;
  SetCommandLine(argc, argv);
#ifdef HIEDGE_DEVICE_GRPC
  // Destroyed last: gRPC shuts down (joining its threads) before the exit handlers.
  const hiedge::GrpcLibraryScope grpc_library;
#endif
  CLI::App app{
      "hiedge-device: hierarchical inference on the device. Runs the S-ML on every sample of a "
      "stream and offloads the unsure ones to an edge server."};
  hiedge::cli::AddVersionFlag(app, argc > 0 ? std::filesystem::path(argv[0]).filename().string()
                                            : std::string("hiedge-device"));
  DeviceStreamArgs a;
  AddDeviceStreamFlags(&app, &a);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  std::optional<hiedge::DriftDetector> drift;
  const hiedge::Status status = RunDeviceStream(a, &drift);
  return ExitCodeWithDrift(status, drift ? &*drift : nullptr);
}
