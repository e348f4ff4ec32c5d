#!/usr/bin/env bash
# Instructions per reserve+settle pair, counted by valgrind's callgrind in the server: a figure that does not move with the
# machine's load, for A/B comparisons of changes too small for the timed bench's noise (bench/PROFILE.md §18).
#
# Setup, once (a private cluster: 5432 is never restarted under valgrind):
#   pg_createcluster 15 perf -p 5499    # then in /etc/postgresql/15/perf: port 5499, trust auth on 127.0.0.1,
#                                        # the same settings as 5432 (autovacuum off, fsync on)
#   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5499/postgres BENCH_KEEP_DB=1 BENCH_QUICK=1 \
#     BENCH_SECTIONS=pairs BENCH_CLIENTS=1 BENCH_ROUNDS=1 BENCH_SECONDS=2 BENCH_RESULTS=- npm run bench   # keeps llmgov_bench_<pid>
#   pg_ctlcluster --skip-systemctl-redirect 15 perf stop
#   mkdir -p /tmp/cg && chown postgres /tmp/cg
#   su postgres -c "valgrind --tool=callgrind --callgrind-out-file=/tmp/cg/cg.%p /usr/lib/postgresql/15/bin/postgres \
#     -D /var/lib/postgresql/15/perf -c config_file=/etc/postgresql/15/perf/postgresql.conf" &
# Then: bench/callgrind.sh <database> <run number, 500..997, new for each call>
#
# It runs the bench's own pair script (bench/pairs.ts pairScript: two transactions, one round trip each) with pgbench at
# one client twice, 20 pairs and 220 pairs, each on fresh pre-created requests and its own connection; each backend writes
# its counts when it exits. (Ir of 220) - (Ir of 20), over 200, is a pair in steady state: the connection's start, the
# first compilation of each function and plan, and the exit are in both and cancel. Prints the figure and the check that
# every pair settled. SCRIPT=reserve counts the reserve alone (its requests are left held).
set -euo pipefail
db=$1; run=$2
port=${CG_PORT:-5499}; out=${CG_DIR:-/tmp/cg}
cd "$(dirname "$0")/.."
P="psql -h 127.0.0.1 -p $port -U postgres -d $db -qAt"
script=$(mktemp); trap 'rm -f "$script"' EXIT
npx tsx -e "const { pairScript } = require('./bench/pairs.ts'); process.stdout.write(pairScript())" > "$script"
if [ "${SCRIPT:-pair}" = reserve ]; then head -n 2 "$script" > "$script.r" && mv "$script.r" "$script"; fi
mb=$($P -c "select llm_bench.month_base()")

count() { # count <run> <pairs>: the Ir of the pgbench connection's backend
  local base=$((mb + 100000000000 + $1 * 100000000)) before new f best=0 ir
  $P -c "select llm_bench.precreate($base, 1, $2)" >/dev/null
  $P -c "select llm_bench.reset_counters(1)" >/dev/null 2>&1
  before=$(ls "$out" | sort)
  /usr/lib/postgresql/15/bin/pgbench -n -t "$2" -c 1 -h 127.0.0.1 -p "$port" -U postgres -f "$script" -D base=$base "$db" \
    > "$out/pgbench.log" 2>&1
  grep -q 'number of failed transactions: 0 ' "$out/pgbench.log" || { cat "$out/pgbench.log" >&2; exit 1; }
  # The backend writes its file when it exits, after pgbench has gone: wait for one that holds the pairs (> 10^8).
  for _ in $(seq 1 60); do
    sleep 1
    new=$(comm -13 <(echo "$before") <(ls "$out" | sort))
    for f in $new; do
      ir=$(grep -m1 -E '^(summary|totals):' "$out/$f" | awk '{print $2}')
      [ "${ir:-0}" -gt "$best" ] && best=$ir
    done
    [ "$best" -gt 100000000 ] && break
  done
  local done_
  done_=$($P -c "select count(*) filter (where state in ('settled', 'held')) from llm_private.attempts
                   where request_pk between $base and $base + 99999999")
  [ "$done_" -eq "$2" ] || { echo "run $1: $done_ of $2 attempts held or settled" >&2; exit 1; }
  echo "$best"
}
a=$(count "$run" 20)
b=$(count "$((run + 1))" 220)
echo "instructions per ${SCRIPT:-pair} in steady state: $(( (b - a) / 200 )) (20 pairs: $a, 220 pairs: $b)"
