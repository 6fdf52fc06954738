// Every test binary that may use gRPC holds the gRPC library for the whole run and shuts
// it down blocking after the last test, before the process's exit handlers run (see
// hiedge/protocol/grpc_library.h: otherwise a TLS test can pass and the binary still abort at
// exit).
#include <gtest/gtest.h>

#include <memory>

#include "hiedge/protocol/grpc_library.h"

namespace hiedge::testing {
namespace {

class GrpcLibraryEnvironment : public ::testing::Environment {
 public:
  void SetUp() override { library_ = std::make_unique<GrpcLibraryScope>(); }
  void TearDown() override { library_.reset(); }

 private:
  std::unique_ptr<GrpcLibraryScope> library_;
};

// gtest owns registered environments; registration happens before main() runs the tests.
[[maybe_unused]] ::testing::Environment* const kGrpcLibraryEnvironment =
    ::testing::AddGlobalTestEnvironment(new GrpcLibraryEnvironment);

}  // namespace
}  // namespace hiedge::testing
