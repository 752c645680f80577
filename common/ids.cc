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

std::string NewId(std::string_view prefix, int length) {
  EnsureSodium();
  static const char kAlphabet[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::string id(prefix);
  for (int i = 0; i < length; ++i) id += kAlphabet[randombytes_uniform(36)];
  return id;
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
