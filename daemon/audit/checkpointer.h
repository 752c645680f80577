// Checkpointer: signs the audit chain's head with the daemon's Ed25519 key (docs/audit.md).
//
// The key is `<data-dir>/audit.key` (mode 0600, the libsodium secret key in hex), created at
// first start; an existing key that group or others may read is refused (Open fails with
// InvalidArgument saying "chmod 600 <path>"). A checkpoint (size, head hash, time) is signed and stored every `every_rows`
// rows, and `every` after the last one when rows were added since (Tick()), and on demand
// (SignHead(): on shutdown, at the end of an export). It also signs the owner statement that
// ends an owner's export (SignOwnerStatement). The head comes from OnDurable(), the
// engine's after_durable hook, so a checkpoint only ever covers durable rows. On a shared
// store (DynamoDB, several daemons) SignHead() first catches up with the store's head, so an
// export at any daemon covers every daemon's rows under this daemon's signature.
//
// Thread-safe.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/audit_verify.h"
#include "common/clock.h"
#include "common/status.h"
#include "daemon/store/store.h"

namespace agentdraft::audit {

struct CheckpointerOptions {
  std::string key_path;  // created 0600 when missing; refused when group/others may read it
  int every_rows = 1000;
  Duration every = std::chrono::seconds(60);
};

class Checkpointer {
 public:
  // Loads (or creates) the key and reads the chain's head and last checkpoint from the store.
  static Result<std::unique_ptr<Checkpointer>> Open(store::Store& store, const Clock& clock,
                                                    CheckpointerOptions options);

  const std::string& public_key_hex() const { return public_key_hex_; }

  // The engine's after_durable hook: advances the head; signs when `every_rows` rows have
  // been added since the last checkpoint (stored asynchronously).
  void OnDurable(const std::vector<store::AuditRecord>& rows);
  // Signs when rows were added and `every` has passed since the last checkpoint.
  void Tick();
  // The checkpoint of the current head: the stored one when the head is signed already,
  // else a new one (stored before this returns). NotFound when the log is empty.
  Result<store::CheckpointRecord> SignHead();
  // The newest stored checkpoint (nullopt when none).
  Result<std::optional<store::CheckpointRecord>> Latest();
  // `statement` with `key` and `signature` filled in: signed with this key over
  // OwnerStatementSignedText (common/audit_verify.h). Nothing is stored.
  OwnerStatement SignOwnerStatement(OwnerStatement statement) const;

  // The text form (docs/audit.md), signature line included.
  static std::string Text(const store::CheckpointRecord& c);
  // {"size", "head", "time", "key", "signature"} (+ "text" when `with_text`).
  static nlohmann::json Json(const store::CheckpointRecord& c, bool with_text);
  // {"owner", "size", "head", "rows", "rows_digest", "key", "signature"}.
  static nlohmann::json Json(const OwnerStatement& s);
  // RFC 3339 in UTC, always with milliseconds ("…T22:40:00.000Z").
  static std::string TimeText(Time t);

 private:
  Checkpointer(store::Store& store, const Clock& clock, CheckpointerOptions options);
  // Shared stores: advances the head to the store's (rows other daemons appended). Takes mu_.
  Status CatchUpWithStore();
  // SignHead on a shared store: the store's head, signed with this key.
  Result<store::CheckpointRecord> SignSharedHead();
  // Builds and signs a checkpoint of the current head. REQUIRES: mu_ held, head_size_ > 0.
  store::CheckpointRecord SignLocked();
  // The detached Ed25519 signature of `text`, as 128 hex.
  std::string SignatureHex(const std::string& text) const;

  store::Store& store_;
  const Clock& clock_;
  const CheckpointerOptions options_;
  std::string secret_key_;  // raw crypto_sign_SECRETKEYBYTES
  std::string public_key_hex_;

  std::mutex mu_;
  int64_t head_size_ = 0;      // GUARDED_BY(mu_)
  std::string head_hash_;      // GUARDED_BY(mu_)
  int64_t signed_size_ = 0;    // GUARDED_BY(mu_): the last size signed (stored or on its way)
  Time signed_at_;             // GUARDED_BY(mu_)
};

}  // namespace agentdraft::audit
