#!/bin/sh
# Installs headless Chromium from Debian for the slide tests and `tall slides --pdf`.
# Idempotent: does nothing when /usr/bin/chromium already exists.
# `npx playwright install` cannot work offline here; playwright-core drives this system browser instead.
set -eu

CHROMIUM=/usr/bin/chromium

if [ -x "$CHROMIUM" ]; then
  echo "chromium already installed: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
  exit 0
fi

SUDO=""
if [ "$(id -u)" != "0" ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "install-browser: need root (or sudo) to apt-get install chromium" >&2
    exit 1
  fi
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
# fonts-liberation and fonts-dejavu give the deck readable text in screenshots and PDFs.
$SUDO apt-get install -y --no-install-recommends chromium fonts-liberation fonts-dejavu-core

if [ ! -x "$CHROMIUM" ]; then
  echo "install-browser: apt finished but $CHROMIUM is missing" >&2
  exit 1
fi
echo "chromium installed: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
