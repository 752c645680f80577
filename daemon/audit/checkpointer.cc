#include "daemon/audit/checkpointer.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include <spdlog/spdlog.h>

#include "common/audit_verify.h"
#include "common/file_modes.h"
#include "common/ids.h"

namespace agentdraft::audit {

namespace {

std::string FromHex(const std::string& hex) {
  std::string out(hex.size() / 2, '\0');
  size_t len = 0;
  if (sodium_hex2bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), hex.data(), hex.size(),
                     nullptr, &len, nullptr) != 0 || len != out.size()) {
    return "";
  }
  return out;
}

// Reads the hex secret key at `path`, or creates one (0600). A key other users may read is
// refused (InvalidArgument naming the fix).
Result<std::string> LoadOrCreateKey(const std::string& path) {
  if (Status s = CheckPrivateFile(path); !s.ok()) return s;
  std::ifstream in(path);
  std::string hex;
  if (in && std::getline(in, hex)) {
    std::string key = FromHex(hex);
    if (key.size() != crypto_sign_SECRETKEYBYTES) {
      return Status::Internal(path + " is not an Ed25519 secret key (" +
                              std::to_string(crypto_sign_SECRETKEYBYTES * 2) + " hex characters)");
    }
    return key;
  }
  unsigned char pk[crypto_sign_PUBLICKEYBYTES];
  unsigned char sk[crypto_sign_SECRETKEYBYTES];
  crypto_sign_keypair(pk, sk);
  const std::string key(reinterpret_cast<char*>(sk), sizeof sk);
  const std::string line = ToHex(key) + "\n";
  sodium_memzero(sk, sizeof sk);
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Status::Unavailable("cannot create " + path + ": " + std::strerror(errno));
  const bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) &&
                  ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) return Status::Unavailable("cannot write " + path);
  return key;
}

}  // namespace

Checkpointer::Checkpointer(store::Store& store, const Clock& clock, CheckpointerOptions options)
    : store_(store), clock_(clock), options_(std::move(options)) {}

Result<std::unique_ptr<Checkpointer>> Checkpointer::Open(store::Store& store, const Clock& clock,
                                                         CheckpointerOptions options) {
  if (sodium_init() < 0) return Status::Internal("libsodium failed to initialize");
  std::unique_ptr<Checkpointer> c(new Checkpointer(store, clock, std::move(options)));
  auto key = LoadOrCreateKey(c->options_.key_path);
  if (!key.ok()) return key.status();
  c->secret_key_ = *key;
  unsigned char pk[crypto_sign_PUBLICKEYBYTES];
  crypto_sign_ed25519_sk_to_pk(pk, reinterpret_cast<const unsigned char*>(c->secret_key_.data()));
  c->public_key_hex_ = ToHex(std::string_view(reinterpret_cast<char*>(pk), sizeof pk));

  auto loaded = store.Load();
  if (!loaded.ok()) return loaded.status();
  c->head_size_ = loaded->audit_head_seq;
  c->head_hash_ = loaded->audit_head_hash;
  auto latest = store.LatestCheckpoint();
  if (!latest.ok()) return latest.status();
  if (*latest) {
    c->signed_size_ = (*latest)->size;
    c->signed_at_ = (*latest)->at;
    if ((*latest)->key_hex != c->public_key_hex_) {
      spdlog::warn("the newest checkpoint was signed with another key ({}…); this key is {}…",
                   (*latest)->key_hex.substr(0, 12), c->public_key_hex_.substr(0, 12));
    }
  } else {
    c->signed_at_ = clock.Now();
  }
  return c;
}

std::string Checkpointer::TimeText(Time t) {
  std::string text = FormatRfc3339(FromMicros(ToMicros(t) / 1000 * 1000));
  if (text.find('.') == std::string::npos) text.insert(text.size() - 1, ".000");
  return text;
}

store::CheckpointRecord Checkpointer::SignLocked() {
  store::CheckpointRecord c;
  c.size = head_size_;
  c.head = head_hash_;
  c.at = FromMicros(ToMicros(clock_.Now()) / 1000 * 1000);
  c.key_hex = public_key_hex_;
  c.signature_hex = SignatureHex(CheckpointSignedText(c.size, c.head, TimeText(c.at), c.key_hex));
  signed_size_ = c.size;
  signed_at_ = c.at;
  return c;
}

std::string Checkpointer::SignatureHex(const std::string& text) const {
  unsigned char sig[crypto_sign_BYTES];
  crypto_sign_detached(sig, nullptr, reinterpret_cast<const unsigned char*>(text.data()),
                       text.size(), reinterpret_cast<const unsigned char*>(secret_key_.data()));
  return ToHex(std::string_view(reinterpret_cast<char*>(sig), sizeof sig));
}

OwnerStatement Checkpointer::SignOwnerStatement(OwnerStatement statement) const {
  statement.key = public_key_hex_;
  statement.signature = SignatureHex(OwnerStatementSignedText(statement));
  return statement;
}

