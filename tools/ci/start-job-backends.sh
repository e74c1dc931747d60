#!/usr/bin/env bash
# Throwaway RabbitMQ and PostgreSQL for the scale-out job tests (the broker and the shared job store), from the
# Debian packages, on loopback only, with their data under one folder. No containers, no systemd.
#
#   tools/ci/start-job-backends.sh [start] [DIR]   installs what is missing (apt-get), starts both (an instance
#                                                  already running from DIR is reused) and prints on stdout:
#                                                    ATLAS_TEST_RABBITMQ=amqp://guest:guest@127.0.0.1:5672/
#                                                    ATLAS_TEST_POSTGRES=Host=127.0.0.1;Port=55432;Username=atlas;Database=atlas
#                                                    ATLAS_TEST_RABBITMQCTL=DIR/rabbitmq/rabbitmqctl (this node's CLI)
#   tools/ci/start-job-backends.sh env [DIR]       prints those lines only (starts nothing)
#   tools/ci/start-job-backends.sh stop [DIR]      stops both and deletes DIR
#
# DIR defaults to $ATLAS_JOB_BACKENDS_DIR or ${TMPDIR:-/tmp}/atlas-job-backends. Ports (loopback only):
# ATLAS_JOB_BACKENDS_AMQP_PORT (5672), ATLAS_JOB_BACKENDS_PG_PORT (55432, clear of a system PostgreSQL on 5432);
# RabbitMQ's Erlang distribution port is the AMQP port + 20000 and its epmd runs on ATLAS_JOB_BACKENDS_EPMD_PORT
# (54369), so stopping it leaves any other Erlang node alone.
# PostgreSQL refuses to run as root: as root the cluster belongs to the Debian 'postgres' user (runuser). Local
# authentication is 'trust' (throwaway, loopback only). Everything but the env lines goes to stderr.
set -euo pipefail

action=${1:-start}
case "$action" in start | stop | env) shift || true ;; *) action=start ;; esac
dir=${1:-${ATLAS_JOB_BACKENDS_DIR:-${TMPDIR:-/tmp}/atlas-job-backends}}
amqp_port=${ATLAS_JOB_BACKENDS_AMQP_PORT:-5672}
pg_port=${ATLAS_JOB_BACKENDS_PG_PORT:-55432}
epmd_port=${ATLAS_JOB_BACKENDS_EPMD_PORT:-54369}
dist_port=$((amqp_port + 20000))
node="atlas-jobs-$amqp_port@localhost"

