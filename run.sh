#!/usr/bin/env bash
# Run the dashboards on the embedded demo database, building it on first use.
#   ./run.sh                 -> http://localhost:8501
#   DATABASE_URL=postgresql://reader@host/db ./run.sh   (any read database)
set -euo pipefail
cd "$(dirname "$0")"
source scripts/bootstrap.sh
if [ -z "${DATABASE_URL:-}" ] && [ ! -f data/demo.sqlite ]; then
  echo "Building the demo database (about 10 s) ..."
  .venv/bin/python -m fixtures.generate --db sqlite:///data/demo.sqlite --scale street --seed 42
fi
exec .venv/bin/python -m streamlit run app/server.py "$@"
