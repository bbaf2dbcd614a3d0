#!/usr/bin/env bash
# Read throughput of one `cairn serve` replica against two, on one PostgreSQL database (issue 5's target: two replicas
# give at least 1.6x the reads of one). In production each replica has CPU of its own (a VM, or a pod with a CPU
# limit); on a small shared machine, two unbounded replicas, PostgreSQL and the load generator would only compete
# for the same cores. So each replica runs in a cgroup of its own with a CPU quota (REPLICA_CPU of one CPU, as a
# Kubernetes limit of 200m would give), and PostgreSQL and the load generator run outside the quotas. Rounds alternate
# one replica and two (one-two, two-one, ...), so that the machine's noise falls on both, and the one-replica runs
# alternate between the two replicas, so that both have served as much when they are compared; the summary gives each
# workload's median over the rounds and the ratio of the medians. The data is seeded once (bench --data-id), so every
# run reads the same 1,000 models. Before measuring, WARMUP_RUNS runs on both replicas: under a small quota, tiered
# compilation takes a replica minutes of wall clock to reach its steady state, and a replica that only the two-replica
# runs warm would otherwise still be getting faster during the measured rounds.
#
# Each bench run measures every workload twice, back to back, and keeps the second: the first is its warm-up, and
# the second's window is known to the script (it lies between the two progress lines), which reads the CPU that each
# party used in it: each replica (its cgroup), PostgreSQL and the load generator (cgroups of their own, without a
# quota: accounting only), the rest of the machine, idle and stolen time (/proc/stat), and how often each replica's
# quota throttled it (cpu.stat). That says what bounds a figure: replicas throttled in most periods while the machine
# still has idle CPU means the replicas' quota; no idle CPU left means PostgreSQL and the generator share too little.
# The runs go to $RESULTS (one line per run and workload) when it is set.
#
# .NET reads the cgroup's quota: Environment.ProcessorCount is 1 in a quota under one CPU (as in a pod with a limit
# under 1000m), so the replicas size their thread pool and GC as such a pod would; DOTNET_PROCESSOR_COUNT is not set.
#
# Needs root (cgroups; PostgreSQL then runs as the postgres user). Settings, from the environment:
#   REPLICA_CPU   CPU quota of each replica, in CPUs (default 0.2)
#   ROUNDS        rounds of one-then-two (default 5)
#   DURATION      seconds of each run; each workload runs twice per bench run, the first as warm-up (default 5)
#   WARMUP_RUNS   unmeasured bench runs on both replicas before the rounds (default 3)
#   CONCURRENCY   requests in flight (default 8)
#   WORKLOADS     bench workloads (default get-model,get-version,search)
#   RESULTS       file to append the per-run lines to (default: none)
set -euo pipefail
cd "$(dirname "$0")/.."

REPLICA_CPU=${REPLICA_CPU:-0.2}
ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-5}
WARMUP_RUNS=${WARMUP_RUNS:-3}
CONCURRENCY=${CONCURRENCY:-8}
WORKLOADS=${WORKLOADS:-get-model,get-version,search}
RESULTS=${RESULTS:-}

if [ "$(id -u)" -ne 0 ]; then
  echo "bench/replicas.sh needs root: it puts each replica in a cgroup with a CPU quota" >&2
  exit 1
fi
# shellcheck source=../scripts/lib/postgres.sh
source scripts/lib/postgres.sh

# The cpu controller: cgroup v1 (cpu.cfs_quota_us, usage in cpuacct) or v2 (cpu.max, usage in cpu.stat).
period=100000
quota=$(awk -v cpu="$REPLICA_CPU" -v p="$period" 'BEGIN { printf "%d", cpu * p }')
if [ -f /sys/fs/cgroup/cpu/cpu.cfs_quota_us ] && [ -f /sys/fs/cgroup/cpuacct/cpuacct.usage ]; then
  cgroot=/sys/fs/cgroup/cpu
  acctroot=/sys/fs/cgroup/cpuacct
  limit() { echo "$period" >"$1/cpu.cfs_period_us"; echo "$quota" >"$1/cpu.cfs_quota_us"; }
  usage_us() { echo $(($(cat "$acctroot/${1#"$cgroot/"}/cpuacct.usage") / 1000)); }
elif [ -f /sys/fs/cgroup/cgroup.controllers ] && grep -qw cpu /sys/fs/cgroup/cgroup.controllers; then
  cgroot=/sys/fs/cgroup
  acctroot=$cgroot
  echo +cpu >"$cgroot/cgroup.subtree_control" 2>/dev/null || true
  limit() { echo "$quota $period" >"$1/cpu.max"; }
  usage_us() { awk '$1 == "usage_usec" { print $2 }' "$1/cpu.stat"; }
