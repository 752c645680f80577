// Small helpers for the commands' human output.
#pragma once

#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace agentdraft::cli {

// "  key     value" lines, keys padded to the longest.
void PrintFields(std::ostream& out, const std::vector<std::pair<std::string, std::string>>& fields);

// A JSON value as a table cell: strings bare, null as "-", others dumped.
std::string Cell(const nlohmann::json& j);

// Joins command-line words ("tomorrow", "16:00") into one argument.
std::string JoinWords(const std::vector<std::string>& words);

// "30m", "1h30m" for a number of minutes.
std::string Minutes(int64_t minutes);

}  // namespace agentdraft::cli
