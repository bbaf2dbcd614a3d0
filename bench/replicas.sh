#!/usr/bin/env bash
# Read throughput of one `cairn serve` replica against two, on one PostgreSQL database (issue 5's target: two replicas
# give at least 1.6x the reads of one). In production each replica has CPU of its own (a VM, or a pod with a CPU
# limit); on a small shared machine, two unbounded replicas, PostgreSQL and the load generator would only compete
# for the same cores. So each replica runs in a cgroup of its own with a CPU quota (REPLICA_CPU of one CPU, as a
# Kubernetes limit of 200m would give), and PostgreSQL and the load generator run outside the quotas. Rounds alternate
# one replica and two (one-two, two-one, ...), so that the machine's noise falls on both; the summary gives each
# workload's median over the rounds and the ratio of the medians.
#
# Needs root (cgroups; PostgreSQL then runs as the postgres user). Settings, from the environment:
#   REPLICA_CPU   CPU quota of each replica, in CPUs (default 0.2)
#   ROUNDS        rounds of one-then-two (default 5)
#   DURATION      seconds of each measured run (default 5)
#   CONCURRENCY   requests in flight (default 8)
#   WORKLOADS     bench workloads (default get-model,get-version,search)
set -euo pipefail
cd "$(dirname "$0")/.."

REPLICA_CPU=${REPLICA_CPU:-0.2}
ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-5}
CONCURRENCY=${CONCURRENCY:-8}
WORKLOADS=${WORKLOADS:-get-model,get-version,search}

if [ "$(id -u)" -ne 0 ]; then
  echo "bench/replicas.sh needs root: it puts each replica in a cgroup with a CPU quota" >&2
  exit 1
fi
# shellcheck source=../scripts/lib/postgres.sh
source scripts/lib/postgres.sh

# The cpu controller: cgroup v1 (cpu.cfs_quota_us) or v2 (cpu.max).
period=100000
quota=$(awk -v cpu="$REPLICA_CPU" -v p="$period" 'BEGIN { printf "%d", cpu * p }')
if [ -f /sys/fs/cgroup/cpu/cpu.cfs_quota_us ]; then
  cgroot=/sys/fs/cgroup/cpu
  limit() { echo "$period" >"$1/cpu.cfs_period_us"; echo "$quota" >"$1/cpu.cfs_quota_us"; }
elif [ -f /sys/fs/cgroup/cgroup.controllers ] && grep -qw cpu /sys/fs/cgroup/cgroup.controllers; then
  cgroot=/sys/fs/cgroup
  echo +cpu >"$cgroot/cgroup.subtree_control" 2>/dev/null || true
  limit() { echo "$quota $period" >"$1/cpu.max"; }
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
  for group in "${groups[@]}"; do rmdir "$group" 2>/dev/null || true; done
  pg_stop "$pg_dir"
  rm -rf "$work" "$pg_dir"
}
trap cleanup EXIT

dotnet build -c Release -nologo -v q src/Cairn.Cli >&2
dotnet build -c Release -nologo -v q bench/Cairn.Bench >&2
pg_start "$pg_dir"

ready() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null || return 1
  exec 3<>"/dev/tcp/127.0.0.1/$1"
  printf 'GET /ready HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
  local answer
  answer=$(cat <&3)
  exec 3>&-
  [[ $answer == *'"ready"'* ]]
}

# A replica: its own data directory and cgroup; the database and the version files' directory are shared.
urls=()
for name in a b; do
  port=$(free_port)
  group="$cgroot/cairn-replica-$name-$$"
  mkdir "$group"
  groups+=("$group")
  limit "$group"
  sh -c 'echo $$ >"$1/cgroup.procs"; shift; exec "$@"' sh "$group" \
    dotnet src/Cairn.Cli/bin/Release/net10.0/Cairn.Cli.dll serve --urls "http://127.0.0.1:$port" --database "$postgres" \
    --data-dir "$work/replica-$name" --artifacts "$work/shared/artifacts" --artifacts-destination "$work/shared/mlartifacts" \
    >"$work/replica-$name.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 300); do ready "$port" && break; sleep 0.1; done
  ready "$port" || { echo "replica $name did not become ready:" >&2; cat "$work/replica-$name.log" >&2; exit 1; }
  urls+=("http://127.0.0.1:$port")
done
echo "replicas ${urls[*]}, each limited to $REPLICA_CPU CPU; $ROUNDS rounds of $DURATION s per workload, concurrency $CONCURRENCY" >&2

bench() {
  dotnet bench/Cairn.Bench/bin/Release/net10.0/Cairn.Bench.dll --workload "$WORKLOADS" --concurrency "$CONCURRENCY" \
    --duration "$DURATION" --warmup 1 --repeat 1 --server "${urls[0]}" "$@" 2>/dev/null \
    | awk '$1 ~ /^[a-z-]+$/ && $4 ~ /^[0-9.]+$/ && NF >= 10 { print $1, $4 }'
}
one() { bench | sed "s/^/one $1 /" | tee -a "$work/runs"; }
two() { bench --replica "${urls[1]}" | sed "s/^/two $1 /" | tee -a "$work/runs"; }
# Unmeasured: the first runs pay for the JIT, the connection pools and PostgreSQL's cold cache.
bench >/dev/null
bench --replica "${urls[1]}" >/dev/null
# Each run seeds models of its own, so the store grows as the rounds go: one-two, then two-one, evens that out.
for round in $(seq 1 "$ROUNDS"); do
  if [ $((round % 2)) -eq 1 ]; then one "$round"; two "$round"; else two "$round"; one "$round"; fi
done

echo
echo "workload       one replica ops/s (median)   two replicas ops/s (median)   two / one"
for workload in ${WORKLOADS//,/ }; do
  median() { awk -v m="$1" -v w="$workload" '$1 == m && $3 == w { print $4 }' "$work/runs" | sort -n \
    | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
  one=$(median one)
  two=$(median two)
  printf '%-14s %28.0f %29.0f %11.2f\n' "$workload" "$one" "$two" "$(awk -v a="$one" -v b="$two" 'BEGIN { print b / a }')"
done
