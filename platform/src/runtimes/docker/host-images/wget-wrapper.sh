#!/bin/sh
# /usr/bin/wget in the kit's host-built images. Debian bookworm's busybox-static (1.35) wget crashes (SIGSEGV) on
# `-T N`, which healthchecks use a lot; this applies the timeout with `timeout` instead and hands the rest to busybox.
t=""
n=$#
while [ "$n" -gt 0 ]; do
  a=$1; shift; n=$((n - 1))
  case "$a" in
    -T|--timeout) t=${1:-}; [ "$n" -gt 0 ] && { shift; n=$((n - 1)); } ;;
    -T*) t=${a#-T} ;;
    --timeout=*) t=${a#--timeout=} ;;
    *) set -- "$@" "$a" ;;
  esac
done
if [ -n "$t" ]; then exec busybox timeout "$t" busybox wget "$@"; fi
exec busybox wget "$@"
