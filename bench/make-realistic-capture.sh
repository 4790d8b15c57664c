#!/usr/bin/env bash
# Records the realistic MONITOR capture the offline targets are checked on (issue 9): a valkey-server
# on a free loopback port, `valkey-cli monitor` writing to a file, the demo traffic of real client
# libraries (`npm run traffic`: node-redis, ioredis, iovalkey, redis-py, redis-rb, Redis.pm, phpredis,
# Lua scripts, MULTI/EXEC, ids in keys) running throughout, and valkey-benchmark driving the mixed
# command set `set,get,incr,lpush,rpop,sadd,hset,spop,zadd,mset` over 1M random ids, until the
# capture holds the requested number of lines. Everything stays on 127.0.0.1 and stops by itself.
# Usage: bench/make-realistic-capture.sh OUT_FILE [LINES=2000000]
set -euo pipefail
out=${1:?usage: bench/make-realistic-capture.sh OUT_FILE [LINES]}
want=${2:-2000000}
here=$(cd "$(dirname "$0")/.." && pwd)
port=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
dir=$(mktemp -d)
valkey-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$dir" --daemonize no --logfile "$dir/log" &
srv=$!
mon=''
traffic=''
trap 'kill $traffic $mon $srv 2>/dev/null || true; rm -rf "$dir"' EXIT
until valkey-cli -p "$port" ping >/dev/null 2>&1; do sleep 0.05; done
valkey-cli -p "$port" monitor > "$out" &
mon=$!
(cd "$here" && exec node --import tsx scripts/traffic.ts --url "redis://127.0.0.1:$port" --duration 10m --rate 10) >"$dir/traffic.log" 2>&1 &
traffic=$!
sleep 5
# Ten tests share the line budget (MSET sends 10 keys per line, so it gets the same number of calls).
per=$(( want * 9 / 10 / 10 ))
valkey-benchmark -p "$port" -P 16 -c 20 -r 1000000 -n "$per" -t set,get,incr,lpush,rpop,sadd,hset,spop,zadd,mset -q | tr "\r" "\n" | grep "requests per second" || true
# Let the libraries add their share until the capture holds what was asked.
while [ "$(wc -l < "$out")" -lt "$want" ]; do sleep 1; done
kill $mon
wait $mon 2>/dev/null || true
kill $traffic 2>/dev/null || true
head -n "$want" "$out" > "$out.tmp" && mv "$out.tmp" "$out"
echo "wrote $(wc -l < "$out") lines, $(du -h "$out" | cut -f1) to $out"
