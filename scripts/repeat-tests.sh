#!/usr/bin/env bash
# Runs the default test suite N times in a row on a fresh clone of this repository's HEAD and stops at the
# first failure (the flakiness check of issue 17). Run 1 is ./scripts/test.sh (set-up, build, tests, pack
# check); runs 2..N reuse that build. Logs go to OUT (default out/repeat-tests); one summary line per run.
#   scripts/repeat-tests.sh [N=20] [OUT]
set -u
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
n="${1:-20}"; out="$(mkdir -p "${2:-$here/out/repeat-tests}" && cd "${2:-$here/out/repeat-tests}" && pwd)"
clone="$(dirname "$here")/repeat-tests-clone"   # beside the checkout, so ../shared resolves the same way
rm -rf "$clone" && git clone -q "$here" "$clone" && cd "$clone" || exit 2
log="$out/summary.log"; echo "commit $(git rev-parse --short HEAD) start $(date -u +%T)" > "$log"
for i in $(seq 1 "$n"); do
  s=$(date +%s)
  if [ "$i" -eq 1 ]; then ./scripts/test.sh > "$out/run$i.out" 2>&1; rc=$?
  else dotnet test ClipSharp.slnx -c Release --nologo --no-build --filter "Category!=Slow" > "$out/run$i.out" 2>&1; rc=$?; fi
  echo "run $i rc $rc $(( $(date +%s) - s ))s $(grep -E '^(Passed|Failed)!' "$out/run$i.out" | awk '{print $1,$5,$6}' | tr '\n' ' ')load $(cut -d' ' -f1 /proc/loadavg)" | tee -a "$log"
  [ "$rc" -ne 0 ] && { echo "FAILED at run $i" | tee -a "$log"; exit 1; }
done
echo "all $n passed $(date -u +%T)" | tee -a "$log"
