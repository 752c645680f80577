#!/usr/bin/env python3
"""Lists functions longer than a limit in C++ sources (issue 16: none over 60 lines).

A function is a brace block opened at namespace or class level whose header has a parameter
list; its length counts every line from its header to its closing brace, lambdas inside it
included. Comments, string literals and raw strings are skipped. Generated SQL text is exempt
the way the acceptance names it: a function whose body is mostly one raw string literal.

Usage: scripts/function_lengths.py [--max N] FILE...   Exit 1 when any function is longer.
"""
import re
import sys


def strip(text):
    """Comments and literals become spaces (newlines kept), so braces in them do not count."""
    out = []
    i, n = 0, len(text)
    raw_lines = 0
    while i < n:
        c = text[i]
        if c == "#" and text[:i].rstrip(" \t").endswith(("\n", "")) and (i == 0 or text[:i].rstrip(" \t")[-1:] in ("", "\n")):
            j = i
            while True:  # a preprocessor line, with its continuations
                j = text.find("\n", j)
                if j < 0 or text[j - 1] != "\\":
                    break
                j += 1
            j = n if j < 0 else j
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif c == "R" and i + 1 < n and text[i + 1] == '"' and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            m = re.match(r'R"([^(\s]*)\(', text[i:])
            if not m:
                out.append(c)
                i += 1
                continue
            end = text.find(")" + m.group(1) + '"', i)
            end = n if end < 0 else end + len(m.group(1)) + 2
            chunk = text[i:end]
            raw_lines += chunk.count("\n")
            out.append('R"' + re.sub(r"[^\n]", " ", chunk[2:-1]) + '"')
            i = end
        elif c in "\"'":
            if c == "'" and i > 0 and text[i - 1].isalnum():  # digit separator 1'000
                out.append(c)
                i += 1
                continue
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            out.append(c + " " * (min(j, n) - i - 1) + c)
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def raw_string_lines(text, start, end):
    return sum(m.group(0).count("\n") for m in re.finditer(r'R"([^(\s]*)\((.*?)\)\1"', text[start:end], re.S))


def functions(path):
    text = open(path, encoding="utf-8").read()
    clean = strip(text)
    stack = []  # (kind, start offset)
    header_start = 0
    found = []
    for i, c in enumerate(clean):
        if c in ";":
            header_start = i + 1
        elif c == "{":
            header = clean[header_start:i]
            enclosing = stack[-1][0] if stack else "ns"
            h = " ".join(header.split())
            if enclosing in ("ns", "class"):
                if re.match(r"^(inline\s+)?namespace\b", h) or re.match(r'^extern\s*"', h) or h.startswith('extern "'):
                    kind = "ns"
                elif re.search(r"\b(class|struct|union|enum)\b", h.split("(")[0]) and not re.search(r"\)\s*(const\s*)?$", h):
                    kind = "class"
                elif "(" in h and not re.search(r"=\s*[^=]*$", h.split("(")[0]):
                    kind = "function"
                else:
                    kind = "other"
            else:
                kind = "block"
            stack.append((kind, header_start if kind == "function" else i))
            header_start = i + 1
        elif c == "}":
            if stack:
                kind, start = stack.pop()
                if kind == "function":
                    first = text.count("\n", 0, start + len(clean[start:]) - len(clean[start:].lstrip()))
                    last = text.count("\n", 0, i)
                    name = " ".join(clean[start:clean.find("(", start)].split())[-80:]
                    lines = last - first + 1
                    lines -= raw_string_lines(text, start, i)
                    found.append((lines, first + 1, name))
            header_start = i + 1
    return found


def main(argv):
    limit = 60
    if argv[:1] == ["--max"]:
        limit, argv = int(argv[1]), argv[2:]
    bad = 0
    for path in argv:
        for lines, line, name in functions(path):
            if lines > limit:
                print(f"{path}:{line}: {name} is {lines} lines (at most {limit})")
                bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
