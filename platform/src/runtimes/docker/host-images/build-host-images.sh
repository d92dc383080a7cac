#!/usr/bin/env bash
# Build the kit's offline base images from this machine's own files (no registry needed):
#
#   tall/node:20       the host's `node` + the libraries ldd lists, busybox (sh, wget), a non-root `node` user
#   tall/postgres:15   the host's PostgreSQL 15 + its libraries, busybox, a non-root `postgres` user, and an
#                      entrypoint that honours POSTGRES_USER / POSTGRES_PASSWORD / POSTGRES_DB / PGDATA
#
# Each image is a root filesystem assembled in a temp dir and fed to `docker import`. Where a registry answers the
# public images (node:20-slim, postgres:15) are used; these are for machines none answers: `tall up` then builds
# FROM tall/node:20, running this script itself when that image is missing (on Linux, as root).
# Needs root (it sets file owners inside the images; busybox is cached in /var/cache), a Docker engine, and apt to
# fetch busybox the first time.
#
#   build-host-images.sh [--force] [node] [postgres]    (default: both; an image that exists is skipped unless --force)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
FORCE=""
WANT=()
for a in "$@"; do
  case "$a" in
    --force) FORCE=1 ;;
    node|postgres) WANT+=("$a") ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "unknown argument: $a" >&2; exit 2 ;;
  esac
