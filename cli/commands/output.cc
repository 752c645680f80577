#include "cli/commands/output.h"

#include <algorithm>

namespace agentdraft::cli {

void PrintFields(std::ostream& out, const std::vector<std::pair<std::string, std::string>>& fields) {
  size_t width = 0;
  for (const auto& [k, v] : fields) width = std::max(width, k.size());
  for (const auto& [k, v] : fields) {
    out << k << std::string(width - k.size() + 2, ' ') << v << "\n";
  }
}

std::string Cell(const nlohmann::json& j) {
  if (j.is_null()) return "-";
  if (j.is_string()) return j.get<std::string>();
  return j.dump();
}

std::string JoinWords(const std::vector<std::string>& words) {
  std::string out;
  for (const std::string& w : words) {
    if (!out.empty()) out += ' ';
    out += w;
  }
  return out;
}

std::string Minutes(int64_t minutes) {
  if (minutes < 60) return std::to_string(minutes) + "m";
  const std::string h = std::to_string(minutes / 60) + "h";
  return minutes % 60 == 0 ? h : h + std::to_string(minutes % 60) + "m";
}

}  // namespace agentdraft::cli
