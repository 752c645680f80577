// Status and Result<T>: how errors cross module boundaries.
//
// A Status is a code plus a human message. Codes are semantic, not textual: a store turns
// SQLite's constraint failure and DynamoDB's ConditionalCheckFailed both into kConflict;
// timeouts and throttling are kUnavailable, kept apart from kInternal. Library exceptions are
// caught at the edge that called the library and converted here.
//
// Thread-safe: values only.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace agentdraft {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,  // the caller sent something malformed
  kNotFound,         // no such object (or not visible to the caller)
  kConflict,         // a condition on current state failed
  kAlreadyExists,    // a unique name or id is taken
  kUnauthorized,     // missing or bad credentials
  kForbidden,        // credentials fine, permission missing
  kUnavailable,      // transient: timeout, throttling, I/O trouble; retry may succeed
  kInternal,         // a bug or an unexpected library failure
};

const char* StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
  static Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
  static Status Conflict(std::string m) { return {StatusCode::kConflict, std::move(m)}; }
  static Status AlreadyExists(std::string m) { return {StatusCode::kAlreadyExists, std::move(m)}; }
  static Status Unauthorized(std::string m) { return {StatusCode::kUnauthorized, std::move(m)}; }
  static Status Forbidden(std::string m) { return {StatusCode::kForbidden, std::move(m)}; }
  static Status Unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
  static Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "Conflict: bucket 123 is taken", or "OK".
  std::string ToString() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// Either a value or a non-OK Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}                // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {}         // NOLINT: REQUIRES: !status.ok()

  bool ok() const { return std::holds_alternative<T>(v_); }
  Status status() const { return ok() ? Status::Ok() : std::get<Status>(v_); }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace agentdraft
