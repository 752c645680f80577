#include "common/ids.h"

#include <sodium.h>

#include <cstdlib>

namespace agentdraft {

namespace {
void EnsureSodium() {
  static const bool ok = sodium_init() >= 0;
  if (!ok) std::abort();
}
}  // namespace

namespace {
// Random bytes from a per-thread buffer refilled from the CSPRNG 4 KiB at a time: one
// getrandom(2) per ~200 ids instead of one per character.
unsigned char RandomByte() {
  thread_local unsigned char buffer[4096];
  thread_local size_t used = sizeof buffer;
  if (used == sizeof buffer) {
    EnsureSodium();
    randombytes_buf(buffer, sizeof buffer);
    used = 0;
  }
  return buffer[used++];
}
}  // namespace

std::string NewId(std::string_view prefix, int length) {
  static const char kAlphabet[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::string id(prefix);
  id.reserve(prefix.size() + length);
  while (static_cast<int>(id.size() - prefix.size()) < length) {
    unsigned char b = RandomByte();
    if (b < 252) id += kAlphabet[b % 36];  // 252 = 7·36: no modulo bias
  }
  return id;
}

std::string NewSortableId(std::string_view prefix, int64_t millis) {
  static const char kAlphabet[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  char time_part[9];
  for (int i = 8; i >= 0; --i) {
    time_part[i] = kAlphabet[millis % 36];
    millis /= 36;
  }
  return NewId(std::string(prefix) + std::string(time_part, 9), 12);
}

std::string ToHex(std::string_view bytes) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

std::string Sha256Hex(std::string_view data) {
  EnsureSodium();
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  return ToHex(std::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
}

}  // namespace agentdraft
