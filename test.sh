#!/usr/bin/env bash
# Run every test: lint, the data layer on SQLite and PostgreSQL, pages, browser end-to-end.
#   ./test.sh                -> everything
#   ./test.sh tests/test_engine.py -k write   (pytest arguments pass through)
set -euo pipefail
cd "$(dirname "$0")"
source scripts/bootstrap.sh
.venv/bin/ruff check .
exec .venv/bin/python -m pytest "$@"
