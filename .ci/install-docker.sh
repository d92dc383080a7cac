#!/usr/bin/env bash
# Install a Docker engine + Compose v2 on a fresh Debian bookworm machine (as root), start it, and build the
# kit's offline images from the host's own files. Needs no internet beyond Debian's apt mirrors.
#
#   .ci/install-docker.sh            install what is missing, start the engine, build missing images
#   .ci/install-docker.sh --force    also rebuild the host images
#
# Idempotent: a second run only checks and skips (a few seconds).
#
# What it does:
#   1. docker.io (engine 20.10 + client) from bookworm, with apt.
#   2. The Compose v2 CLI plugin from Debian trixie's `docker-compose` package, fetched with `apt-get download`
#      through a private sources list / state / cache dir (the system's apt sources are not touched), unpacked
#      with `dpkg -x`, installed to /usr/local/lib/docker/cli-plugins (all users, any docker client) and
#      ~/.docker/cli-plugins.
#   3. dockerd in the background when no engine answers (log: /var/log/tall-dockerd.log), waiting up to 60 s.
#   4. Images tall/node:20 and tall/postgres:15 (platform/src/runtimes/docker/host-images/build-host-images.sh):
#      what `tall up` builds from when no registry answers (with one, it uses node:20-slim).
set -euo pipefail

FORCE=""
for a in "$@"; do
  case "$a" in
    --force) FORCE="--force" ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) echo "unknown option: $a" >&2; exit 2 ;;
  esac
done

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DOCKERD_LOG="${TALL_DOCKERD_LOG:-/var/log/tall-dockerd.log}"
TRIXIE_DIR="${TALL_TRIXIE_APT_DIR:-/var/cache/tall-apt-trixie}"
# The trixie mirror is the one this machine's own apt sources use for Debian (no host is named here).
system_debian_mirror() {
  { grep -hE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}'
    grep -hE '^deb ' /etc/apt/sources.list 2>/dev/null | awk '{print $2}'; } | grep -v -- '-security' | head -n 1 || true
}
TRIXIE_MIRROR="${TALL_TRIXIE_MIRROR:-$(system_debian_mirror)}"
[ -n "$TRIXIE_MIRROR" ] || { echo "[install-docker] ERROR: no Debian mirror found in /etc/apt/sources*; set TALL_TRIXIE_MIRROR" >&2; exit 1; }
PLUGIN_DIRS=(/usr/local/lib/docker/cli-plugins "${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins")
export DEBIAN_FRONTEND=noninteractive

T_ALL=$EPOCHREALTIME
SUMMARY=()
say() { printf '[install-docker] %s\n' "$*"; }
die() { printf '[install-docker] ERROR: %s\n' "$*" >&2; exit 1; }
# step "label" command...: runs a step, records how long it took
step() {
  local label="$1"; shift
  local t0 t1
  t0=$EPOCHREALTIME
  say "== $label"
  "$@"
  t1=$EPOCHREALTIME
  SUMMARY+=("$(awk -v a="$t0" -v b="$t1" -v l="$label" 'BEGIN { printf "%6.1fs  %s", b - a, l }')")
}

[ "$(id -u)" = 0 ] || die "run as root (it installs packages and starts dockerd)"

APT_UPDATED=""
apt_update_once() {
  if [ -z "$APT_UPDATED" ]; then
    apt-get update -qq
    APT_UPDATED=1
  fi
}

install_engine() {
  if command -v dockerd >/dev/null && command -v containerd >/dev/null && command -v runc >/dev/null; then
    say "docker.io already installed: $(dockerd --version)"
    return
  fi
  apt_update_once
  # --no-install-recommends: skips apparmor/needrestart/git, none of which the engine needs here.
  apt-get install -y -qq --no-install-recommends docker.io >/dev/null
  say "installed: $(dockerd --version)"
}

compose_works() {
  docker compose version >/dev/null 2>&1
}