else
  echo "no cgroup cpu controller found under /sys/fs/cgroup" >&2
  exit 1
fi

work=$(mktemp -d)
pg_dir=$(mktemp -d)
pids=()
groups=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  pg_stop "$pg_dir"
  # A group can only go once its processes have: PostgreSQL's backends take a moment to exit.
  for group in "${groups[@]}"; do
    for _ in $(seq 1 50); do rmdir "$group" 2>/dev/null && break; sleep 0.1; done
  done
  rm -rf "$work" "$pg_dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Makes a cgroup of this run (under the cpu controller and, on v1, the same name under cpuacct) and records it for
# cleanup(); not in $(...), which would record it in a subshell.
new_group() {
  mkdir "$1"
  groups+=("$1")
  if [ "$acctroot" != "$cgroot" ]; then
    mkdir "$acctroot/${1#"$cgroot/"}"
    groups+=("$acctroot/${1#"$cgroot/"}")
  fi
}
# Moves a process (and the threads and children it starts later) into a group.
join_group() {
  echo "$2" >"$1/cgroup.procs"
  if [ "$acctroot" != "$cgroot" ]; then echo "$2" >"$acctroot/${1#"$cgroot/"}/cgroup.procs"; fi
}

dotnet build -c Release -nologo -v q src/Cairn.Cli >&2
dotnet build -c Release -nologo -v q bench/Cairn.Bench >&2
pg_start "$pg_dir"
# Made before any replica connects, so every backend forks into the group.
pg_group="$cgroot/cairn-postgres-$$"
new_group "$pg_group"
for pid in $(head -n 1 "$pg_dir/data/postmaster.pid") $(pgrep -P "$(head -n 1 "$pg_dir/data/postmaster.pid")"); do
  join_group "$pg_group" "$pid"
done
gen_group="$cgroot/cairn-generator-$$"
new_group "$gen_group"
groups_a="$cgroot/cairn-replica-a-$$"
new_group "$groups_a"
groups_b="$cgroot/cairn-replica-b-$$"
new_group "$groups_b"

ready() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null || return 1
  exec 3<>"/dev/tcp/127.0.0.1/$1"
  printf 'GET /ready HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
  local answer
  answer=$(cat <&3)
  exec 3>&-
  [[ $answer == *'"ready"'* ]]
}

# Runs a command in a group from its first instruction, so that every thread it starts is in the group too. It takes
# the place of the (sub)shell that calls it, so that $! is the command's own pid: call it with & or in a pipeline.
in_group() {
  local group=$1
  shift
  exec sh -c 'echo $$ >"$1/cgroup.procs"; [ "$2" = "$1" ] || echo $$ >"$2/cgroup.procs"; shift 2; exec "$@"' \
    sh "$group" "$acctroot/${group#"$cgroot/"}" "$@"
}

# A replica: its own data directory and cgroup; the database and the version files' directory are shared.
urls=()
replica_groups=("$groups_a" "$groups_b")
for i in 0 1; do
  name=$([ "$i" -eq 0 ] && echo a || echo b)
  port=$(free_port)
  group=${replica_groups[$i]}
  limit "$group"
  in_group "$group" \
    dotnet src/Cairn.Cli/bin/Release/net10.0/Cairn.Cli.dll serve --urls "http://127.0.0.1:$port" --database "$postgres" \
    --data-dir "$work/replica-$name" --artifacts "$work/shared/artifacts" --artifacts-destination "$work/shared/mlartifacts" \
    >"$work/replica-$name.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 300); do ready "$port" && break; sleep 0.1; done
  ready "$port" || { echo "replica $name did not become ready:" >&2; cat "$work/replica-$name.log" >&2; exit 1; }
  urls+=("http://127.0.0.1:$port")
done
echo "replicas ${urls[*]}, each limited to $REPLICA_CPU CPU; $ROUNDS rounds of 2 x $DURATION s per workload, concurrency $CONCURRENCY" >&2

# Cumulative counters: wall clock, CPU of each party (µs), the machine's busy, idle and stolen time (µs, from jiffies
# of 1/100 s), and each replica's quota periods and throttled periods.
counters() {
  local now=${EPOCHREALTIME/./}
  local stat
  read -r -a stat </proc/stat
  local busy=$(((stat[1] + stat[2] + stat[3] + stat[6] + stat[7]) * 10000)) idle=$(((stat[4] + stat[5]) * 10000)) steal=$((stat[8] * 10000))
  echo "$now $(usage_us "$groups_a") $(usage_us "$groups_b") $(usage_us "$pg_group") $(usage_us "$gen_group") $busy $idle $steal" \
    "$(awk '$1 == "nr_periods" || $1 == "nr_throttled" { printf "%s ", $2 }' "$groups_a/cpu.stat" "$groups_b/cpu.stat")"
}