void Checkpointer::OnDurable(const std::vector<store::AuditRecord>& rows) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const store::AuditRecord& r : rows) {
    if (r.seq <= head_size_) continue;
    head_size_ = r.seq;
    head_hash_ = r.hash;
  }
  if (head_size_ - signed_size_ < options_.every_rows) return;
  store::Decision d;
  d.checkpoints.push_back(SignLocked());
  // On the store's thread: queue it, never wait for it.
  store_.Apply(std::move(d), [](Status s) {
    if (!s.ok()) spdlog::error("could not store an audit checkpoint: {}", s.ToString());
  });
}

void Checkpointer::Tick() {
  std::lock_guard<std::mutex> lock(mu_);
  if (head_size_ <= signed_size_ || clock_.Now() - signed_at_ < options_.every) return;
  store::Decision d;
  d.checkpoints.push_back(SignLocked());
  store_.Apply(std::move(d), [](Status s) {
    if (!s.ok()) spdlog::error("could not store an audit checkpoint: {}", s.ToString());
  });
}

Status Checkpointer::CatchUpWithStore() {
  auto seq = store_.AuditHeadSeq();
  if (!seq.ok()) return seq.status();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (*seq <= head_size_) return Status::Ok();
  }
  store::AuditQuery q;
  q.after_seq = *seq - 1;
  q.limit = 1;
  auto rows = store_.ListAudit(q);
  if (!rows.ok()) return rows.status();
  if (rows->empty() || rows->front().seq != *seq) {
    return Status::Unavailable("the store's audit head names row " + std::to_string(*seq) + ", which it does not hold");
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (*seq > head_size_) {
    head_size_ = *seq;
    head_hash_ = rows->front().hash;
  }
  return Status::Ok();
}

Result<store::CheckpointRecord> Checkpointer::SignHead() {
  if (store_.Shared()) return SignSharedHead();
  std::unique_lock<std::mutex> lock(mu_);
  if (head_size_ == 0) return Status::NotFound("the audit log is empty");
  if (head_size_ > signed_size_) {
    store::CheckpointRecord c = SignLocked();
    lock.unlock();
    store::Decision d;
    d.checkpoints.push_back(c);
    Status s = store_.ApplySync(std::move(d));
    if (!s.ok()) return Status::Unavailable("could not store the checkpoint: " + s.message());
    return c;
  }
  // The head is signed already (perhaps still on its way to the store: Flush waits for it).
  const int64_t size = signed_size_;
  lock.unlock();
  store_.Flush();
  auto latest = store_.LatestCheckpoint();
  if (!latest.ok()) return latest.status();
  if (!*latest || (*latest)->size < size) {  // a newer one is as good
    return Status::Unavailable("the checkpoint at size " + std::to_string(size) + " was not stored");
  }
  return **latest;
}

Result<store::CheckpointRecord> Checkpointer::SignSharedHead() {
  // Other daemons append to the chain too: the head is the store's, not the last row this
  // daemon wrote, and the checkpoint returned is always signed with this daemon's key (an
  // export names one key).
  if (Status s = CatchUpWithStore(); !s.ok()) {
    return Status::Unavailable("could not read the audit head: " + s.message());
  }
  std::unique_lock<std::mutex> lock(mu_);
  if (head_size_ == 0) return Status::NotFound("the audit log is empty");
  const bool signed_here_already = head_size_ <= signed_size_;
  store::CheckpointRecord c = SignLocked();
  lock.unlock();
  if (signed_here_already) return c;  // this size is stored (or on its way) already
  store::Decision d;
  d.checkpoints.push_back(c);
  Status s = store_.ApplySync(std::move(d));
  if (s.ok()) return c;
  // Another daemon stored its checkpoint of this size first: the head is pinned in the store
  // either way, and this signature is as good.
  auto latest = store_.LatestCheckpoint();
  if (latest.ok() && *latest && (*latest)->size >= c.size) return c;
  return Status::Unavailable("could not store the checkpoint: " + s.message());
}

Result<std::optional<store::CheckpointRecord>> Checkpointer::Latest() {
  store_.Flush();
  return store_.LatestCheckpoint();
}

std::string Checkpointer::Text(const store::CheckpointRecord& c) {
  return CheckpointSignedText(c.size, c.head, TimeText(c.at), c.key_hex) + "signature: " +
         c.signature_hex + "\n";
}

nlohmann::json Checkpointer::Json(const store::CheckpointRecord& c, bool with_text) {
  nlohmann::json j = {{"size", c.size},  {"head", c.head},           {"time", TimeText(c.at)},
                      {"key", c.key_hex}, {"signature", c.signature_hex}};
  if (with_text) j["text"] = Text(c);
  return j;
}

nlohmann::json Checkpointer::Json(const OwnerStatement& s) {
  return {{"owner", s.owner},
          {"size", s.size},
          {"head", s.head},
          {"rows", s.rows},
          {"rows_digest", s.rows_digest},
          {"key", s.key},
          {"signature", s.signature}};
}

}  // namespace agentdraft::audit
