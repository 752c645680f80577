#!/usr/bin/env bash
# Configures the build tree of one sanitizer and prints its directory. Shared by
# scripts/sanitize.sh and scripts/fuzz.sh.
#
#   scripts/sanitizer-tree.sh asan   → build-asan: clang, ASan + UBSan + libFuzzer's coverage
#                                       (AGENTDRAFT_FUZZ): the unit, store contract and
#                                       stampede suites and the fuzz targets share its objects
#   scripts/sanitizer-tree.sh tsan   → build-tsan: g++, TSan
#
# Both are RelWithDebInfo at -O1 -g1 (the sanitizers' own advice: fast enough, readable
# stacks, and a quicker build), without the negative controls. A tree configured with another
# compiler (an older layout) is made again from scratch.
set -euo pipefail
cd "$(dirname "$0")/.."

kind=${1:-}
case "$kind" in
asan) cc=clang cxx=clang++ option=-DAGENTDRAFT_FUZZ=ON ;;
tsan) cc=gcc cxx=g++ option=-DAGENTDRAFT_TSAN=ON ;;
*) echo "sanitizer-tree.sh: unknown sanitizer '$kind' (asan or tsan)" >&2; exit 2 ;;
esac
cxx_path=$(command -v "$cxx") || { echo "sanitizer-tree.sh: $cxx is needed (scripts/setup.sh installs it)" >&2; exit 2; }
dir="build-$kind"
if [ -f "$dir/CMakeCache.txt" ] &&
   ! grep -qx "CMAKE_CXX_COMPILER:[A-Z]*=$cxx_path" "$dir/CMakeCache.txt"; then
  rm -rf "$dir"
fi

generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
CC=$cc CXX=$cxx cmake -S . -B "$dir" "${generator[@]}" "${launcher[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g1" \
  -DAGENTDRAFT_NEGATIVE_CONTROLS=OFF "$option" >/dev/null
echo "$dir"
