#!/usr/bin/env bash
# The platform's lifecycle tests and the labs self-test for labs 01 and 03 (a drain, and balancing by what is in flight: the
# checks that lean most on timing), with two CPU hogs running (stress-ng --cpu 2):
# a learner's laptop in a video call with a build going, or CI next to another CI. Every test must still pass: the
# checks and tests assert outcomes, never speed. Installs stress-ng from Debian when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v stress-ng >/dev/null 2>&1; then
  [ "$(id -u)" = 0 ] || { echo "busy-machine: stress-ng is missing and installing it needs root" >&2; exit 1; }
  apt-get install -y -qq stress-ng >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq stress-ng >/dev/null; }
fi

stress-ng --cpu 2 --timeout 1800s --quiet &
hogs=$!
trap 'kill $hogs 2>/dev/null || true; wait $hogs 2>/dev/null || true' EXIT
sleep 2
echo "busy-machine: $(uptime)"

status=0
# A report of its own, so the main test run's report (read by summarize-tests.mjs) stays as it was.
npx vitest run platform/test/platform/lifecycle.test.ts --outputFile.json=.tall/busy-machine-results.json || status=1
npx tall dev check 01 03 --runtime process --fixtures-runtime none --earlier-labs-runtime none --report .tall/busy-machine-labs.json || status=1
echo "busy-machine: $(uptime)"
exit $status
