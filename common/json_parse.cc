#include "common/json_parse.h"

#include <set>
#include <string>
#include <vector>

namespace agentdraft {

namespace {

// Thrown from the parser callback to stop at the first repeated key.
struct DuplicateKey {
  std::string key;
};

// `text` with every byte outside printable ASCII replaced by '?', cut to `max` bytes.
std::string Printable(std::string_view text, size_t max) {
  std::string out;
  for (char c : text.substr(0, max)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  if (text.size() > max) out += "...";
  return out;
}

// nlohmann's parse error without its "[json.exception.parse_error.101] " prefix.
std::string SyntaxMessage(const std::exception& e) {
  std::string_view what = e.what();
  if (const size_t bracket = what.find("] "); what.rfind("[json.exception", 0) == 0 &&
                                              bracket != std::string_view::npos) {
    what.remove_prefix(bracket + 2);
  }
  return "is not valid JSON: " + Printable(what, 300);
}

template <typename BasicJson>
Result<BasicJson> Parse(std::string_view text, JsonLimits limits) {
  if (Status depth = CheckJsonDepth(text, limits.max_depth); !depth.ok()) return depth;
  // The keys seen in each object now open, innermost last.
  std::vector<std::set<std::string>> open;
  typename BasicJson::parser_callback_t refuse_duplicates =
      [&open](int /*depth*/, typename BasicJson::parse_event_t event, BasicJson& parsed) {
        using Event = typename BasicJson::parse_event_t;
        if (event == Event::object_start) open.emplace_back();
        else if (event == Event::object_end && !open.empty()) open.pop_back();
        else if (event == Event::key && !open.empty() &&
                 !open.back().insert(parsed.template get<std::string>()).second) {
          throw DuplicateKey{parsed.template get<std::string>()};
        }
        return true;
      };
  try {
    return BasicJson::parse(text, limits.refuse_duplicate_keys ? refuse_duplicates : nullptr);
  } catch (const DuplicateKey& d) {
    return Status::InvalidArgument("has the key \"" + Printable(d.key, 100) +
                                   "\" twice in one object");
  } catch (const nlohmann::json::exception& e) {
    return Status::InvalidArgument(SyntaxMessage(e));
  }
}

}  // namespace

Status CheckJsonDepth(std::string_view text, int max_depth) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') ++i;  // the escaped character cannot end the string
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) {
        return Status::InvalidArgument("nests arrays and objects deeper than " +
                                       std::to_string(max_depth) + " levels (at byte " +
                                       std::to_string(i + 1) + ")");
      }
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return Status::Ok();
}

Result<nlohmann::json> ParseJson(std::string_view text, JsonLimits limits) {
  return Parse<nlohmann::json>(text, limits);
}

Result<nlohmann::ordered_json> ParseOrderedJson(std::string_view text, JsonLimits limits) {
  return Parse<nlohmann::ordered_json>(text, limits);
}

}  // namespace agentdraft
