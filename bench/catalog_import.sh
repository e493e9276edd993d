#!/usr/bin/env bash
# Catalog benchmark (docs/benchmarks.md, "Catalog"):
#
#   1. generates catalog CSV files of 25,000, 50,000 and 100,000 rows (and more with
#      SIZES="..."), realistic in shape: Chinese generic names, NHSA codes, ceilings;
#   2. imports each into a fresh database with the release `vbp import-catalog` under
#      /usr/bin/time -v: wall time and maximum resident set size (memory);
#   3. re-imports the largest file (every row unchanged) and a copy with every ceiling
#      changed (every row updated, a ceiling appended to each history);
#   4. serves that database with the release `vbp serve` and times QUERIES searches
#      (Chinese name substrings, code prefixes, manufacturers, filters, pages) with curl:
#      p50 / p90 / p99 / max of the request time seen by the client on 127.0.0.1.
#
# Needs: cargo, curl, awk, GNU time (/usr/bin/time), a PostgreSQL server (the same
# bootstrap as scripts/test.sh). Usage: bench/catalog_import.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/postgres.sh
vbp_ensure_postgres vbp_bench_catalog
SERVER_URL="${DATABASE_URL%/*}"
DB=vbp_bench_catalog
export DATABASE_URL="$SERVER_URL/$DB"
SIZES="${SIZES:-25000 50000 100000}"
QUERIES="${QUERIES:-1000}"
WORK="${WORK:-target/bench-catalog}"
PORT="${PORT:-18089}"
mkdir -p "$WORK"

echo "== build (release)" >&2
cargo build --release --quiet -p api --bin vbp
VBP=target/release/vbp

# A catalog file of $1 rows: 80 generics (Chinese names, real ATC groups), up to 4
# strengths x 3 pack counts, spread over manufacturers; codes unique by construction.
generate() {
  awk -v n="$1" -v bump="${2:-0}" 'BEGIN {
    split("阿托伐他汀钙片 瑞舒伐他汀钙片 辛伐他汀片 匹伐他汀钙片 苯磺酸氨氯地平片 硝苯地平缓释片 非洛地平缓释片 厄贝沙坦片 氯沙坦钾片 缬沙坦胶囊 替米沙坦片 坎地沙坦酯片 奥美沙坦酯片 马来酸依那普利片 盐酸贝那普利片 琥珀酸美托洛尔缓释片 富马酸比索洛尔片 硫酸氢氯吡格雷片 替格瑞洛片 利伐沙班片 盐酸二甲双胍片 格列美脲片 格列齐特缓释片 阿卡波糖片 磷酸西格列汀片 沙格列汀片 达格列净片 恩格列净片 恩替卡韦片 富马酸替诺福韦二吡呋酯片 磷酸奥司他韦胶囊 孟鲁司特钠片 盐酸西替利嗪片 氯雷他定片 奥美拉唑肠溶胶囊 泮托拉唑钠肠溶片 埃索美拉唑镁肠溶片 雷贝拉唑钠肠溶片 枸橼酸莫沙必利片 左氧氟沙星片 盐酸莫西沙星片 头孢呋辛酯片 阿奇霉素片 克拉霉素片 阿莫西林胶囊 氟康唑胶囊 盐酸舍曲林片 草酸艾司西酞普兰片 盐酸帕罗西汀片 度洛西汀肠溶胶囊 奥氮平片 富马酸喹硫平片 阿立哌唑片 利培酮片 左乙拉西坦片 普瑞巴林胶囊 加巴喷丁胶囊 盐酸多奈哌齐片 盐酸美金刚片 塞来昔布胶囊 盐酸坦索罗辛缓释胶囊 非那雄胺片 枸橼酸西地那非片 他达拉非片 阿那曲唑片 来曲唑片 甲磺酸伊马替尼片 吉非替尼片 卡培他滨片 替莫唑胺胶囊 比卡鲁胺片 注射用培美曲塞二钠 注射用硼替佐米 多西他赛注射液 奥沙利铂注射液 注射用头孢曲松钠 注射用头孢唑林钠 注射用美罗培南 盐酸昂丹司琼注射液 依诺肝素钠注射液", names, " ");
    split("C10AA C10AA C10AA C10AA C08CA C08CA C08CA C09CA C09CA C09CA C09CA C09CA C09CA C09AA C09AA C07AB C07AB B01AC B01AC B01AF A10BA A10BB A10BB A10BF A10BH A10BH A10BK A10BK J05AF J05AF J05AH R03DC R06AE R06AX A02BC A02BC A02BC A02BC A03FA J01MA J01MA J01DC J01FA J01FA J01CA J02AC N06AB N06AB N06AB N06AX N05AH N05AH N05AX N05AX N03AX N03AX N03AX N06DA N06DX M01AH G04CA G04CB G04BE G04BE L02BG L02BG L01EA L01EB L01BC L01AX L02BB L01BA L01XG L01CD L01XA J01DD J01DB J01DH A04AA B01AB", atc, " ");
    split("10 20 40 80", strengths, " "); split("7 14 28", packs, " ");
    split("passed passed passed passed reference originator not_passed", cons, " ");
    print "kind,code,generic_name,dosage_form,strength,strength_unit,pack_count,min_unit,consistency,manufacturer,ceiling_price,ceiling_valid_from";
    for (i = 0; i < n; i++) {
      g = i % 80; rest = int(i / 80);
      s = rest % 4; p = int(rest / 4) % 3; c = int(rest / 12);
      form = (g >= 70) ? "injection" : "tablet"; unit = (g >= 70) ? "vial" : "tablet";
      price = sprintf("%.4f", (0.05 + (g * 37 % 100) / 25.0) * (1 + s * 0.7) + bump);
      printf "drug,X%sD%03dA%03d%02d%02d%05d,%s,%s,%s,mg,%d,%s,%s,示例制药%d有限公司,%s,2026-01-01\n",
        atc[g + 1], g + 1, (g >= 70) ? 16 : 1, s + 1, p + 1, c + 1, names[g + 1], form,
        strengths[s + 1], packs[p + 1], unit, cons[(i % 7) + 1], c + 1, price;
    }
  }'
}

