// Terminal helpers for human output: whether to color, how to color, how wide text looks.
//
// Colors are ANSI SGR sequences and are used only when stdout is a terminal (and NO_COLOR is
// unset, TERM is not "dumb"), so piped output and tests see plain text. Thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace agentdraft::cli {

enum class Color { kPlain, kBold, kDim, kGreen, kYellow, kRed };

// True when stdout is a color-capable terminal.
bool StdoutWantsColor();

// `text` wrapped in the SGR sequence for `color` and a reset; `text` itself when !enabled
// or color is kPlain.
std::string Paint(std::string_view text, Color color, bool enabled);

// Columns `text` occupies: UTF-8 code points, not bytes, and ANSI escape sequences count 0.
size_t DisplayWidth(std::string_view text);

}  // namespace agentdraft::cli
