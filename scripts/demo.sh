#!/usr/bin/env bash
# Quickstart 1: set up, build, and run the race demo on a private daemon (temporary SQLite).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh >&2
exec build/cli/agentdraft race demo "$@"
