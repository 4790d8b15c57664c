#!/usr/bin/env bash
# redis-recon next to redis-faina (the classic offline MONITOR analyser) on the same capture, in
# paired runs (one of each, alternating), reporting each run's wall time and peak RSS and the
# medians. redis-faina is not part of this project: fetch it yourself and point FAINA at its
# redis-faina.py, and PYTHON2 at a Python 2.7 (it is a Python 2 script).
#   FAINA=/path/redis-faina.py PYTHON2=python2.7 bash bench/vs-faina.sh CAPTURE [RUNS=3]
# redis-recon runs the built package (npm run build first), as `npx redis-recon` would.
set -euo pipefail
capture=${1:?usage: FAINA=… PYTHON2=… bash bench/vs-faina.sh CAPTURE [RUNS]}
runs=${2:-3}
here=$(cd "$(dirname "$0")/.." && pwd)
: "${FAINA:?set FAINA to redis-faina.py}"
: "${PYTHON2:=python2.7}"
[ -f "$here/dist/src/cli.js" ] || { echo "build first: npm run build" >&2; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

measure() { # label command...
  local label=$1; shift
  /usr/bin/time -f "%e %M" -o "$out/t" "$@" >/dev/null 2>"$out/err" || { cat "$out/err" >&2; exit 1; }
  read -r secs kb < "$out/t"
  echo "$label $secs $kb" | tee -a "$out/all"
}

lines=$(wc -l < "$capture")
for i in $(seq 1 "$runs"); do
  measure redis-recon node "$here/dist/src/cli.js" --monitor-log "$capture" --headless --export "$out/inv.json"
  measure redis-faina "$PYTHON2" "$FAINA" "$capture"
done
node -e '
const rows = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map((l) => l.split(" "));
const lines = Number(process.argv[2]);
const med = (a) => { const s = [...a].sort((x, y) => x - y); return s[Math.floor(s.length / 2)]; };
const out = {};
for (const tool of ["redis-recon", "redis-faina"]) {
  const mine = rows.filter((r) => r[0] === tool);
  const secs = med(mine.map((r) => Number(r[1])));
  const mb = med(mine.map((r) => Number(r[2]) / 1024));
  out[tool] = { medianSeconds: secs, linesPerSecond: Math.round(lines / secs), medianPeakRssMB: Math.round(mb) };
}
out.speedup = +(out["redis-faina"].medianSeconds / out["redis-recon"].medianSeconds).toFixed(2);
out.memoryRatio = +(out["redis-faina"].medianPeakRssMB / out["redis-recon"].medianPeakRssMB).toFixed(2);
console.log(JSON.stringify(out));
' "$out/all" "$lines"
