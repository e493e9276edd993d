# What the load benchmarks share (source it from the project root):
#
#   vbp_bench_setup DB WORK   a fresh database DB (its name must start with vbp_load: it is
#                             dropped and recreated) as DATABASE_URL, on the server at
#                             127.0.0.1 (started when down); a fresh WORK directory with the
#                             three key files and WORK/mail as VBP_MAIL_DIR
vbp_bench_setup() {
  local db=$1 work=$2
  case "$db" in vbp_load*) ;; *) echo "VBP_LOAD_DB must start with vbp_load (it is dropped)" >&2; exit 2 ;; esac
  unset DATABASE_URL
  source scripts/postgres.sh
  vbp_ensure_postgres "$db"
  psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" postgres
  export DATABASE_URL="postgres://postgres@127.0.0.1:$(echo "$DATABASE_URL" | sed -E 's#.*:([0-9]+)/.*#\1#')/$db"
  rm -rf "$work"
  mkdir -p "$work/mail"
  source scripts/keys.sh
  vbp_key_files "$work"
  export VBP_MAIL_DIR="$work/mail"
}
