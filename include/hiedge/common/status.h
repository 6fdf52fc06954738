// Status and Result<T>: the one error idiom of the hiedge library.
// Library code never throws across its public API; errors travel as Status and are
// converted once at the edges (HTTP codes in transports, exit codes in the CLI).
// Values: Status and Result<T> own their message and value; copy or move them freely.
// Thread-safety: none needed (no shared state); one object is not for concurrent writes.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace hiedge {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,
  kNotFound,
  kDataLoss,
  kFailedPrecondition,
  kResourceExhausted,
  kUnavailable,
  kDeadlineExceeded,
  kUnimplemented,
  kInternal,
  kIoError,
  kUnauthenticated,
  // Refused by admission control: the server would not answer within its latency
  // objective, or the client is over its share. Retrying there now does not help;
  // a device falls back at once. (HTTP 503 with Retry-After, gRPC RESOURCE_EXHAUSTED.)
  kOverloaded,
};

// Human-readable name of a code, e.g. "INVALID_ARGUMENT".
const char* StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string m) {
    return {StatusCode::kInvalidArgument, std::move(m)};
  }
  static Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
  static Status DataLoss(std::string m) { return {StatusCode::kDataLoss, std::move(m)}; }
  static Status FailedPrecondition(std::string m) {
    return {StatusCode::kFailedPrecondition, std::move(m)};
  }
  static Status ResourceExhausted(std::string m) {
    return {StatusCode::kResourceExhausted, std::move(m)};
  }
  static Status Unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
  static Status DeadlineExceeded(std::string m) {
    return {StatusCode::kDeadlineExceeded, std::move(m)};
  }
  static Status Unimplemented(std::string m) { return {StatusCode::kUnimplemented, std::move(m)}; }
  static Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }
  static Status IoError(std::string m) { return {StatusCode::kIoError, std::move(m)}; }
  static Status Unauthenticated(std::string m) {
    return {StatusCode::kUnauthenticated, std::move(m)};
  }
  static Status Overloaded(std::string m) { return {StatusCode::kOverloaded, std::move(m)}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "CODE: message", or "OK".
  std::string ToString() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// `text` from outside (a model name, a tensor name) for an error message: in single
// quotes, cut to its first `max_bytes` bytes with its full length named when longer, so
// no client can make an error message (and a gRPC trailer) as large as its input.
std::string Quoted(std::string_view text, size_t max_bytes = 64);

// A message for the wire: at most `max_bytes` bytes (cut with " ..." when longer). The
// transports bound every error they send with it.
std::string BoundedMessage(std::string_view message, size_t max_bytes = 1024);

// Holds either a value or a non-OK Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}         // NOLINT: implicit by design
  Result(Status status) : state_(std::move(status)) {}  // NOLINT: implicit by design

  bool ok() const { return std::holds_alternative<T>(state_); }
  const Status& status() const {
    static const Status kOkStatus;
    return ok() ? kOkStatus : std::get<Status>(state_);
  }
  T& value() & { return std::get<T>(state_); }
  const T& value() const& { return std::get<T>(state_); }
  T&& value() && { return std::get<T>(std::move(state_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> state_;
};

}  // namespace hiedge

// Returns the status of `expr` from the enclosing function if it is not OK.
#define HIEDGE_RETURN_IF_ERROR(expr)                 \
  do {                                               \
    ::hiedge::Status hiedge_status_ = (expr);        \
    if (!hiedge_status_.ok()) return hiedge_status_; \
  } while (0)

#define HIEDGE_CONCAT_INNER(a, b) a##b
#define HIEDGE_CONCAT(a, b) HIEDGE_CONCAT_INNER(a, b)
// Declares `lhs` from a Result expression, or returns its error status.
#define HIEDGE_ASSIGN_OR_RETURN(lhs, expr) \
  HIEDGE_ASSIGN_OR_RETURN_IMPL(HIEDGE_CONCAT(hiedge_result_, __LINE__), lhs, expr)
#define HIEDGE_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                 \
  if (!tmp.ok()) return tmp.status();                \
  lhs = std::move(tmp).value()
