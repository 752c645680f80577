#!/usr/bin/env bash
# Quickstart 1: install the build packages, build the two binaries (not the tests: see
# scripts/setup.sh --demo), and run the race demo on a private daemon (temporary SQLite).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --demo >&2
exec build/cli/agentdraft race demo "$@"
