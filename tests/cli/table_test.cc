// Aligned tables and terminal widths for human output.
#include "cli/table.h"

#include <gtest/gtest.h>

#include "cli/terminal.h"

namespace agentdraft::cli {
namespace {

TEST(Table, PadsColumnsToTheWidestCellAndRightAlignsNumbers) {
  Table t({{"rank", Align::kRight}, {"agent"}, {"latency", Align::kRight}, {"told"}});
  t.AddRow({"1", "exec-ea", "2.1 ms", ""});
  t.AddRow({"12", "focus-blocker", "22.0 ms", "exec-ea"});
  EXPECT_EQ(t.ToString("  "),
            "  rank  agent          latency  told\n"
            "     1  exec-ea         2.1 ms\n"
            "    12  focus-blocker  22.0 ms  exec-ea\n");
}

TEST(Table, ShortRowsGetEmptyCellsAndNoTrailingSpaces) {
  Table t({{"a"}, {"b"}, {"c"}});
  t.AddRow({"xxxx"});
  EXPECT_EQ(t.ToString(), "a     b  c\nxxxx\n");
}

TEST(Table, ColoredAndUtf8CellsAlignByWhatTheyShow) {
  Table t({{"outcome"}, {"n", Align::kRight}});
  t.AddRow({Paint("201", Color::kGreen, true), "1"});
  t.AddRow({"409 …", "22"});
  EXPECT_EQ(t.ToString(),
            "outcome   n\n"
            "\x1b[32m201\x1b[0m       1\n"
            "409 …    22\n");
}

TEST(Terminal, DisplayWidthCountsCodePointsAndSkipsEscapes) {
  EXPECT_EQ(DisplayWidth("exec-ea"), 7u);
  EXPECT_EQ(DisplayWidth("a–b ✗"), 5u);
  EXPECT_EQ(DisplayWidth("\x1b[1;32mok\x1b[0m"), 2u);
}

TEST(Terminal, PaintIsPlainTextWhenColorIsOff) {
  EXPECT_EQ(Paint("201 committed", Color::kGreen, false), "201 committed");
  EXPECT_EQ(Paint("x", Color::kRed, true), "\x1b[31mx\x1b[0m");
}

}  // namespace
}  // namespace agentdraft::cli
