#include "cli/table.h"

#include <algorithm>
#include <sstream>

#include "cli/terminal.h"

namespace agentdraft::cli {

Table::Table(std::vector<Column> columns) : columns_(std::move(columns)) {}

void Table::AddRow(std::vector<std::string> row) {
  row.resize(columns_.size());
  rows_.push_back(std::move(row));
}

std::string Table::Line(const std::vector<std::string>& cells,
                        const std::vector<size_t>& widths) const {
  std::string line;
  for (size_t i = 0; i < columns_.size(); ++i) {
    const std::string pad(widths[i] - DisplayWidth(cells[i]), ' ');
    if (i > 0) line += "  ";
    line += columns_[i].align == Align::kRight ? pad + cells[i] : cells[i] + pad;
  }
  line.erase(line.find_last_not_of(' ') + 1);
  return line;
}

void Table::Print(std::ostream& out, const std::string& indent) const {
  std::vector<std::string> header;
  std::vector<size_t> widths;
  for (const Column& c : columns_) {
    header.push_back(c.title);
    widths.push_back(DisplayWidth(c.title));
  }
  for (const auto& row : rows_) {
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], DisplayWidth(row[i]));
  }
  out << indent << Line(header, widths) << "\n";
  for (const auto& row : rows_) out << indent << Line(row, widths) << "\n";
}

std::string Table::ToString(const std::string& indent) const {
  std::ostringstream out;
  Print(out, indent);
  return out.str();
}

}  // namespace agentdraft::cli
