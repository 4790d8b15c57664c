#!/usr/bin/env bash
# Records a large, real MONITOR capture for bench/parse-aggregate.ts: a valkey-server on a free
# loopback port, `valkey-cli monitor` writing to a file, and valkey-benchmark driving SET/GET/HSET/
# LPUSH/INCR over ~1M distinct keys until the capture holds the requested number of lines.
# Usage: bench/make-capture.sh OUT_FILE [LINES=10000000]
set -euo pipefail
out=${1:?usage: bench/make-capture.sh OUT_FILE [LINES]}
want=${2:-10000000}
port=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
dir=$(mktemp -d)
valkey-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$dir" --daemonize no --logfile "$dir/log" &
srv=$!
trap 'kill $srv $mon 2>/dev/null || true; rm -rf "$dir"' EXIT
until valkey-cli -p "$port" ping >/dev/null 2>&1; do sleep 0.05; done
valkey-cli -p "$port" monitor > "$out" &
mon=$!
sleep 0.3
# Each test sends n requests; five tests share the line budget. -r spreads keys over 1M ids.
per=$(( want / 5 ))
valkey-benchmark -p "$port" -P 16 -c 20 -r 1000000 -n "$per" -t set,get,hset,lpush,incr -q | tr "\r" "\n" | grep "requests per second"
sleep 1
kill $mon
wait $mon 2>/dev/null || true
echo "wrote $(wc -l < "$out") lines, $(du -h "$out" | cut -f1) to $out"
