#include "cli/terminal.h"

#include <unistd.h>

#include <cstdlib>

namespace agentdraft::cli {

bool StdoutWantsColor() {
  const char* no_color = std::getenv("NO_COLOR");
  const char* term = std::getenv("TERM");
  if (no_color != nullptr && *no_color != '\0') return false;
  if (term == nullptr || std::string_view(term) == "dumb") return false;
  return isatty(STDOUT_FILENO) == 1;
}

std::string Paint(std::string_view text, Color color, bool enabled) {
  const char* sgr = nullptr;
  switch (color) {
    case Color::kPlain:
      break;
    case Color::kBold:
      sgr = "1";
      break;
    case Color::kDim:
      sgr = "2";
      break;
    case Color::kGreen:
      sgr = "32";
      break;
    case Color::kYellow:
      sgr = "33";
      break;
    case Color::kRed:
      sgr = "31";
      break;
  }
  if (!enabled || sgr == nullptr) return std::string(text);
  return "\x1b[" + std::string(sgr) + "m" + std::string(text) + "\x1b[0m";
}

size_t DisplayWidth(std::string_view text) {
  size_t width = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\x1b' && i + 1 < text.size() && text[i + 1] == '[') {
      // CSI: ESC [ parameters… final byte in 0x40–0x7E.
      i += 2;
      while (i < text.size() && !(text[i] >= 0x40 && text[i] <= 0x7e)) ++i;
      continue;
    }
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) ++width;  // not a continuation
  }
  return width;
}

}  // namespace agentdraft::cli
