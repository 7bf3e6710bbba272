#!/usr/bin/env bash
# Runs the README's two set-up commands, `make run` and `make test`, on a fresh
# Debian 12 (bookworm): a minimal root made with debootstrap, a clean clone of
# this checkout's HEAD in it, each command run there under chroot. Prints each
# command's exit status and duration; exits 0 only when both exit 0.
#
#   sudo scripts/check-fresh-machine.sh [--keep] [--root DIR] [--mirror URL]
#
# The root sees the package mirror this machine's apt uses (its sources lists
# and its Acquire:: settings are copied in), and nothing else of this machine:
# no package installed here, no build, no results; of its environment only
# OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE, where set (the CPU's OpenBLAS settings). The minimal root has `make`
# added (a Debian machine without it needs `apt-get install make` first; the
# README says so). About 30 minutes on 2 cores: debootstrap, the Debian
# packages scripts/install-deps.sh installs, a Release build, the default
# suite and the whole test suite. Logs: ROOT/trainbench-*.log (kept with --keep).
set -euo pipefail

keep=0
root=""
mirror=""
while [ $# -gt 0 ]; do
  case "$1" in
    --keep) keep=1 ;;
    --root) root="$2"; shift ;;
    --mirror) mirror="$2"; shift ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "check-fresh-machine: unknown argument '$1': expected --keep, --root DIR or --mirror URL" >&2; exit 2 ;;
  esac
  shift
done

[ "$(id -u)" -eq 0 ] || { echo "check-fresh-machine: needs root (debootstrap, chroot, mounts): run it with sudo" >&2; exit 2; }
repo="$(git -C "$(dirname "$0")/.." rev-parse --show-toplevel)"
commit="$(git -C "$repo" rev-parse --short HEAD)"
if ! command -v debootstrap >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
fi
if [ -z "$mirror" ]; then  # the first Debian archive this machine's apt uses
  mirror="$(grep -hoE '^(URIs:|deb) *[^ ]+' /etc/apt/sources.list /etc/apt/sources.list.d/*.sources \
              /etc/apt/sources.list.d/*.list 2>/dev/null | awk '{print $2}' | grep -v security | head -n 1 || true)"
  mirror="${mirror:-http://deb.debian.org/debian}"
fi
[ -n "$root" ] || root="$(mktemp -d /var/tmp/trainbench-fresh.XXXXXX)"
mkdir -p "$root"

mounted=()
cleanup() {
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -l "${mounted[$i]}" 2>/dev/null || true; done
  if [ "$keep" -eq 0 ]; then rm -rf --one-file-system "$root"; else echo "check-fresh-machine: root kept in $root"; fi
}
trap cleanup EXIT

step() { printf 'check-fresh-machine: %s\n' "$*"; }

step "debootstrap bookworm (minbase + make) from $mirror into $root"
t0=$(date +%s)
debootstrap --variant=minbase --include=make bookworm "$root" "$mirror" >"$root.debootstrap.log" 2>&1 ||
  { tail -n 20 "$root.debootstrap.log" >&2; exit 1; }
mv "$root.debootstrap.log" "$root/trainbench-debootstrap.log"
step "debootstrap done in $(( $(date +%s) - t0 )) s"

# The same mirror configuration as this machine: sources lists and Acquire:: settings only.
rm -f "$root/etc/apt/sources.list"
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list; do
  [ -f "$f" ] && cp "$f" "$root$f"
done
for f in /etc/apt/apt.conf.d/*; do
  [ -f "$f" ] && grep -q '^Acquire::' "$f" && cp "$f" "$root$f"
done
cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true

for m in proc sys dev dev/pts dev/shm; do
  mkdir -p "$root/$m"
  case "$m" in
    proc) mount -t proc proc "$root/proc" ;;
    sys) mount -t sysfs sys "$root/sys" ;;
    dev/shm) mount -t tmpfs shm "$root/dev/shm" ;;
    *) mount --bind "/$m" "$root/$m" ;;
  esac
  mounted+=("$root/$m")
done

step "clean clone of HEAD ($commit) into /trainbench"
git clone -q --no-hardlinks "$repo" "$root/trainbench"
git -C "$root/trainbench" checkout -q "$commit"

# What this machine sets for its CPU (OpenBLAS's core choice, see the README's
# "OpenBLAS and the environment") goes along, as it would on the machine itself.
machine_env=()
for v in OPENBLAS_CORETYPE OPENBLAS_L2_SIZE; do
  [ -n "${!v:-}" ] && machine_env+=("$v=${!v}")
done

status=0
run_in_root() {  # NAME COMMAND...: runs COMMAND in /trainbench inside the root, logs, prints status and time
  local name="$1"; shift
  local start end rc
  start=$(date +%s)
  set +e
  chroot "$root" /usr/bin/env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    LANG=C.UTF-8 TERM=dumb "${machine_env[@]}" /bin/sh -c "cd /trainbench && $*" >"$root/trainbench-$name.log" 2>&1
  rc=$?
  set -e
  end=$(date +%s)
  printf 'check-fresh-machine: %-10s exit %d in %d s (log: %s)\n' "$*" "$rc" "$((end - start))" "$root/trainbench-$name.log"
  if [ "$rc" -ne 0 ]; then tail -n 30 "$root/trainbench-$name.log" | sed 's/^/  | /'; status=1; fi
}
run_in_root run make run
run_in_root test make test

grep -E 'tests passed|tests failed' "$root/trainbench-test.log" | tail -n 1 | sed 's/^/check-fresh-machine: make test: /' || true
if [ "$status" -eq 0 ]; then step "both README commands exit 0 on a fresh Debian 12 ($commit)"; fi
exit "$status"
