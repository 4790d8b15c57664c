#!/usr/bin/env bash
# Refreshes the demo recording that `npm run demo` replays: a real valkey-server on a free loopback
# port, `npm run traffic` (real client libraries of several ages and languages) against it, and
# redis-recon recording the session headless. Needs what scripts/provision.sh and
# scripts/provision-traffic.sh install. Usage: scripts/record-demo.sh [SECONDS=90]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-90}
out=data/demo/demo-session.jsonl.gz
port=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
dir=$(mktemp -d)
valkey-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$dir" --daemonize no --logfile "$dir/log" &
server=$!
trap 'kill $server $traffic 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$dir"' EXIT
until valkey-cli -p "$port" ping >/dev/null 2>&1; do sleep 0.05; done
url="redis://127.0.0.1:$port"
node --import tsx scripts/traffic.ts --url "$url" --duration "$((seconds + 10))s" 2>"$dir/traffic.log" &
traffic=$!
sleep 3 # let every service connect and warm up, so the recording opens on a busy server
node --import tsx src/cli.ts --url "$url" --headless --duration "${seconds}s" --record "$out.tmp" --export "$dir/inventory.json"
mv "$out.tmp" "$out"
kill $traffic 2>/dev/null || true
echo "wrote $out ($(du -h "$out" | cut -f1)); services seen:"
node -e "const i=require('$dir/inventory.json'); console.log([...new Set(i.clients.map(c=>c.name||'(unnamed)'))].join(', '))"
