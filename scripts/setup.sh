#!/usr/bin/env bash
# One-step setup for a fresh Debian/Ubuntu machine (also what CI runs): the system packages nst can use, then npm ci.
# Without root or sudo the system packages are skipped with a note; nst still works on its pure-JS path, only slower.
set -uo pipefail
cd "$(dirname "$0")/.."

# libdnnl-dev: oneDNN, for the native CPU kernels (the fast path without a GPU).
# chromium: the headless browser the web-export test drives (NST_SETUP_BROWSER=0 skips it).
# redis-server: the queue tests start their own on 127.0.0.1 (nst worker / nst submit run on BullMQ over Redis).
packages=(libdnnl-dev redis-server)
[ "${NST_SETUP_BROWSER:-1}" = 1 ] && packages+=(chromium)

missing=()
if command -v dpkg >/dev/null 2>&1; then
  for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
fi
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then sudo=""; elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo"; else sudo="none"; fi
  if [ "$sudo" = none ]; then
    echo "setup: cannot install ${missing[*]} (not root, no sudo); run: sudo apt-get install ${missing[*]}"
  else
    echo "setup: installing ${missing[*]} with apt-get"
    # Wait for another apt (unattended upgrades, a second setup) rather than fail on its lock.
    lock=(-o DPkg::Lock::Timeout=600)
    if ! { $sudo apt-get "${lock[@]}" update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get "${lock[@]}" install -y -qq "${missing[@]}"; } >/tmp/nst-setup-apt.log 2>&1; then
      echo "setup: apt-get failed (see /tmp/nst-setup-apt.log); continuing without ${missing[*]}"
    fi
  fi
fi

npm ci --no-audit --no-fund
