#!/usr/bin/env bash
# Upload and download of one large file through `cairn serve`, against `cp` of the same file on the same disk,
# with the server's resident memory sampled during each transfer. Usage: bench/transfer.sh [size-MiB] [repeats]
set -euo pipefail
cd "$(dirname "$0")/.."
size_mib=${1:-1024}
repeats=${2:-3}

dotnet build -c Release src/Cairn.Cli -v q -nologo >/dev/null
cli=src/Cairn.Cli/bin/Release/net10.0/Cairn.Cli.dll
work=$(mktemp -d "${TMPDIR:-/tmp}/cairn-transfer-XXXXXX")
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
url=http://127.0.0.1:$port
dotnet "$cli" serve --urls "$url" --data-dir "$work/data" >"$work/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$work"' EXIT
until curl -sf "$url/ready" >/dev/null; do sleep 0.2; done

head -c "$((size_mib << 20))" /dev/urandom >"$work/source.bin"
rss() { awk '/VmRSS/ {print $2}' "/proc/$server/status"; }
# Runs a command while sampling the server's RSS every 50 ms; prints "seconds peak-KiB".
measure() {
  local peak=0 start end
  start=$(date +%s.%N)
  "$@" &
  local job=$!
  while kill -0 $job 2>/dev/null; do
    local now; now=$(rss); [ "$now" -gt "$peak" ] && peak=$now
    sleep 0.05
  done
  wait $job
  end=$(date +%s.%N)
  echo "$(echo "$end - $start" | bc -l) $peak"
}

curl -sf -X POST "$url/api/v1/models" -H 'content-type: application/json' -d '{"model_name":"transfer"}' >/dev/null
# Warm-up, not measured: the first transfers of a fresh process run while the JIT is still recompiling the hot
# loops at higher tiers (a quarter of the CPU in a profile of the second upload), which is start-up, not throughput.
curl -sf -X POST "$url/api/v1/models" -H 'content-type: application/json' -d '{"model_name":"warmup"}' >/dev/null
curl -sf -X POST "$url/api/v1/models/warmup/versions" -H 'content-type: application/json' -d '{"status":"PENDING_REGISTRATION"}' >/dev/null
head -c "$((256 << 20))" "$work/source.bin" >"$work/warmup.bin"
for i in 1 2 3; do
  curl -sf -o /dev/null -T "$work/warmup.bin" "$url/api/v1/models/warmup/versions/1/files/w$i.bin"
  curl -sf -o /dev/null "$url/api/v1/models/warmup/versions/1/files/w$i.bin"
done
rm -f "$work/warmup.bin"
printf 'run  cp_s  upload_s  download_s  upload/cp  download/cp  idle_MiB  upload_peak+MiB  download_peak+MiB\n'
for run in $(seq 1 "$repeats"); do
  curl -sf -X POST "$url/api/v1/models/transfer/versions" -H 'content-type: application/json' -d '{"status":"PENDING_REGISTRATION"}' >/dev/null
  sync
  read -r cp_s _ < <(measure sh -c "cp '$work/source.bin' '$work/copy.bin' && sync '$work/copy.bin'")
  rm -f "$work/copy.bin"
  idle=$(rss)
  read -r up_s up_peak < <(measure curl -sf -o /dev/null -T "$work/source.bin" -H 'content-type: application/octet-stream' "$url/api/v1/models/transfer/versions/$run/files/model.bin")
  read -r down_s down_peak < <(measure curl -sf -o "$work/download.bin" "$url/api/v1/models/transfer/versions/$run/files/model.bin")
  cmp -s "$work/source.bin" "$work/download.bin" || { echo "download differs from the upload" >&2; exit 1; }
  rm -f "$work/download.bin"
  printf '%d  %.2f  %.2f  %.2f  %.2f  %.2f  %d  %d  %d\n' "$run" "$cp_s" "$up_s" "$down_s" \
    "$(echo "$cp_s / $up_s" | bc -l)" "$(echo "$cp_s / $down_s" | bc -l)" "$((idle / 1024))" "$(((up_peak - idle) / 1024))" "$(((down_peak - idle) / 1024))"
done
