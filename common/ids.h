// Random identifiers and secrets: "bkg_…", "avs_live_…". Uses libsodium's CSPRNG.
// Thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace agentdraft {

// `prefix` followed by `length` random characters from [0-9a-z] (e.g. NewId("bkg_") →
// "bkg_k3x9…"). 20 characters carry ~103 bits.
std::string NewId(std::string_view prefix, int length = 20);

// Lower-case hex of `bytes`.
std::string ToHex(std::string_view bytes);

// SHA-256 of `data`, lower-case hex.
std::string Sha256Hex(std::string_view data);

}  // namespace agentdraft
