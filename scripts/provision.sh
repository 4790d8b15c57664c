#!/usr/bin/env bash
# Installs what the integration tests run for real: redis-server 7.0 (Debian bookworm),
# valkey-server 8.0 (bookworm-backports), tmux (drives the dashboard in a terminal) and openssl
# (makes the TLS test's certificates). Idempotent: does nothing when all are already installed.
# Backports are enabled by copying this machine's own Debian apt source and changing its suite, so
# no registry host name is written here.
set -euo pipefail

have() { command -v "$1" >/dev/null 2>&1; }
if have redis-server && have valkey-server && have tmux && have openssl; then exit 0; fi

if [ "$(id -u)" != 0 ]; then
  echo "provision-servers: need root to apt-get install redis-server, valkey-server, tmux and openssl" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive

backports=/etc/apt/sources.list.d/redis-recon-backports.sources
if [ ! -f "$backports" ]; then
  src=/etc/apt/sources.list.d/debian.sources
  if [ -f "$src" ]; then
    # deb822 format: keep the first stanza (the main archive) and point it at bookworm-backports.
    awk 'BEGIN{RS=""; ORS="\n\n"} NR==1' "$src" \
      | sed -E 's/^Suites:.*/Suites: bookworm-backports/' > "$backports"
  elif [ -f /etc/apt/sources.list ]; then
    grep -E '^deb ' /etc/apt/sources.list | grep -v security | head -n1 \
      | awk '{$3="bookworm-backports"; print}' > /etc/apt/sources.list.d/redis-recon-backports.list
  else
    echo "provision-servers: found no Debian apt source to copy for bookworm-backports" >&2
    exit 1
  fi
fi

apt-get update -qq
# policy-rc.d keeps the packages from starting system services: tests start their own servers.
printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
trap 'rm -f /usr/sbin/policy-rc.d' EXIT
missing=()
have redis-server || missing+=(redis-server redis-tools)
have tmux || missing+=(tmux)
have openssl || missing+=(openssl)
[ ${#missing[@]} -eq 0 ] || apt-get install -y -qq --no-install-recommends "${missing[@]}"
have valkey-server || apt-get install -y -qq --no-install-recommends -t bookworm-backports valkey-server valkey-tools
redis-server --version
valkey-server --version
