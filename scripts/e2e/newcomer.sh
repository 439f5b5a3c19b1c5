#!/bin/sh
# The newcomer's first hour, for real: a fresh clone of this repository (its committed HEAD), run as
# user nobody with an empty HOME (so an empty npm cache), with tracefs and debugfs unmounted (in a
# private mount namespace: nothing on the host changes) and every core kept busy (one `yes` per
# core), running the README's test command `npm ci && bash scripts/debian/fetch.sh && npm test`
# step by step. Prints how long each step took and how much it downloaded; exits with the first
# failing step's status. Needs root (the mount namespace and runuser).
#
#   sh scripts/e2e/newcomer.sh [--no-load] [--fresh-debs] [--e2e-install] [--keep]
#     --fresh-debs   download the Debian kernel packages from deb.debian.org instead of copying
#                    them from /work/cache/debs (fetch.sh's BPF_ATLAS_DEB_CACHE)
#     --e2e-install  also run `npm run e2e:install` (its apt step is skipped when the packages
#                    are there; it cannot run as nobody)
#     --keep         keep the work folder (default: removed when every step passed)
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
load=1 fresh_debs=0 e2e=0 keep=0
for a in "$@"; do
  case "$a" in
    --no-load) load=0 ;;
    --fresh-debs) fresh_debs=1 ;;
    --e2e-install) e2e=1 ;;
    --keep) keep=1 ;;
    *) echo "usage: $0 [--no-load] [--fresh-debs] [--e2e-install] [--keep]" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" -eq 0 ] || { echo "newcomer.sh: needs root (mount namespace, runuser)" >&2; exit 2; }

work=$(mktemp -d /tmp/newcomer.XXXXXX)
git clone -q "$root" "$work/repo"
echo "newcomer: $(git -C "$work/repo" log --oneline -1) in $work/repo, as nobody, HOME=$work/home"
mkdir "$work/home"
chown -R nobody "$work"
chmod 755 "$work"

pids=""
cleanup() {
  for p in $pids; do kill "$p" 2>/dev/null || true; done
}
trap cleanup EXIT INT TERM
if [ "$load" -eq 1 ]; then
  for _ in $(seq "$(nproc)"); do
    yes > /dev/null &
    pids="$pids $!"
  done
  echo "newcomer: load: $(nproc) busy loops (yes > /dev/null)"
fi

debcache=/work/cache/debs
[ "$fresh_debs" -eq 1 ] && debcache=/nonexistent

# One step: runs as nobody in the namespace without tracefs; prints its time and its status.
step() {
  name=$1
  shift
  start=$(date +%s)
  status=0
  unshare -m --propagation private sh -c '
    for m in /sys/kernel/tracing /sys/kernel/debug/tracing /sys/kernel/debug; do
      umount -l "$m" 2>/dev/null || true
    done
    exec runuser -u nobody -- "$@"' sh \
    env -i HOME="$work/home" PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 BPF_ATLAS_DEB_CACHE="$debcache" \
    sh -c "cd '$work/repo' && $*" > "$work/$name.log" 2>&1 || status=$?
  secs=$(( $(date +%s) - start ))
  echo "newcomer: $name: exit $status in $((secs / 60)) min $((secs % 60)) s (log: $work/$name.log)"
  return "$status"
}

cache_bytes() { du -sb "$work/home/.npm" 2>/dev/null | cut -f1 || echo 0; }
mb() { awk "BEGIN { printf \"%.0f MB\", $1 / 1e6 }"; }

failed=0
before=$(cache_bytes)
step npm-ci npm ci || failed=1
echo "newcomer: npm ci downloaded $(mb $(( $(cache_bytes) - before ))) (npm cache)"
if [ "$failed" -eq 0 ]; then
  step fetch-debs bash scripts/debian/fetch.sh || failed=1
  echo "newcomer: fetch.sh: $(mb "$(du -sb "$work/repo/.cache/debs" | cut -f1)") of Debian packages ($([ "$fresh_debs" -eq 1 ] && echo downloaded || echo "copied from $debcache"))"
fi
if [ "$failed" -eq 0 ]; then
  step npm-test npm test || failed=1
  grep -E "^# (tests|pass|fail|skipped|todo)" "$work/npm-test.log" | sed 's/^/newcomer: npm test: /' || true
  grep -E "^ *# Subtest:|^ *ok .*# SKIP" "$work/npm-test.log" | grep -B1 "# SKIP" | grep "ok " | sed 's/^ */newcomer: skipped: /' || true
  grep -E "^ *not ok" "$work/npm-test.log" | sed 's/^ */newcomer: FAILED: /' || true
fi
if [ "$failed" -eq 0 ] && [ "$e2e" -eq 1 ]; then
  before=$(cache_bytes)
  step e2e-install npm run e2e:install || failed=1
  echo "newcomer: e2e:install downloaded $(mb $(( $(cache_bytes) - before ))) (npm cache; apt packages not counted)"
fi
if [ "$failed" -eq 0 ] && [ "$keep" -eq 0 ]; then rm -rf "$work"; else echo "newcomer: work folder kept: $work"; fi
exit "$failed"
