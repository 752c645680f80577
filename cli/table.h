// Table: a short aligned text table for human output.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace agentdraft::cli {

class Table {
 public:
  explicit Table(std::vector<std::string> header) : rows_{std::move(header)} {}
  void Add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  // Columns separated by two spaces, each padded to its widest cell; `indent` before each row.
  void Print(std::ostream& out, const std::string& indent = "  ") const;

 private:
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace agentdraft::cli
