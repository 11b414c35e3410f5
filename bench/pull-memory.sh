#!/usr/bin/env bash
# Time and peak memory (RSS) of `refbatch pull` for 20,000 and 100,000
# referrals, against `refbatch sandbox` in its own process on loopback:
# the referrals are made by a run first, then pulled into a new journal
# (the mirror's full listing and the workbook) and pulled again
# (incremental). Pull streams from the mirror, so the peaks should be
# within 1.5x of each other.
#
#   bench/pull-memory.sh            (needs GNU time at /usr/bin/time)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${BENCH_OUT:-bench/out/pull}
mkdir -p "$out"
go build -o "$out/refbatch" ./cmd/refbatch
port=18950
for n in 20000 100000; do
  port=$((port + 1))
  go run ./bench/gencsv -rows "$n" -out "$out/$n.csv"
  rm -f "$out/$n-run.db"* "$out/$n-pull.db"* "$out/$n.xlsx"
  "$out/refbatch" sandbox --addr "127.0.0.1:$port" --quiet >/dev/null 2>&1 &
  sb=$!
  sleep 1
  REFBATCH_TOKEN=t "$out/refbatch" run --quiet --settle 1s --endpoint "http://127.0.0.1:$port" \
    --journal "$out/$n-run.db" "$out/$n.csv" >/dev/null
  for what in first again; do
    REFBATCH_TOKEN=t /usr/bin/time -f "pull ($what) $n referrals: %e s, peak RSS %M KB" "$out/refbatch" pull --force \
      --endpoint "http://127.0.0.1:$port" --journal "$out/$n-pull.db" --out "$out/$n.xlsx" 2>&1 >/dev/null | tail -1
  done
  ls -l "$out/$n.xlsx" | awk -v n="$n" '{printf "workbook of %s referrals: %.1f MB\n", n, $5/1e6}'
  kill "$sb"; wait "$sb" 2>/dev/null || true
done
