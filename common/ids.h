// Random identifiers and secrets: "bkg_…", "avs_live_…". Uses libsodium's CSPRNG.
// Thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace agentdraft {

// `prefix` followed by `length` random characters from [0-9a-z] (e.g. NewId("bkg_") →
// "bkg_k3x9…"). 20 characters carry ~103 bits.
std::string NewId(std::string_view prefix, int length = 20);

// `prefix`, then 9 base-36 characters of `millis` (so ids sort by creation time and new rows
// land at the end of B-tree indexes), then 12 random characters (~62 bits).
std::string NewSortableId(std::string_view prefix, int64_t millis);

// Lower-case hex of `bytes`.
std::string ToHex(std::string_view bytes);

// SHA-256 of `data`, lower-case hex.
std::string Sha256Hex(std::string_view data);

}  // namespace agentdraft
