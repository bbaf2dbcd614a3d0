# shellcheck shell=bash
# A throwaway PostgreSQL cluster for scripts/test and the benchmarks: the server binaries from the OS packages
# (installed when missing), a cluster of our own under a temp dir, on a free port of 127.0.0.1. Source it, then:
#   pg_start DIR    initdb and start in DIR (sets pg_port and postgres, the Npgsql connection string)
#   pg_stop DIR     stop it (immediately: nothing in it is worth a checkpoint)
# PostgreSQL refuses to run as root: as root, the cluster belongs to the postgres user the package created.

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
apt_updated=""
apt_install() {
  if [ -z "$apt_updated" ]; then as_root apt-get update -q; apt_updated=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@"
}

free_port() {
  local port
  while :; do
    port=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return; fi
  done
}

pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$pg_bin" ] || [ ! -x "$pg_bin/initdb" ]; then
  echo "installing PostgreSQL from the OS packages" >&2
  apt_install postgresql
  pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
fi
pg_user=$(id -un)
if [ "$(id -u)" -eq 0 ]; then pg_user=postgres; fi
as_pg() { if [ "$pg_user" = "$(id -un)" ]; then "$@"; else runuser -u "$pg_user" -- "$@"; fi; }

pg_start() {
  local dir=$1
  [ "$pg_user" = "$(id -un)" ] || chown "$pg_user" "$dir"
  pg_port=$(free_port)
  as_pg "$pg_bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; return 1; }
  # No fsync (a crash loses nothing worth keeping), enough connections for parallel test classes and replicas.
  as_pg "$pg_bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
    -o "-p $pg_port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300" start >/dev/null \
    || { cat "$dir/server.log" >&2; return 1; }
  postgres="Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=postgres"
  echo "PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$pg_port" >&2
}

pg_stop() { as_pg "$pg_bin/pg_ctl" -D "$1/data" -m immediate stop >/dev/null 2>&1 || true; }
