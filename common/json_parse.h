// ParseJson: the one strict JSON parser for text that comes from outside the process — request
// bodies, files the CLI or the race tools read, answers the CLI parses, audit export lines.
//
// Why not nlohmann::json::parse: its parser is iterative, but dump(), copy and operator== on
// the value it builds recurse once per nesting level, so a body nested 60,000 deep crashes the
// process at its first dump(). ParseJson counts brackets (outside strings) before the parser
// sees the text, so nothing deeper than `max_depth` is ever built. It also refuses an object
// that has the same key twice (nlohmann keeps the last value silently).
//
// Errors are Status::InvalidArgument with a message that names the problem and where, meant to
// follow a subject ("body ", "line 7 "): "nests arrays and objects deeper than 64 levels (at
// byte 65)", "has the key \"a\" twice in one object", "is not valid JSON: parse error at line
// 1, column 5: …". Messages are printable ASCII (nothing from the input but a key's ASCII
// characters), so they can be dumped into a JSON error body.
//
// Thread-safe: pure functions.
#pragma once

#include <string_view>

#include <nlohmann/json.hpp>

#include "common/status.h"

namespace agentdraft {

// The depth allowed in a request body (docs/api.md): the body's own braces count as level 1,
// so `metadata` (level 2) may nest 62 more levels.
inline constexpr int kRequestJsonDepth = 64;

// The depth allowed in files we read (audit exports, race scenarios) and in the daemon's
// answers the CLI parses: those embed a request's objects a few levels down.
inline constexpr int kDocumentJsonDepth = 128;

struct JsonLimits {
  // The most arrays and objects open at once; the outermost value is level 1.
  int max_depth = kRequestJsonDepth;
  // Refuse an object that has the same key twice.
  bool refuse_duplicate_keys = true;
};

// Parses `text` (one JSON value, optional whitespace around it) within `limits`.
Result<nlohmann::json> ParseJson(std::string_view text, JsonLimits limits = {});

// The same, keeping object keys in document order (race scenarios are written back as read).
Result<nlohmann::ordered_json> ParseOrderedJson(std::string_view text, JsonLimits limits = {});

// OK when no point of `text` has more than `max_depth` arrays and objects open (brackets
// inside strings do not count). Does not check anything else: the text may still be invalid.
Status CheckJsonDepth(std::string_view text, int max_depth);

}  // namespace agentdraft
