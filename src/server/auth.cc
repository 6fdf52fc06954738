#include "server/auth.h"

#include <cctype>
#include <cstddef>

namespace hiedge {
namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

// Compares in time that depends only on the lengths, never on where the bytes differ.
bool ConstantTimeEquals(std::string_view a, std::string_view expected) {
  unsigned char diff = a.size() == expected.size() ? 0 : 1;
  for (size_t i = 0; i < expected.size(); ++i) {
    const unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    diff |= static_cast<unsigned char>(x ^ static_cast<unsigned char>(expected[i]));
  }
  return diff == 0;
}

}  // namespace

bool IsOpenOperation(ServerOperation operation) {
  return operation == ServerOperation::kServerLive || operation == ServerOperation::kServerReady ||
         operation == ServerOperation::kModelReady;
}

Status CheckBearerToken(std::string_view authorization, std::string_view token) {
  if (token.empty()) return Status::Ok();
  constexpr std::string_view kScheme = "bearer";
  bool ok = authorization.size() > kScheme.size() &&
            EqualsIgnoreCase(authorization.substr(0, kScheme.size()), kScheme) &&
            authorization[kScheme.size()] == ' ';
  std::string_view presented;
  if (ok) {
    presented = authorization.substr(kScheme.size());
    while (!presented.empty() && presented.front() == ' ') presented.remove_prefix(1);
    while (!presented.empty() && presented.back() == ' ') presented.remove_suffix(1);
  }
  // Compare even when the scheme is wrong, so the timing says nothing about the token.
  ok = ConstantTimeEquals(presented, token) && ok;
  if (ok) return Status::Ok();
  return Status::Unauthenticated("missing or wrong bearer token");
}

Status Authorize(ServerOperation operation, std::string_view authorization,
                 std::string_view token) {
  if (IsOpenOperation(operation)) return Status::Ok();
  return CheckBearerToken(authorization, token);
}

}  // namespace hiedge
