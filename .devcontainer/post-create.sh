#!/usr/bin/env bash
# Run once when the dev container is created (and by CI, on this machine): the kit's set-up, then the doctor, which says
# which runtime `tall up` will use here and what, if anything, is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== set-up: npm install"
npm install --no-audit --no-fund
echo "== npx tall doctor"
# The doctor reports; a missing Docker engine is expected in the process-runtime container, not an error.
npx tall doctor || true
echo
echo "Ready. Start with the first lab: labs/00-get-tall/README.md (npx tall labs lists them all)."