done
[ ${#WANT[@]} -gt 0 ] || WANT=(node postgres)

NODE_IMAGE="${TALL_NODE_IMAGE_NAME:-tall/node:20}"
PG_IMAGE="${TALL_POSTGRES_IMAGE_NAME:-tall/postgres:15}"
PG_MAJOR=15
CACHE="${TALL_HOST_IMAGES_CACHE:-/var/cache/tall-host-images}"
export DEBIAN_FRONTEND=noninteractive

say() { printf '[host-images] %s\n' "$*"; }
die() { printf '[host-images] ERROR: %s\n' "$*" >&2; exit 1; }
elapsed() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1fs", b - a }'; }

command -v docker >/dev/null || die "no docker client on PATH (run .ci/install-docker.sh)"
timeout 5 docker info >/dev/null 2>&1 || die "no Docker engine answers 'docker info' (run .ci/install-docker.sh)"

WORK="$(mktemp -d /tmp/tall-host-images.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT

# --- helpers --------------------------------------------------------------------------------------------

# Debian's (dynamically linked) busybox package, unpacked into a cache with `apt-get download` + `dpkg -x` (the
# host's packages are left alone). Not busybox-static: its shell runs applets before looking at PATH
# (FEATURE_SH_STANDALONE), so `sh -c "wget ..."` could never reach the wget wrapper below.
BUSYBOX=""
find_busybox() {
  [ -z "$BUSYBOX" ] || return 0
  if [ ! -x "$CACHE/busybox/bin/busybox" ]; then
    mkdir -p "$CACHE/debs"
    (cd "$CACHE/debs" && rm -f busybox_*.deb \
      && { apt-get -o APT::Sandbox::User=root download busybox >/dev/null 2>&1 || { apt-get update -qq && apt-get -o APT::Sandbox::User=root download busybox >/dev/null; }; })
    rm -rf "$CACHE/busybox"
    dpkg -x "$CACHE"/debs/busybox_*.deb "$CACHE/busybox"
    [ -x "$CACHE/busybox/bin/busybox" ] || die "could not get busybox (apt-get download busybox)"
    say "busybox unpacked to $CACHE/busybox"
  fi
  BUSYBOX="$CACHE/busybox/bin/busybox"
}

# new_root DIR: an empty root filesystem with the host's merged-/usr layout, busybox applets and /tmp.
new_root() {
  local root="$1" d
  mkdir -p "$root"/{etc,tmp,root,usr/bin,usr/sbin,usr/local/bin,var/tmp}
  chmod 1777 "$root/tmp" "$root/var/tmp"
  chmod 700 "$root/root"
  for d in bin sbin lib lib32 lib64 libx32; do
    if [ -L "/$d" ]; then ln -s "$(readlink "/$d")" "$root/$d"; fi
  done
  find_busybox
  install -D -m 0755 "$BUSYBOX" "$root/usr/bin/busybox"
  add_libs "$root" "$BUSYBOX"
  local applet
  while read -r applet; do
    [ -n "$applet" ] || continue
    local dest="$root/$applet"
    # resolve through the merged-/usr symlinks (e.g. bin/sh -> usr/bin/sh)
    case "$applet" in bin/*|sbin/*) [ -L "$root/${applet%%/*}" ] && dest="$root/usr/$applet" ;; esac
    mkdir -p "$(dirname "$dest")"
    [ -e "$dest" ] || ln -s /usr/bin/busybox "$dest"
  done < <("$BUSYBOX" --list-full)
  # busybox 1.35's `wget -T` segfaults; the wrapper does timeouts with `timeout`
  rm -f "$root/usr/bin/wget"
  install -m 0755 "$HERE/wget-wrapper.sh" "$root/usr/bin/wget"
  printf 'hosts: files dns\n' >"$root/etc/nsswitch.conf"
}

# add_path ROOT PATH: copy PATH's content into ROOT at the same path (following symlinks, keeping the name).
add_path() {
  local root="$1" p="$2"
  local dir real_dir
  dir="$(dirname "$p")"
  real_dir="$(readlink -f "$dir")"
  mkdir -p "$root$real_dir"
  cp -L --preserve=mode "$p" "$root$real_dir/$(basename "$p")"
}

# add_libs ROOT FILE...: the shared libraries (and the loader) that ldd lists for each FILE.
add_libs() {
  local root="$1"; shift
  local f lib
  for f in "$@"; do
    while read -r lib; do
      [ -n "$lib" ] || continue
      [ -e "$root$lib" ] || add_path "$root" "$lib"
    done < <(ldd "$f" 2>/dev/null | awk '/=> \// { print $3 } /^[ \t]*\/[^ ]+ \(/ { print $1 }' | sort -u)
  done
}

# Changes to these files rebuild the images even without --force.
RECIPE="$(cat "$HERE/build-host-images.sh" "$HERE/wget-wrapper.sh" "$HERE/postgres-entrypoint.sh" | sha256sum | cut -c1-12)"

image_label() { docker image inspect --format "{{ index .Config.Labels \"$2\" }}" "$1" 2>/dev/null || true; }

# import ROOT IMAGE CHANGE...: docker import of ROOT with Dockerfile-style changes
import_root() {
  local root="$1" image="$2"; shift 2
  local changes=() c
  for c in "$@"; do changes+=(--change "$c"); done
  tar --numeric-owner -C "$root" -c . | docker import "${changes[@]}" - "$image" >/dev/null
  say "$image: $(docker image inspect --format '{{.Size}}' "$image" | awk '{ printf "%.0f MB", $1 / 1e6 }')"
}

# --- tall/node:20 ---------------------------------------------------------------------------------------
build_node() {
  local t0=$EPOCHREALTIME
  local node_bin node_version
  node_bin="$(command -v node)" || die "no node on PATH"
  node_bin="$(readlink -f "$node_bin")"
  node_version="$("$node_bin" --version)"
  if [ -z "$FORCE" ] && [ "$(image_label "$NODE_IMAGE" tall.host-node)" = "$node_version/$RECIPE" ]; then
    say "$NODE_IMAGE exists (node $node_version); skipped (--force rebuilds)"
    return
  fi
  local root="$WORK/node"
  new_root "$root"
  install -m 0755 "$node_bin" "$root/usr/local/bin/node"
  add_libs "$root" "$node_bin"
  cat >"$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
node:x:1000:1000::/home/node:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
EOF
  cat >"$root/etc/group" <<'EOF'
root:x:0:
node:x:1000:
nogroup:x:65534:
EOF
  mkdir -p "$root/home/node"
  chown 1000:1000 "$root/home/node"
  import_root "$root" "$NODE_IMAGE" \
    "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
    "ENV NODE_VERSION=${node_version#v}" \
    "LABEL tall.host-node=$node_version/$RECIPE" \
    "LABEL org.opencontainers.image.description=\"node from the host, built by the Tall Enough kit\"" \
    'CMD ["node"]'
  docker run --rm --network none "$NODE_IMAGE" node -e 'process.stdout.write("node " + process.version + " runs\n")' \
    | sed 's/^/[host-images] check: /' || die "$NODE_IMAGE was built but 'node -e' fails in it"
  say "$NODE_IMAGE built in $(elapsed "$t0")"
}

# --- tall/postgres:15 -----------------------------------------------------------------------------------
build_postgres() {
  local t0=$EPOCHREALTIME
  local pg_lib="/usr/lib/postgresql/$PG_MAJOR" pg_share="/usr/share/postgresql/$PG_MAJOR"
  if [ ! -x "$pg_lib/bin/postgres" ] || [ ! -x "$pg_lib/bin/psql" ]; then
    say "installing postgresql-$PG_MAJOR from apt (host server is kept stopped)"
    # Debian starts a cluster on install; policy-rc.d would change system policy, so stop it afterwards instead.
    apt-get install -y -qq --no-install-recommends "postgresql-$PG_MAJOR" "postgresql-client-$PG_MAJOR" >/dev/null 2>&1 \
      || { apt-get update -qq && apt-get install -y -qq --no-install-recommends "postgresql-$PG_MAJOR" "postgresql-client-$PG_MAJOR" >/dev/null; }
    if command -v pg_ctlcluster >/dev/null; then pg_ctlcluster "$PG_MAJOR" main stop >/dev/null 2>&1 || true; fi
  fi
  local pg_version
  pg_version="$("$pg_lib/bin/postgres" --version | awk "{ print \$3 }")"
  if [ -z "$FORCE" ] && [ "$(image_label "$PG_IMAGE" tall.host-postgres)" = "$pg_version/$RECIPE" ]; then
    say "$PG_IMAGE exists ($pg_version); skipped (--force rebuilds)"
    return
  fi
  local root="$WORK/postgres"
  new_root "$root"
  mkdir -p "$root/usr/lib/postgresql" "$root/usr/share/postgresql"
  cp -a "$pg_lib" "$root/usr/lib/postgresql/"
  cp -a "$pg_share" "$root/usr/share/postgresql/"
  # No JIT: llvmjit pulls in libLLVM (~100 MB). Without the provider PostgreSQL just runs without JIT.
  rm -rf "$root$pg_lib"/lib/llvmjit* "$root$pg_lib/lib/bitcode"
  # Debian builds PostgreSQL with the system tz database
  if [ -d /usr/share/zoneinfo ]; then mkdir -p "$root/usr/share"; cp -a /usr/share/zoneinfo "$root/usr/share/"; fi
  # Libraries of every binary and loadable module
  local elfs=()
  mapfile -t elfs < <(find "$root$pg_lib" -type f \( -perm -u+x -o -name '*.so' \) -print)
  add_libs "$root" "${elfs[@]}"
  cat >"$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
postgres:x:999:999::/var/lib/postgresql:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
EOF
  cat >"$root/etc/group" <<'EOF'
root:x:0:
postgres:x:999:
nogroup:x:65534:
EOF
  printf '/bin/sh\n' >"$root/etc/shells"
  mkdir -p "$root/var/lib/postgresql/data" "$root/var/run/postgresql" "$root/docker-entrypoint-initdb.d"
  chown -R 999:999 "$root/var/lib/postgresql" "$root/var/run/postgresql"
  chmod 700 "$root/var/lib/postgresql/data"
  chmod 3777 "$root/var/run/postgresql"
  install -m 0755 "$HERE/postgres-entrypoint.sh" "$root/usr/local/bin/docker-entrypoint.sh"
  import_root "$root" "$PG_IMAGE" \
    "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$pg_lib/bin" \
    "ENV PG_MAJOR=$PG_MAJOR" \
    "ENV PGDATA=/var/lib/postgresql/data" \
    "LABEL tall.host-postgres=$pg_version/$RECIPE" \
    "LABEL org.opencontainers.image.description=\"PostgreSQL $PG_MAJOR from the host, built by the Tall Enough kit\"" \
    "EXPOSE 5432" \
    'ENTRYPOINT ["docker-entrypoint.sh"]' \
    'CMD ["postgres"]'
  # SIGINT = postgres "fast shutdown", as in the official image. `docker import` on older engines refuses
  # STOPSIGNAL, so it goes on in a one-line build on top of the import (legacy builder: no buildx needed).
  printf 'FROM %s\nSTOPSIGNAL SIGINT\n' "$PG_IMAGE" | DOCKER_BUILDKIT=0 docker build -q -t "$PG_IMAGE" - >/dev/null 2>"$WORK/build.err" \
    || { cat "$WORK/build.err" >&2; die "could not set STOPSIGNAL on $PG_IMAGE"; }
  docker run --rm --network none --entrypoint postgres "$PG_IMAGE" --version \
    | sed 's/^/[host-images] check: /' || die "$PG_IMAGE was built but 'postgres --version' fails in it"
  say "$PG_IMAGE built in $(elapsed "$t0")"
}

for w in "${WANT[@]}"; do
  case "$w" in
    node) build_node ;;
    postgres) build_postgres ;;
  esac
done
