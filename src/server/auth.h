// Access control shared by the REST and gRPC transports, so both open and guard the
// same operations. Pure: no I/O.
#pragma once

#include <string_view>

#include "hiedge/common/status.h"

namespace hiedge {

// The Open Inference Protocol operations, as both transports name them.
enum class ServerOperation {
  kServerLive,
  kServerReady,
  kModelReady,
  kServerMetadata,
  kModelMetadata,
  kModelConfig,
  kModelStatistics,
  kModelInfer,
  kMetrics,
};

// Operations served without a token even when a token is configured: the liveness and
// readiness probes (server live, server ready, model ready), on REST and gRPC alike.
bool IsOpenOperation(ServerOperation operation);

// Checks an "Authorization" header value against `token`. The scheme is matched
// case-insensitively (RFC 7235 §2.1), then one or more spaces, then the token, which is
// compared in time independent of where it differs. An empty `token` accepts anything.
// Unauthenticated("missing or wrong bearer token") otherwise.
Status CheckBearerToken(std::string_view authorization, std::string_view token);

// Both: OK for an open operation, else CheckBearerToken.
Status Authorize(ServerOperation operation, std::string_view authorization, std::string_view token);

}  // namespace hiedge
