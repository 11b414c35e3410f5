#!/usr/bin/env bash
# A/B: one benchmark of this tree and of an earlier revision, run in turns
# so that both meet the same load of the machine (a figure measured an hour
# apart on a shared machine says little). Each line printed is one run of
# the benchmark, prefixed "base" or "head".
#
#   bench/ab.sh REV PACKAGE BENCHMARK [COUNT] [BENCHTIME]
#   bench/ab.sh HEAD~3 ./engine 'ZeroLatency$' 5 3x
#
# The revision is exported with git archive and built beside this tree's
# test binary; uncommitted changes of this tree are the "head" side.
set -euo pipefail
cd "$(dirname "$0")/.."
rev=${1:?revision}
pkg=${2:?package, e.g. ./engine}
bench=${3:?benchmark regexp}
count=${4:-5}
benchtime=${5:-1x}
out=$(pwd)/${BENCH_OUT:-bench/out/ab}
rm -rf "$out/base"
mkdir -p "$out/base"
git archive "$rev" | tar -x -C "$out/base"
(cd "$out/base" && go test -c -o "$out/base.test" "$pkg")
rm -rf "$out/base" # a whole tree under this one would confuse gofmt and editors
go test -c -o "$out/head.test" "$pkg"
echo "base = $(git rev-parse --short "$rev"), head = $(git rev-parse --short HEAD)$(git diff --quiet || echo ' + uncommitted changes')"
for i in $(seq "$count"); do
  for which in base head; do
    (cd "$pkg" && "$out/$which.test" -test.run '^$' -test.bench "$bench" -test.benchtime "$benchtime") |
      grep '^Benchmark' | sed "s/^/$which /"
  done
done
