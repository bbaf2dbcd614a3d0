#!/usr/bin/env bash
# Start-up time of a cairn executable (BENCHMARKS.md, issue 19): `cairn --version`, and `cairn serve` from launch
# until GET /health answers, on a fresh data dir (creating and migrating the database) and again on that same dir
# (already migrated). Each is the median of RUNS, as wall time and as the CPU time (user + system) the process used
# by then: on a shared, loaded machine the wall time mostly measures the other tenants, the CPU time much less so.
# usage: bench/startup.sh PATH_TO_CAIRN [RUNS]     e.g. bench/startup.sh ./publish/linux-x64/cairn 9
set -euo pipefail
cairn=$1
runs=${2:-9}
now() { date +%s%N; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
tick_ms=$((1000 / $(getconf CLK_TCK)))

# One start of `cairn serve` on data dir $1: "wall_ms cpu_ms" when /health first answers.
serve_once() {
  local port pid start wall cpu
  port=$(free_port)
  start=$(now)
  "$cairn" serve --urls "http://127.0.0.1:$port" --data-dir "$1" >/dev/null 2>&1 &
  pid=$!
  until curl -sf "http://127.0.0.1:$port/health" >/dev/null; do
    kill -0 "$pid" 2>/dev/null || { echo "cairn serve exited" >&2; exit 1; }
    sleep 0.005
  done
  wall=$((($(now) - start) / 1000000))
  # utime and stime, fields 14 and 15 of /proc/PID/stat (the command name, field 2, has no spaces here).
  cpu=$(awk -v t="$tick_ms" '{ print ($14 + $15) * t }' "/proc/$pid/stat")
  echo "$wall $cpu"
  kill "$pid"
  wait "$pid" 2>/dev/null || true
}

"$cairn" --version >/dev/null # the first run of a single file extracts its native library; not what is measured
declare -a v_wall v_cpu f_wall f_cpu a_wall a_cpu
for _ in $(seq "$runs"); do
  read -r w c < <(/usr/bin/time -f '%e %U %S' "$cairn" --version 2>&1 >/dev/null | awk '{ printf "%d %d\n", $1 * 1000, ($2 + $3) * 1000 }')
  v_wall+=("$w")
  v_cpu+=("$c")
done
for _ in $(seq "$runs"); do
  dir=$(mktemp -d)
  read -r w c < <(serve_once "$dir/.cairn")
  f_wall+=("$w")
  f_cpu+=("$c")
  read -r w c < <(serve_once "$dir/.cairn")
  a_wall+=("$w")
  a_cpu+=("$c")
  rm -rf "$dir"
done
m() { printf '%s\n' "$@" | median; }
echo "median of $runs, wall / CPU ms; load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "cairn --version:                        $(m "${v_wall[@]}") / $(m "${v_cpu[@]}")"
echo "cairn serve to /health, fresh data dir:  $(m "${f_wall[@]}") / $(m "${f_cpu[@]}")"
echo "cairn serve to /health, existing dir:    $(m "${a_wall[@]}") / $(m "${a_cpu[@]}")"