log() { echo "job-backends: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

print_env() {
  echo "ATLAS_TEST_RABBITMQ=amqp://guest:guest@127.0.0.1:$amqp_port/"
  echo "ATLAS_TEST_POSTGRES=Host=127.0.0.1;Port=$pg_port;Username=atlas;Database=atlas"
  # rabbitmqctl for this node (the broker tests use it to cut connections server-side).
  if [ -x "$dir/rabbitmq/rabbitmqctl" ]; then echo "ATLAS_TEST_RABBITMQCTL=$dir/rabbitmq/rabbitmqctl"; fi
}

write_rabbitmqctl() {
  cat >"$dir/rabbitmq/rabbitmqctl" <<EOF
#!/usr/bin/env bash
# rabbitmqctl for the throwaway node started by tools/ci/start-job-backends.sh
export HOME="$dir/rabbitmq" RABBITMQ_CONF_ENV_FILE=/dev/null RABBITMQ_NODENAME="$node" ERL_EPMD_PORT="$epmd_port" \\
  RABBITMQ_CTL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
exec "$(rabbit_bin rabbitmqctl)" "\$@"
EOF
  chmod +x "$dir/rabbitmq/rabbitmqctl"
}

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null 2>&1; then sudo "$@"; else die "need root or sudo for: $*"; fi
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

pg_bin() {
  local d
  for d in /usr/lib/postgresql/*/bin; do [ -x "$d/initdb" ] && { echo "$d"; return 0; }; done
  command -v initdb >/dev/null 2>&1 && { dirname "$(readlink -f "$(command -v initdb)")"; return 0; }
  return 1
}

install_missing() {
  local pkgs=()
  [ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || command -v rabbitmq-server >/dev/null 2>&1 || pkgs+=(rabbitmq-server)
  pg_bin >/dev/null || pkgs+=(postgresql)
  [ ${#pkgs[@]} = 0 ] && return 0
  log "installing ${pkgs[*]} from Debian packages"
  as_root apt-get update -qq >&2
  # The packages' own services are not started (no systemd here; policy-rc.d usually denies it anyway).
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${pkgs[@]}" >&2
}

# -------------------------------------------------------------------------------------------------- RabbitMQ
rabbit_env() {
  export HOME="$dir/rabbitmq" \
    RABBITMQ_CONF_ENV_FILE=/dev/null \
    RABBITMQ_NODENAME="$node" \
    RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 \
    RABBITMQ_NODE_PORT="$amqp_port" \
    RABBITMQ_DIST_PORT="$dist_port" \
    RABBITMQ_BASE="$dir/rabbitmq" \
    RABBITMQ_MNESIA_BASE="$dir/rabbitmq/mnesia" \
    RABBITMQ_LOG_BASE="$dir/rabbitmq/log" \
    RABBITMQ_PID_FILE="$dir/rabbitmq/rabbitmq.pid" \
    RABBITMQ_CONFIG_FILE="$dir/rabbitmq/rabbitmq.conf" \
    RABBITMQ_ADVANCED_CONFIG_FILE="$dir/rabbitmq/advanced.config" \
    RABBITMQ_ENABLED_PLUGINS_FILE="$dir/rabbitmq/enabled_plugins" \
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}" \
    RABBITMQ_CTL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}" \
    ERL_EPMD_ADDRESS=127.0.0.1 \
    ERL_EPMD_PORT="$epmd_port"
}

rabbit_bin() {
  if [ -x "/usr/lib/rabbitmq/bin/$1" ]; then echo "/usr/lib/rabbitmq/bin/$1"; else command -v "$1"; fi
}

start_rabbitmq() {
  if port_open "$amqp_port"; then
    if [ -f "$dir/rabbitmq/rabbitmq.pid" ] && kill -0 "$(cat "$dir/rabbitmq/rabbitmq.pid")" 2>/dev/null; then
      write_rabbitmqctl
      log "RabbitMQ already running on 127.0.0.1:$amqp_port (reused)"
    else
      log "port $amqp_port already answers (not started by this script): reused as the RabbitMQ server"
    fi
    return 0
  fi
  mkdir -p "$dir/rabbitmq/log" "$dir/rabbitmq/mnesia"
  cat >"$dir/rabbitmq/rabbitmq.conf" <<EOF
listeners.tcp.default = 127.0.0.1:$amqp_port
loopback_users.guest = true
log.file.level = warning
log.console = false
disk_free_limit.absolute = 50MB
EOF
  echo "[]." >"$dir/rabbitmq/advanced.config"
  echo "[]." >"$dir/rabbitmq/enabled_plugins"
  (umask 077; [ -f "$dir/rabbitmq/.erlang.cookie" ] || head -c 20 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$dir/rabbitmq/.erlang.cookie")
  (
    rabbit_env
    nohup "$(rabbit_bin rabbitmq-server)" >"$dir/rabbitmq/log/stdout.log" 2>&1 &
    echo $! >"$dir/rabbitmq/launcher.pid"
  )
  for _ in $(seq 1 120); do
    port_open "$amqp_port" && break
    kill -0 "$(cat "$dir/rabbitmq/launcher.pid")" 2>/dev/null || { tail -n 30 "$dir/rabbitmq/log/"*.log >&2 || true; die "RabbitMQ exited during start"; }
    sleep 0.5
  done
  port_open "$amqp_port" || { tail -n 30 "$dir/rabbitmq/log/"*.log >&2 || true; die "RabbitMQ did not open 127.0.0.1:$amqp_port within 60 s"; }
  (rabbit_env; "$(rabbit_bin rabbitmqctl)" -q await_startup --timeout 60 >&2) || die "rabbitmqctl await_startup failed"
  write_rabbitmqctl
  log "RabbitMQ $(cd / && rabbit_env && "$(rabbit_bin rabbitmqctl)" -q version 2>/dev/null || echo '?') on 127.0.0.1:$amqp_port (node $node, data $dir/rabbitmq)"
}

stop_rabbitmq() {
  [ -d "$dir/rabbitmq" ] || return 0
  if [ -f "$dir/rabbitmq/rabbitmq.pid" ] || [ -f "$dir/rabbitmq/launcher.pid" ]; then
    (rabbit_env; "$(rabbit_bin rabbitmqctl)" -q stop >&2 2>/dev/null) || true
    local pid
    for f in rabbitmq.pid launcher.pid; do
      pid=$(cat "$dir/rabbitmq/$f" 2>/dev/null || true)
      [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
    done
    (rabbit_env; command -v epmd >/dev/null 2>&1 && epmd -port "$epmd_port" -kill >/dev/null 2>&1) || true
    [ -x /usr/lib/erlang/bin/epmd ] && /usr/lib/erlang/bin/epmd -port "$epmd_port" -kill >/dev/null 2>&1 || true
    log "RabbitMQ stopped"
  fi
}

# ------------------------------------------------------------------------------------------------ PostgreSQL
pg_user() { if [ "$(id -u)" = 0 ]; then echo postgres; else id -un; fi; }

as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start_postgres() {
  local bin; bin=$(pg_bin) || die "PostgreSQL binaries not found (initdb)"
  if [ "$(id -u)" = 0 ] && ! getent passwd postgres >/dev/null; then
    useradd --system --home-dir /var/lib/postgresql --shell /bin/sh postgres
  fi
  local data="$dir/postgres/data"
  if [ -f "$data/PG_VERSION" ] && as_pg "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    log "PostgreSQL already running on 127.0.0.1:$pg_port (reused)"
    return 0
  fi
  if port_open "$pg_port"; then
    die "port $pg_port is taken by a server this script did not start; set ATLAS_JOB_BACKENDS_PG_PORT"
  fi
  mkdir -p "$dir/postgres"
  chmod 755 "$dir" "$dir/postgres"
  [ "$(id -u)" = 0 ] && chown "$(pg_user)" "$dir/postgres"
  if [ ! -f "$data/PG_VERSION" ]; then
    as_pg "$bin/initdb" -D "$data" -U atlas --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$dir/postgres/initdb.log" 2>&1 \
      || as_pg "$bin/initdb" -D "$data" -U atlas --auth=trust --encoding=UTF8 --locale=C >"$dir/postgres/initdb.log" 2>&1 \
      || { cat "$dir/postgres/initdb.log" >&2; die "initdb failed"; }
  fi
  as_pg "$bin/pg_ctl" -D "$data" -l "$dir/postgres/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $pg_port -k $dir/postgres -c max_connections=200 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    start >&2 || { tail -n 30 "$dir/postgres/server.log" >&2; die "PostgreSQL did not start"; }
  if ! as_pg "$bin/psql" -h 127.0.0.1 -p "$pg_port" -U atlas -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'atlas'" | grep -q 1; then
    as_pg "$bin/createdb" -h 127.0.0.1 -p "$pg_port" -U atlas atlas
  fi
  log "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$pg_port (data $data, run as $(pg_user))"
}

stop_postgres() {
  local data="$dir/postgres/data" bin
  [ -f "$data/PG_VERSION" ] || return 0
  bin=$(pg_bin) || return 0
  as_pg "$bin/pg_ctl" -D "$data" -m fast -w stop >&2 2>/dev/null || true
  log "PostgreSQL stopped"
}

case "$action" in
  env) print_env ;;
  stop)
    stop_rabbitmq
    stop_postgres
    rm -rf "$dir"
    ;;
  start)
    install_missing
    mkdir -p "$dir"
    start_postgres
    start_rabbitmq
    print_env
    ;;
esac
