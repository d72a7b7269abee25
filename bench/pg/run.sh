#!/usr/bin/env bash
# Postgres + pgvector against SQLite on the Fashion-MNIST end to end (issue 16's pgvector bar):
#  1. a trained Fashion-MNIST model: MODEL=path, else the demo's (out/demo/fashion-mnist, out/fashion-mnist) or
#     this script's earlier one (OUT/train), else trained now for TRAIN_SECONDS (300) as examples/fashion-mnist does;
#  2. the 10,000 test PNGs with the example's three corrupt files mixed in (OUT/photos);
#  3. indexed (a) into SQLite by one process, (b) into a fresh PGlite collection by one worker, (c) into another
#     fresh PGlite collection by two workers started together; each timed (images/s = 10,000 valid images over
#     the command's wall time, process start and model load included) and checked: every valid file stored exactly
#     once, the three corrupt files reported and recorded as failed, and (c) embedding 10,000 files between them;
#  4. 100 text queries (10 classes x 10 templates, bench/pg/compare.py) against SQLite and both collections (after
#     ANALYZE, so that Postgres searches through its HNSW index as a real server does once autovacuum has run):
#     top-10 equal allowing ties, and precision@10 >= 0.8 averaged (a hit: a result under the class's folder).
# Prints the figures and a table; exits 1 if a bar fails.
#   bench/pg/run.sh [OUT=out/bench-pg]     env: MODEL, TRAIN_SECONDS (300), THREADS (per process; default all cores)
# PGlite (Postgres compiled to WASM, single-threaded) stands in for a real server here; see scripts/pglite.sh.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="$(mkdir -p "${1:-$here/out/bench-pg}" && cd "${1:-$here/out/bench-pg}" && pwd)"
source "$here/examples/fashion-mnist/common.sh"
compare=("/usr/bin/python3" "$here/bench/pg/compare.py")
"$here/scripts/setup.sh" dataset-fashion-mnist sqlite3
command -v psql >/dev/null || "$here/scripts/setup.sh" postgresql-client
"$here/clipsharp" --help >/dev/null   # build once, before two workers start
cli=(dotnet "$here/artifacts/cli/ClipSharp.Cli.dll")
threads=(); [ -n "${THREADS:-}" ] && threads=(--threads "$THREADS")
now() { date +%s.%N; }
rate() { awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN { printf "%.1f", n / (b - a) }'; }
fail=0
bad() { echo "FAIL: $*"; fail=1; }
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"

echo "== 1. model"
model="${MODEL:-}"
if [ -z "$model" ]; then
  for m in "$here/out/demo/fashion-mnist/run/checkpoint/model.safetensors" "$here/out/fashion-mnist/run/checkpoint/model.safetensors" \
           "$out/train/checkpoint/model.safetensors"; do
    [ -f "$m" ] && { model="$m"; break; }
  done
fi
if [ -z "$model" ]; then
  echo "no trained model found: training ${TRAIN_SECONDS:-300} s (examples/fashion-mnist's recipe) into $out/train"
  rm -rf "$out/train"
  fm_train "$out/train" "${TRAIN_SECONDS:-300}"
  model="$out/train/checkpoint/model.safetensors"
fi
[ -f "$model" ] || { echo "bench/pg/run.sh: model not found: $model" >&2; exit 1; }
echo "model: $model"

echo "== 2. the 10,000 test PNGs and three corrupt files"
if [ "$(find "$out/data/test" -name '*.png' 2>/dev/null | wc -l)" -ne 10000 ]; then rm -rf "$out/data"; fm_export "$out/data"; fi
fm_photos "$out/data/test" "$out/photos"
photos="$out/photos"
(cd "$photos" && find . -type f -name '*.png' | sed 's|^\./||' | LC_ALL=C sort) > "$out/all.txt"
printf '%s\n' "${fm_corrupt[@]}" | LC_ALL=C sort > "$out/corrupt.txt"
LC_ALL=C comm -23 "$out/all.txt" "$out/corrupt.txt" > "$out/valid.txt"
valid=$(wc -l < "$out/valid.txt")
echo "$(wc -l < "$out/all.txt") files, $valid valid, corrupt: ${fm_corrupt[*]}"

# check_stored NAME DONE_LIST FAILED_LIST LOGS...: DONE_LIST (one path a line, as stored) is exactly the valid
# files, each once; FAILED_LIST is exactly the corrupt ones; the logs list each corrupt file as not indexed.
check_stored() {
  local name="$1" done="$2" failed="$3"; shift 3
  local n dup
  n=$(wc -l < "$done"); dup=$(LC_ALL=C sort "$done" | uniq -d | wc -l)
  [ "$dup" -eq 0 ] || bad "$name: $dup paths stored more than once"
  LC_ALL=C sort -u "$done" | cmp -s - "$out/valid.txt" || bad "$name: the stored paths ($n) are not the $valid valid files"
  LC_ALL=C sort "$failed" | cmp -s - "$out/corrupt.txt" || bad "$name: recorded failures are not the 3 corrupt files: $(tr '\n' ' ' < "$failed")"
  for c in "${fm_corrupt[@]}"; do grep -hq "^  $c: " "$@" || bad "$name: $c not reported as could-not-be-indexed"; done
  echo "$name: $n stored ($dup duplicates), $(wc -l < "$failed") failed: $(tr '\n' ' ' < "$failed")"
}

echo "== 3a. SQLite, one process"
sqlite="$out/sqlite/index.db"; rm -rf "$out/sqlite"; mkdir -p "$out/sqlite"
t0=$(now)
"${cli[@]}" index "$photos" --model "$model" --db "$sqlite" "${threads[@]}" > "$out/sqlite/index.log" 2>&1 \
  || { cat "$out/sqlite/index.log"; exit 1; }
t1=$(now)
sqlite_rate=$(rate "$valid" "$t0" "$t1")
grep -v '^ ' "$out/sqlite/index.log" | grep -v 'could not be indexed' || true
sqlite3 "$sqlite" "SELECT path FROM images JOIN embeddings ON image_id = id" > "$out/sqlite/done.txt"
sqlite3 "$sqlite" "SELECT path FROM failures" > "$out/sqlite/failed.txt"
check_stored "SQLite" "$out/sqlite/done.txt" "$out/sqlite/failed.txt" "$out/sqlite/index.log"
echo "SQLite, 1 process: $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s, $sqlite_rate images/s"

# PGlite servers: each collection in its own fresh data folder on a free port; stopped on exit.
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT
start_pglite() { # DIR -> sets url
  local dir="$1" port
  port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  rm -rf "$dir"; mkdir -p "$dir"
  "$here/scripts/pglite.sh" start "$dir/data" "$port" > "$dir/server.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 900); do
    grep -q listening "$dir/server.log" && { url="postgres://postgres:postgres@127.0.0.1:$port/postgres"; return; }
    kill -0 "${pids[-1]}" 2>/dev/null || break
    sleep 0.2
  done
  echo "bench/pg/run.sh: PGlite did not start on port $port:" >&2; cat "$dir/server.log" >&2; exit 1
}
pg_lists() { # URL DIR: DIR/done.txt, DIR/failed.txt from the collection
  psql "$1" -XAtqc "SELECT path FROM clipsharp_images WHERE state = 'done' AND embedding IS NOT NULL" > "$2/done.txt"
  psql "$1" -XAtqc "SELECT path FROM clipsharp_images WHERE state = 'failed'" > "$2/failed.txt"
  psql "$1" -XAtqc "SELECT state, count(*) FROM clipsharp_images GROUP BY state ORDER BY state" | tr '\n' ' ' > "$2/states.txt"
}
# cpu PID: CPU seconds (user + system, all threads) the process has used so far.
cpu() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.1f", ($14 + $15) / hz }' "/proc/$1/stat"; }
# pg_analyze URL NAME: ANALYZE, as a real server's autovacuum does after this many changed rows (PGlite runs no
# autovacuum; without statistics the planner takes a sequential scan and search is exact), then require that the
# search query's plan uses the HNSW index, so what is compared below is pgvector's approximate search.
pg_analyze() {
  local v plan
  psql "$1" -XAtqc "ANALYZE clipsharp_images"
  v=$(psql "$1" -XAtqc "SELECT embedding FROM clipsharp_images WHERE state = 'done' LIMIT 1")
  plan=$(psql "$1" -XAtqc "EXPLAIN SELECT id FROM clipsharp_images WHERE state = 'done' ORDER BY embedding <=> '$v' LIMIT 50")
  grep -q "Index Scan using clipsharp_images_embedding" <<< "$plan" \
    || bad "$2: the search plan does not use the HNSW index: $(head -2 <<< "$plan" | cut -c1-120 | tr '\n' ' ')"
  echo "$2: after ANALYZE the search plan is $(grep -o 'Index Scan using [a-z_]*' <<< "$plan" || echo 'not an index scan'), hnsw.ef_search $(psql "$1" -XAtqc 'SHOW hnsw.ef_search')"
}
embedded() { sed -n 's/.*this worker embedded \([0-9]*\),.*/\1/p' "$1"; }

echo "== 3b. PGlite, one worker"
start_pglite "$out/pg1"; url1="$url"; server=${pids[-1]}; c0=$(cpu "$server")
t0=$(now)
"${cli[@]}" index "$photos" --model "$model" --db "$url1" "${threads[@]}" > "$out/pg1/worker1.log" 2>&1 \
  || { cat "$out/pg1/worker1.log"; exit 1; }
t1=$(now); c1=$(cpu "$server")
pg1_rate=$(rate "$valid" "$t0" "$t1")
grep 'this worker embedded' "$out/pg1/worker1.log"
pg_lists "$url1" "$out/pg1"
check_stored "PGlite, 1 worker" "$out/pg1/done.txt" "$out/pg1/failed.txt" "$out/pg1/worker1.log"
pg_analyze "$url1" "PGlite, 1 worker"
echo "PGlite, 1 worker: $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s, $pg1_rate images/s, PGlite server $(awk -v a="$c0" -v b="$c1" 'BEGIN { printf "%.1f", b - a }') CPU s (states: $(cat "$out/pg1/states.txt"))"

echo "== 3c. PGlite, two workers started together on a fresh collection"
start_pglite "$out/pg2"; url2="$url"; server=${pids[-1]}; c0=$(cpu "$server")
t0=$(now)
"${cli[@]}" index "$photos" --model "$model" --db "$url2" "${threads[@]}" > "$out/pg2/worker1.log" 2>&1 & w1=$!
"${cli[@]}" index "$photos" --model "$model" --db "$url2" "${threads[@]}" > "$out/pg2/worker2.log" 2>&1 & w2=$!
rc1=0; rc2=0; wait "$w1" || rc1=$?; wait "$w2" || rc2=$?
t1=$(now); c1=$(cpu "$server")
[ "$rc1" -eq 0 ] && [ "$rc2" -eq 0 ] || { cat "$out/pg2/worker1.log" "$out/pg2/worker2.log"; echo "workers exited $rc1, $rc2" >&2; exit 1; }
pg2_rate=$(rate "$valid" "$t0" "$t1")
grep -h 'this worker embedded' "$out/pg2/worker1.log" "$out/pg2/worker2.log"
e1=$(embedded "$out/pg2/worker1.log"); e2=$(embedded "$out/pg2/worker2.log")
[ $((e1 + e2)) -eq "$valid" ] || bad "PGlite, 2 workers: they embedded $e1 + $e2 files, expected $valid in all"
pg_lists "$url2" "$out/pg2"
check_stored "PGlite, 2 workers" "$out/pg2/done.txt" "$out/pg2/failed.txt" "$out/pg2/worker1.log" "$out/pg2/worker2.log"
pg_analyze "$url2" "PGlite, 2 workers"
echo "PGlite, 2 workers: $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s, $pg2_rate images/s, PGlite server $(awk -v a="$c0" -v b="$c1" 'BEGIN { printf "%.1f", b - a }') CPU s (embedded $e1 + $e2; states: $(cat "$out/pg2/states.txt"))"

echo "== 4. 100 text queries against the three stores"
rm -rf "$out/search"; mkdir -p "$out/search/sqlite" "$out/search/pg-1worker" "$out/search/pg-2workers"
t0=$(now)
i=0
while IFS=$'\t' read -r _ text; do
  n=$(printf '%03d' "$i")
  "${cli[@]}" search "$text" --db "$sqlite" --top 50 --json > "$out/search/sqlite/$n.jsonl"
  "${cli[@]}" search "$text" --db "$url1" --top 50 --json > "$out/search/pg-1worker/$n.jsonl"
  "${cli[@]}" search "$text" --db "$url2" --top 50 --json > "$out/search/pg-2workers/$n.jsonl"
  i=$((i + 1))
done < <("${compare[@]}" queries)
t1=$(now)
echo "$((3 * i)) searches (one clipsharp search process each, --top 50) in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", b - a }') s"
"${compare[@]}" report "$out/search" sqlite pg-1worker pg-2workers || fail=1

echo "== indexing throughput (10,000 valid images + 3 corrupt; wall time of the index command(s))"
printf '%-28s %10s\n' "SQLite, 1 process" "$sqlite_rate" "PGlite, 1 worker" "$pg1_rate" "PGlite, 2 workers together" "$pg2_rate"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
[ "$fail" -eq 0 ] && echo "bench/pg: all bars pass" || echo "bench/pg: a bar failed (see FAIL lines)"
exit "$fail"
