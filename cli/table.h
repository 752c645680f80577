// Table: a short aligned text table for human output.
//
//   Table t({{"rank", Align::kRight}, {"agent"}, {"latency", Align::kRight}});
//   t.AddRow({"1", "exec-ea", "2.1 ms"});
//   t.Print(out, "  ");
//
// Columns are separated by two spaces and padded to their widest cell (by DisplayWidth, so
// colored and UTF-8 cells line up); lines carry no trailing spaces. Not thread-safe.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace agentdraft::cli {

enum class Align { kLeft, kRight };

struct Column {
  std::string title;
  Align align = Align::kLeft;
};

class Table {
 public:
  explicit Table(std::vector<Column> columns);

  // REQUIRES: row.size() <= the number of columns (missing cells are empty).
  void AddRow(std::vector<std::string> row);

  // The header line, then one line per row, each prefixed with `indent`.
  void Print(std::ostream& out, const std::string& indent = "") const;
  std::string ToString(const std::string& indent = "") const;

 private:
  std::string Line(const std::vector<std::string>& cells, const std::vector<size_t>& widths) const;

  std::vector<Column> columns_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace agentdraft::cli