install_compose_plugin() {
  local have_all=1 d
  for d in "${PLUGIN_DIRS[@]}"; do [ -x "$d/docker-compose" ] || have_all=""; done
  if [ -n "$have_all" ] && compose_works; then
    say "compose plugin present: $(docker compose version --short 2>/dev/null)"
    return
  fi
  local src=""
  # Reuse a plugin unpacked by an earlier run.
  if [ -x "$TRIXIE_DIR/unpacked/usr/libexec/docker/cli-plugins/docker-compose" ]; then
    src="$TRIXIE_DIR/unpacked/usr/libexec/docker/cli-plugins/docker-compose"
  else
    mkdir -p "$TRIXIE_DIR"/{state/lists/partial,cache/archives/partial,etc/preferences.d,etc/apt.conf.d,debs}
    cat >"$TRIXIE_DIR/etc/sources.list" <<EOF
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $TRIXIE_MIRROR trixie main
EOF
    : >"$TRIXIE_DIR/state/status"
    # A private apt: own sources, state and cache, so the system keeps seeing bookworm only.
    local apt_opts=(
      -o "Dir::Etc::SourceList=$TRIXIE_DIR/etc/sources.list"
      -o "Dir::Etc::SourceParts=$TRIXIE_DIR/etc/sources.list.d"
      -o "Dir::Etc::Preferences=$TRIXIE_DIR/etc/preferences"
      -o "Dir::Etc::PreferencesParts=$TRIXIE_DIR/etc/preferences.d"
      -o "Dir::State=$TRIXIE_DIR/state"
      -o "Dir::State::status=$TRIXIE_DIR/state/status"
      -o "Dir::Cache=$TRIXIE_DIR/cache"
      -o "APT::Architecture=amd64"
      -o "Debug::NoLocking=1"
    )
    mkdir -p "$TRIXIE_DIR/etc/sources.list.d"
    apt-get "${apt_opts[@]}" update -qq
    (cd "$TRIXIE_DIR/debs" && rm -f docker-compose_*.deb && apt-get "${apt_opts[@]}" -o APT::Sandbox::User=root download docker-compose)
    local deb
    deb=$(ls "$TRIXIE_DIR"/debs/docker-compose_*.deb | head -n1)
    [ -n "$deb" ] || die "apt-get download docker-compose (trixie) produced no .deb"
    say "downloaded $(basename "$deb")"
    rm -rf "$TRIXIE_DIR/unpacked"
    dpkg -x "$deb" "$TRIXIE_DIR/unpacked"
    src=$(find "$TRIXIE_DIR/unpacked" -type f -path '*cli-plugins/docker-compose' | head -n1)
    [ -n "$src" ] || die "no cli-plugins/docker-compose inside $deb"
  fi
  for d in "${PLUGIN_DIRS[@]}"; do
    mkdir -p "$d"
    install -m 0755 "$src" "$d/docker-compose"
  done
  compose_works || die "installed the compose plugin to ${PLUGIN_DIRS[*]} but 'docker compose version' still fails (docker is $(command -v docker))"
  say "compose plugin installed: $(docker compose version --short)"
}

engine_answers() {
  timeout 5 docker info >/dev/null 2>&1
}

start_engine() {
  if engine_answers; then
    say "engine answers: $(docker version --format 'server {{.Server.Version}}, client {{.Client.Version}}' 2>/dev/null)"
    return
  fi
  if pgrep -x dockerd >/dev/null; then
    say "dockerd is running but does not answer yet; waiting"
  else
    say "starting dockerd (log: $DOCKERD_LOG)"
    mkdir -p "$(dirname "$DOCKERD_LOG")"
    # setsid + nohup: the engine outlives this script and its terminal.
    setsid nohup dockerd >>"$DOCKERD_LOG" 2>&1 </dev/null &
  fi
  local i
  for i in $(seq 1 120); do
    if engine_answers; then
      say "engine answers after ~$((i / 2))s: $(docker version --format 'server {{.Server.Version}}, client {{.Client.Version}}' 2>/dev/null)"
      return
    fi
    if ! pgrep -x dockerd >/dev/null; then
      tail -n 20 "$DOCKERD_LOG" >&2 || true
      die "dockerd exited during start-up (last lines of $DOCKERD_LOG above)"
    fi
    sleep 0.5
  done
  tail -n 20 "$DOCKERD_LOG" >&2 || true
  die "dockerd did not answer 'docker info' within 60 s (log: $DOCKERD_LOG)"
}

build_images() {
  bash "$REPO_ROOT/platform/src/runtimes/docker/host-images/build-host-images.sh" $FORCE
}

step "engine (docker.io from bookworm)" install_engine
step "compose v2 plugin (trixie docker-compose)" install_compose_plugin
step "start engine" start_engine
step "host images" build_images

say "done in $(awk -v a="$T_ALL" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')s"
for line in "${SUMMARY[@]}"; do say "$line"; done
say "docker: $(command -v docker) — $(docker version --format 'client {{.Client.Version}} (API {{.Client.APIVersion}}), server {{.Server.Version}} (API {{.Server.APIVersion}})' 2>/dev/null)"
say "compose: $(docker compose version --short)"
