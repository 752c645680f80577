// NestedObjects: JSON text nested deeper than a parser may allow. Shared by
// tests/unit/json_parse_test.cc and tests/e2e/bad_input_test.cc.
#pragma once

#include <string>

namespace agentdraft::testing {

// {"a":{"a":…{}…}} with `depth` objects.
inline std::string NestedObjects(int depth) {
  std::string text;
  for (int i = 1; i < depth; ++i) text += "{\"a\":";
  return text + "{}" + std::string(depth - 1, '}');
}

}  // namespace agentdraft::testing
