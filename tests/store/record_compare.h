// Records compared field by field, for store tests: a failure names every field that differs.
//
//   EXPECT_RECORD_EQ(want, got);    // one record of records.h
//   EXPECT_RECORDS_EQ(want, got);   // a vector of them: same keys in the same order, then fields
//   Keys(records)                   // "bkg_a,bkg_b": their keys, to compare a list at once
//
// Every field of every record is listed in FieldsOf(); a field added to records.h must be added
// here too. Times print as microseconds and RFC 3339.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/time.h"
#include "daemon/store/records.h"

namespace agentdraft::store {

// (name, value) of each field; the first is the record's key.
using Fields = std::vector<std::pair<std::string, std::string>>;

inline std::string FieldText(Time t) {
  return std::to_string(ToMicros(t)) + "us (" + FormatRfc3339Micros(t) + ")";
}
inline std::string FieldText(const std::optional<Time>& t) { return t ? FieldText(*t) : "nullopt"; }
inline std::string FieldText(const std::optional<Duration>& d) {
  return d ? std::to_string(d->count()) + "us" : "nullopt";
}
inline std::string FieldText(const std::optional<int64_t>& v) {
  return v ? std::to_string(*v) : "nullopt";
}
inline std::string FieldText(const std::optional<int>& v) {
  return v ? std::to_string(*v) : "nullopt";
}
inline std::string FieldText(const std::optional<std::string>& v) {
  return v ? "\"" + *v + "\"" : "nullopt";
}
inline std::string FieldText(const std::vector<std::string>& v) {
  std::string out = "[";
  for (size_t i = 0; i < v.size(); ++i) out += (i ? ", \"" : "\"") + v[i] + "\"";
  return out + "]";
}

inline Fields FieldsOf(const OwnerRecord& r) {
  return {{"id", r.id},
          {"email", r.email},
          {"created_at", FieldText(r.created_at)},
          {"settings.tie_window", FieldText(r.settings.tie_window)},
          {"settings.bump_window", FieldText(r.settings.bump_window)},
          {"settings.hold_ttl", FieldText(r.settings.hold_ttl)},
          {"settings.max_holds_per_agent", FieldText(r.settings.max_holds_per_agent)},
          {"settings.timezone", FieldText(r.settings.timezone)},
          {"settings.max_active_claims_per_agent", FieldText(r.settings.max_active_claims_per_agent)},
          {"settings.max_metadata_bytes_per_agent", FieldText(r.settings.max_metadata_bytes_per_agent)}};
}
inline Fields FieldsOf(const AgentRecord& r) {
  return {{"id", r.id},
          {"owner_id", r.owner_id},
          {"name", r.name},
          {"priority", std::to_string(r.priority)},
          {"rank_order", std::to_string(r.rank_order)},
          {"scopes", FieldText(r.scopes)},
          {"key_prefix", r.key_prefix},
          {"key_hash", r.key_hash},
          {"created_at", FieldText(r.created_at)},
          {"revoked_at", FieldText(r.revoked_at)}};
}
inline Fields FieldsOf(const ClaimRecord& r) {
  return {{"id", r.id},
          {"owner_id", r.owner_id},
          {"agent_id", r.agent_id},
          {"kind", r.kind == ClaimKind::kHold ? "hold" : "booking"},
          {"state", ClaimStateName(r.state)},
          {"start", FieldText(r.start)},
          {"end", FieldText(r.end)},
          {"created_at", FieldText(r.created_at)},
          {"expires_at", FieldText(r.expires_at)},
          {"frozen_at", FieldText(r.frozen_at)},
          {"ended_at", FieldText(r.ended_at)},
          {"ended_by", r.ended_by},
          {"metadata_json", r.metadata_json},
          {"title", r.title},
          {"invitee_json", r.invitee_json},
          {"idempotency_key", r.idempotency_key}};
}
inline Fields FieldsOf(const AuditRecord& r) {
  return {{"seq", std::to_string(r.seq)}, {"at", FieldText(r.at)},
          {"owner_id", r.owner_id},       {"actor", r.actor},
          {"subject", r.subject},         {"kind", r.kind},
          {"resource", r.resource},       {"payload_json", r.payload_json},
          {"prev_hash", r.prev_hash},     {"hash", r.hash}};
}
inline Fields FieldsOf(const IdempotencyRecord& r) {
  return {{"agent_id/key", r.agent_id + "/" + r.key},
          {"fingerprint", r.fingerprint},
          {"http_status", std::to_string(r.http_status)},
          {"response_body", r.response_body},
          {"created_at", FieldText(r.created_at)}};
}
inline Fields FieldsOf(const SessionRecord& r) {
  return {{"token_hash", r.token_hash},
          {"owner_id", r.owner_id},
          {"created_at", FieldText(r.created_at)},
          {"expires_at", FieldText(r.expires_at)}};
}
inline Fields FieldsOf(const CheckpointRecord& r) {
  return {{"size", std::to_string(r.size)},
          {"head", r.head},
          {"at", FieldText(r.at)},
          {"key_hex", r.key_hex},
          {"signature_hex", r.signature_hex}};
}
inline Fields FieldsOf(const WebhookSubscription& r) {
  return {{"id", r.id},
          {"owner_id", r.owner_id},
          {"event_type", r.event_type},
          {"url", r.url},
          {"secret", r.secret},
          {"created_at", FieldText(r.created_at)},
          {"deleted_at", FieldText(r.deleted_at)}};
}
inline Fields FieldsOf(const WebhookDelivery& r) {
  return {{"id", r.id},
          {"subscription_id", r.subscription_id},
          {"owner_id", r.owner_id},
          {"audit_seq", std::to_string(r.audit_seq)},
          {"event_type", r.event_type},
          {"body", r.body},
          {"state", DeliveryStateName(r.state)},
          {"attempts", std::to_string(r.attempts)},
          {"created_at", FieldText(r.created_at)},
          {"next_attempt_at", FieldText(r.next_attempt_at)},
          {"finished_at", FieldText(r.finished_at)},
          {"last_status", std::to_string(r.last_status)},
          {"last_error", r.last_error}};
}
inline Fields FieldsOf(const RuleRecord& r) {
  return {{"id", r.id},
          {"owner_id", r.owner_id},
          {"kind", r.kind},
          {"spec_json", r.spec_json},
          {"created_at", FieldText(r.created_at)},
          {"updated_at", FieldText(r.updated_at)},
          {"deleted_at", FieldText(r.deleted_at)}};
}

inline Fields FieldsOf(const CounterRecord& r) {
  std::string proposed;
  for (const Slot& x : r.proposed) proposed += "[" + FieldText(x.start) + ", " + FieldText(x.end) + ")";
  return {{"id", r.id},
          {"owner_id", r.owner_id},
          {"booking_id", r.booking_id},
          {"booking_agent_id", r.booking_agent_id},
          {"agent_id", r.agent_id},
          {"proposed", proposed},
          {"note", r.note},
          {"state", CounterStateName(r.state)},
          {"created_at", FieldText(r.created_at)},
          {"ended_at", FieldText(r.ended_at)},
          {"accepted_slot", FieldText(r.accepted_slot)},
          {"new_booking_id", r.new_booking_id}};
}

template <typename R>
std::string Key(const R& r) {
  return FieldsOf(r)[0].second;
}
// "a,b,c": the keys of `records`, in order.
template <typename R>
std::string Keys(const std::vector<R>& records) {
  std::string out;
  for (const R& r : records) out += (out.empty() ? "" : ",") + Key(r);
  return out;
}
template <typename R>
std::string Render(const R& r) {
  std::string out;
  for (const auto& [name, value] : FieldsOf(r))
    out += (out.empty() ? "" : " ") + name + "=" + value;
  return out;
}

// "" when equal, else one line per differing field.
template <typename R>
std::string Diff(const R& want, const R& got) {
  const Fields w = FieldsOf(want), g = FieldsOf(got);
  std::string out;
  for (size_t i = 0; i < w.size(); ++i) {
    if (w[i].second != g[i].second) {
      out += "\n    " + w[i].first + ": want \"" + w[i].second + "\", got \"" + g[i].second + "\"";
    }
  }
  return out;
}

template <typename R>
::testing::AssertionResult SameRecord(const char* want_expr, const char* got_expr, const R& want,
                                      const R& got) {
  const std::string diff = Diff(want, got);
  if (diff.empty()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << got_expr << " (" << Key(got) << ") differs from " << want_expr << " in:" << diff;
}
template <typename R>
::testing::AssertionResult SameRecords(const char* want_expr, const char* got_expr,
                                       const std::vector<R>& want, const std::vector<R>& got) {
  if (Keys(want) != Keys(got)) {
    return ::testing::AssertionFailure() << got_expr << " has records [" << Keys(got) << "], want ("
                                         << want_expr << ") [" << Keys(want) << "]";
  }
  std::string diffs;
  for (size_t i = 0; i < want.size(); ++i) {
    const std::string diff = Diff(want[i], got[i]);
    if (!diff.empty()) diffs += "\n  [" + std::to_string(i) + "] " + Key(want[i]) + ":" + diff;
  }
  if (diffs.empty()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << got_expr << " differs from " << want_expr << ":" << diffs;
}
#define EXPECT_RECORD_EQ(want, got) EXPECT_PRED_FORMAT2(SameRecord, want, got)
#define EXPECT_RECORDS_EQ(want, got) EXPECT_PRED_FORMAT2(SameRecords, want, got)

template <typename R>
std::vector<R> SortedById(std::vector<R> v) {
  std::sort(v.begin(), v.end(), [](const R& a, const R& b) { return a.id < b.id; });
  return v;
}

}  // namespace agentdraft::store