fresh_db() {
  psql "$SERVER_URL/postgres" -qAtc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null
  "$VBP" migrate >/dev/null 2>&1
}

timed_import() { # label file
  local log="$WORK/time-$1.log"
  /usr/bin/time -v "$VBP" import-catalog "$2" >"$WORK/out-$1.log" 2>"$log"
  local wall rss
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$log")
  rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.1f", $2 / 1024}' "$log")
  printf "| %s | %s | %s MiB | %s |\n" "$1" "$wall" "$rss" "$(sed -n 's/^imported [^:]*: //p' "$WORK/out-$1.log" | cut -d'(' -f1)"
}

echo "== import" >&2
echo "| file | wall time | max RSS | report |"
echo "|---|---|---|---|"
largest=""
for n in $SIZES; do
  f="$WORK/catalog-$n.csv"
  [ -s "$f" ] || generate "$n" >"$f"
  fresh_db
  timed_import "$n rows, new ($(du -h "$f" | cut -f1))" "$f"
  largest="$f"
done
timed_import "same file again (unchanged)" "$largest"
generate "$(echo "$SIZES" | awk '{print $NF}')" 0.0100 >"$WORK/catalog-bumped.csv"
timed_import "every ceiling changed (updated)" "$WORK/catalog-bumped.csv"

echo "== search" >&2
"$VBP" demo --password bench-password-1 >/dev/null
# as autovacuum would after a bulk load: statistics and the visibility map
psql "$DATABASE_URL" -qAtc "VACUUM ANALYZE" >/dev/null
secret="$WORK/jwt-secret"
[ -s "$secret" ] || head -c 48 /dev/urandom | base64 >"$secret"
VBP_JWT_SECRET_FILE="$secret" VBP_BIND="127.0.0.1:$PORT" RUST_LOG=warn "$VBP" serve >"$WORK/serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.2; done
token=$(curl -fs -X POST "http://127.0.0.1:$PORT/api/v1/auth/login" -H 'content-type: application/json' \
  -d '{"email":"buyer@vbp.demo","password":"bench-password-1"}' | sed 's/.*"access_token":"\([^"]*\)".*/\1/')
total=$(curl -fs "http://127.0.0.1:$PORT/api/v1/catalog/items?per_page=1" -H "authorization: Bearer $token" | sed 's/.*"total":\([0-9]*\).*/\1/')
echo "searching $total items" >&2
terms=(他汀 阿托伐他汀 瑞舒伐 氨氯地平 沙坦 二甲双胍 格列 恩替卡韦 奥美拉唑 头孢 注射用 肠溶 缓释片 胶囊 盐酸 片)
codes=(XC10AA XC09CA XA10B XJ01 XN05AH XL01 XB01AC XA02BC XC10AAD001 XN06AB)
makers=(示例制药1有限公司 示例制药42 制药7 Huahai Qilu)
times="$WORK/search-times.txt"
: >"$times"
for i in $(seq 1 "$QUERIES"); do
  page=$(( i % 5 + 1 ))
  case $(( i % 5 )) in
    0|1) kind="name (q)"; args=(--data-urlencode "q=${terms[$(( i % ${#terms[@]} ))]}") ;;
    2) kind="code prefix"; args=(--data-urlencode "code=${codes[$(( i % ${#codes[@]} ))]}") ;;
    3) kind="manufacturer"; args=(--data-urlencode "manufacturer=${makers[$(( i % ${#makers[@]} ))]}") ;;
    4) kind="q + consistency + kind"; args=(--data-urlencode "q=${terms[$(( i % ${#terms[@]} ))]}" --data-urlencode "consistency=passed" --data-urlencode "kind=drug") ;;
  esac
  t=$(curl -fsG -o /dev/null -w '%{time_total}' "http://127.0.0.1:$PORT/api/v1/catalog/items" \
    -H "authorization: Bearer $token" "${args[@]}" --data "page=$page" --data "per_page=50")
  echo "$kind|$t" >>"$times"
done
percentiles() { # label, then times in seconds on stdin
  sort -n | awk -v label="$1" '{ t[NR] = $1 * 1000 } END {
    printf "| %s | %d | %.1f ms | %.1f ms | %.1f ms | %.1f ms |\n",
      label, NR, t[int(NR * 0.50)], t[int(NR * 0.90)], t[int(NR * 0.99)], t[NR] }'
}
echo "| searches over $total items | n | p50 | p90 | p99 | max |"
echo "|---|---|---|---|---|---|"
cut -d'|' -f2 "$times" | percentiles "all"
for kind in "name (q)" "code prefix" "manufacturer" "q + consistency + kind"; do
  grep -F "$kind|" "$times" | cut -d'|' -f2 | percentiles "$kind"
done
# an export of everything, streamed
start=$(date +%s.%N)
curl -fs "http://127.0.0.1:$PORT/api/v1/catalog/export.csv" -H "authorization: Bearer $token" -o "$WORK/export.csv"
echo "export: $(($(wc -l <"$WORK/export.csv") - 1)) rows in $(echo "$(date +%s.%N) - $start" | bc 2>/dev/null || echo '?') s"