# One bench run: each workload twice (--repeat 2), the second kept with the CPU its window used. The first replica
# named after mode and round takes the reads, or both do. Prints, per workload:
# mode round workload ops/s, then CPUs used by replica a, replica b, PostgreSQL, the generator, the rest of the machine,
# idle and stolen CPUs, and the share of quota periods in which replica a and b were throttled.
bench() {
  local mode=$1 round=$2 server=$3
  shift 3
  in_group "$gen_group" dotnet bench/Cairn.Bench/bin/Release/net10.0/Cairn.Bench.dll --workload "$WORKLOADS" \
    --concurrency "$CONCURRENCY" --duration "$DURATION" --warmup 0 --repeat 2 --data-id "$$" --server "$server" "$@" 2>&1 >/dev/null \
    | while read -r line; do
        [[ $line =~ ^\[([0-9]+)/2\]\ +([a-z-]+)\ +([0-9.]+)\ ops/s ]] || continue
        now=$(counters)
        if [ "${BASH_REMATCH[1]}" = 2 ]; then
          echo "$mode $round ${BASH_REMATCH[2]} ${BASH_REMATCH[3]} $before $now"
        fi
        before=$now
      done \
    | awk '{
        wall = $17 - $5
        for (i = 6; i <= 12; i++) d[i] = ($(i + 12) - $i) / wall
        other = d[10] - d[6] - d[7] - d[8] - d[9]
        ta = ($25 > $13) ? ($26 - $14) / ($25 - $13) : 0
        tb = ($27 > $15) ? ($28 - $16) / ($27 - $15) : 0
        printf "%s %s %s %.0f %.2f %.2f %.2f %.2f %.2f %.2f %.2f %.2f %.2f\n", $1, $2, $3, $4, d[6], d[7], d[8], d[9], other, d[11], d[12], ta, tb
      }'
}
run() { bench "$@" | tee -a "$work/runs" ${RESULTS:+"$RESULTS"}; }

echo "mode round workload ops/s | CPUs: replica-a replica-b postgres generator other idle stolen | throttled: a b" >&2
# Unmeasured: the first runs seed, and pay for the JIT, the connection pools and PostgreSQL's cold cache.
for _ in $(seq 1 "$WARMUP_RUNS"); do bench warm 0 "${urls[0]}" --replica "${urls[1]}" >/dev/null; done
for round in $(seq 1 "$ROUNDS"); do
  # Odd rounds: replica a alone, then both; even rounds: both, then replica b alone.
  if [ $((round % 2)) -eq 1 ]; then
    run one "$round" "${urls[0]}"; run two "$round" "${urls[0]}" --replica "${urls[1]}"
  else
    run two "$round" "${urls[0]}" --replica "${urls[1]}"; run one "$round" "${urls[1]}"
  fi
done

echo
echo "Medians over $ROUNDS rounds; CPUs used in the measured windows (median), throttled = share of quota periods"
printf '%-12s %-4s %9s %9s %9s %9s %9s %9s %9s %9s %11s\n' workload mode ops/s replicas postgres generator other idle stolen throttled "two / one"
for workload in ${WORKLOADS//,/ }; do
  # The median of column $1 over the lines of mode $2.
  median() { awk -v c="$1" -v m="$2" -v w="$workload" '$1 == m && $3 == w { print $c }' "$work/runs" | sort -g \
    | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
  for mode in one two; do
    # Replicas: a + b (one of them idle in the one-replica runs); throttled: the replica that served, or the mean of both.
    awk -v m="$mode" -v w="$workload" '$1 == m && $3 == w {
      print $1, $3, $4, $5 + $6, $7, $8, $9, $10, $11, (m == "one") ? (($12 > $13) ? $12 : $13) : ($12 + $13) / 2 }' \
      "$work/runs" >"$work/$mode"
    cols=()
    for c in 3 4 5 6 7 8 9 10; do
      cols+=("$(awk -v c="$c" '{ print $c }' "$work/$mode" | sort -g \
        | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')")
    done
    ratio=""
    if [ "$mode" = two ]; then
      ratio=$(awk -v a="$(median 4 one)" -v b="$(median 4 two)" 'BEGIN { printf "%.2f", b / a }')
    fi
    printf '%-12s %-4s %9.0f %9.2f %9.2f %9.2f %9.2f %9.2f %9.2f %8.0f%% %11s\n' "$workload" "$mode" "${cols[0]}" "${cols[1]}" \
      "${cols[2]}" "${cols[3]}" "${cols[4]}" "${cols[5]}" "${cols[6]}" "$(awk -v t="${cols[7]}" 'BEGIN { print t * 100 }')" "$ratio"
  done
done
