#!/usr/bin/env bash
# Peak memory (RSS) of `refbatch run`, and of `resume` after a kill, for
# 20,000 and 100,000 rows against `refbatch sandbox` on loopback: the run
# streams, so the two should be within 1.5x of each other.
#
#   bench/memory.sh            (needs GNU time at /usr/bin/time)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${BENCH_OUT:-bench/out/memory}
mkdir -p "$out"
go build -o "$out/refbatch" ./cmd/refbatch
port=18900
for n in 20000 100000; do
  go run ./bench/gencsv -rows "$n" -out "$out/$n.csv"
  for what in run resume; do
    port=$((port + 1))
    rm -f "$out/$n-$what.db"*
    "$out/refbatch" sandbox --addr "127.0.0.1:$port" --quiet --latency 1ms >/dev/null 2>&1 &
    sb=$!
    sleep 1
    if [ "$what" = resume ]; then
      REFBATCH_TOKEN=t timeout -s KILL 6 "$out/refbatch" run --quiet --settle 1s --endpoint "http://127.0.0.1:$port" \
        --journal "$out/$n-$what.db" "$out/$n.csv" >/dev/null 2>&1 || true
      cmd=(resume --quiet --settle 1s --journal "$out/$n-$what.db")
    else
      cmd=(run --quiet --settle 1s --endpoint "http://127.0.0.1:$port" --journal "$out/$n-$what.db" "$out/$n.csv")
    fi
    REFBATCH_TOKEN=t /usr/bin/time -f "$what $n rows: %e s, peak RSS %M KB" "$out/refbatch" "${cmd[@]}" 2>&1 >/dev/null | tail -1
    ls -l "$out/$n-$what.db" | awk -v n="$n" -v w="$what" '{printf "%s %s rows: journal %.1f MB\n", w, n, $5/1e6}'
    kill "$sb"; wait "$sb" 2>/dev/null || true
  done
done
