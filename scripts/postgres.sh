# Sourced by demo.sh and test.sh: makes sure a PostgreSQL server answers and exports
# DATABASE_URL for it (database name $1).
#
#   DATABASE_URL set            -> used as it is
#   127.0.0.1:5432 answers      -> postgres://postgres@127.0.0.1:5432/<db>
#   the machine's cluster is down -> started with pg_ctlcluster
#   none of that                -> a private cluster in .pgdata/ (port 54329), made with
#                                  the machine's initdb/pg_ctl
#   no PostgreSQL binaries      -> stops with one line saying what to install

vbp_pg_fail() { echo "vbp: $*" >&2; exit 1; }

# The directory of the machine's PostgreSQL server programs (initdb, pg_ctl,
# pg_basebackup), or nothing: Debian's newest /usr/lib/postgresql/N/bin, else the real
# directory of an initdb on the PATH (a symlink there may stand alone, without its siblings).
vbp_pg_bindir() {
  local dir
  dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
  if [ -z "$dir" ] && command -v initdb >/dev/null 2>&1; then
    dir="$(dirname "$(readlink -f "$(command -v initdb)")")"
  fi
  echo "$dir"
}

# Sets the array VBP_PG_RUN to the prefix that runs those programs: PostgreSQL refuses to
# run as root, so as root it is `runuser -u postgres --` (that user must exist).
vbp_pg_runas() {
  VBP_PG_RUN=()
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || vbp_pg_fail "running as root and no 'postgres' user exists to run PostgreSQL as; set DATABASE_URL"
    VBP_PG_RUN=(runuser -u postgres --)
  fi
}

vbp_pg_ready() { # host port
  if command -v pg_isready >/dev/null 2>&1; then
    pg_isready -q -h "$1" -p "$2" -t 2
  else
    (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
  fi
}

vbp_pg_wait() { # host port
  for _ in $(seq 1 60); do vbp_pg_ready "$1" "$2" && return 0; sleep 0.5; done
  return 1
}

vbp_ensure_postgres() {
  local db="$1" root
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  if [ -n "${DATABASE_URL:-}" ]; then
    export DATABASE_URL
    return 0
  fi
  if vbp_pg_ready 127.0.0.1 5432; then
    export DATABASE_URL="postgres://postgres@127.0.0.1:5432/$db"
    return 0
  fi
  # the machine's own cluster, stopped
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ] && [ -n "$(ls /etc/postgresql 2>/dev/null)" ]; then
    echo "vbp: starting the machine's PostgreSQL cluster" >&2
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n 1)" main start >&2 || true
    if vbp_pg_wait 127.0.0.1 5432; then
      export DATABASE_URL="postgres://postgres@127.0.0.1:5432/$db"
      return 0
    fi
  fi
  # a private cluster under the project
  local bindir
  bindir="$(vbp_pg_bindir)"
  if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
    vbp_pg_fail "no PostgreSQL server found: install one (apt-get install postgresql) or set DATABASE_URL"
  fi
  local data="$root/.pgdata" port=54329
  vbp_pg_runas
  local run=("${VBP_PG_RUN[@]}")
  if ! vbp_pg_ready 127.0.0.1 "$port"; then
    if [ ! -f "$data/PG_VERSION" ]; then
      echo "vbp: creating a private PostgreSQL cluster in $data" >&2
      mkdir -p "$data"
      [ ${#run[@]} -gt 0 ] && chown postgres "$data"
      "${run[@]}" "$bindir/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null \
        || vbp_pg_fail "initdb failed in $data"
    fi
    "${run[@]}" "$bindir/pg_ctl" -D "$data" -l "$data/server.log" -w \
      -o "-p $port -k $data -c listen_addresses=127.0.0.1" start >/dev/null \
      || vbp_pg_fail "the private PostgreSQL cluster did not start; see $data/server.log"
  fi
  vbp_pg_wait 127.0.0.1 "$port" || vbp_pg_fail "PostgreSQL on port $port does not answer; see $data/server.log"
  export DATABASE_URL="postgres://postgres@127.0.0.1:$port/$db"
}
