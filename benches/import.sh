#!/usr/bin/env bash
# Import of N generated contacts (interlog's own CSV export) against sqlite3's `.import` of the
# same file into a table with a primary key and one index, alternating, in the same run
# (issue 10's target: 1M contacts in ≤ 4 s and ≤ 300 MiB; the ratio is what a busy machine
# does not change). Needs a release build and sqlite3; prints one line per run and the medians.
#
#   cargo build --release && bash benches/import.sh            # N=1000000 RUNS=3
#   N=100000 RUNS=5 DIR=/tmp/x BIN=/path/to/interlog bash benches/import.sh
set -euo pipefail
N=${N:-1000000}
RUNS=${RUNS:-3}
DIR=${DIR:-/tmp/interlog-import-bench}
BIN=${BIN:-$(pwd)/target/release/interlog}
command -v sqlite3 >/dev/null || { echo "import.sh: sqlite3 is not installed" >&2; exit 2; }
[ -x "$BIN" ] || { echo "import.sh: no binary at $BIN — run cargo build --release" >&2; exit 2; }
mkdir -p "$DIR"
cd "$DIR"
if [ ! -s "contacts-$N.csv" ]; then
  rm -rf gen.db
  "$BIN" --store gen.db gen --contacts "$N" --segment-size 10 >/dev/null
  "$BIN" --store gen.db export contacts --out "contacts-$N.csv" >/dev/null
  "$BIN" --store gen.db export salespeople --out salespeople.csv >/dev/null
  rm -rf gen.db
fi
cat > schema.sql <<'SQL'
CREATE TABLE contacts(no TEXT PRIMARY KEY, name TEXT, kind TEXT, company_no TEXT,
  salesperson_code TEXT, language_code TEXT, email TEXT, correspondence_type TEXT,
  exclude_from_segment TEXT, privacy_blocked TEXT, city TEXT, post_code TEXT,
  country_code TEXT, phone TEXT);
CREATE INDEX contacts_company ON contacts(company_no);
SQL
# wall seconds and peak RSS (KiB) of a command, as "S KB"
measure() { /usr/bin/time -f '%e %M' -o time.txt "$@" >/dev/null; cat time.txt; }
il=() sq=()
for run in $(seq "$RUNS"); do
  rm -rf s.db && "$BIN" --store s.db init >/dev/null
  "$BIN" --store s.db import salespeople.csv --kind salespeople >/dev/null
  read -r t_il m_il < <(measure "$BIN" --store s.db import "contacts-$N.csv" --kind contacts)
  rm -f q.db && sqlite3 q.db < schema.sql
  read -r t_sq m_sq < <(measure sqlite3 q.db -cmd '.mode csv' -cmd ".import --skip 1 contacts-$N.csv contacts" '.quit')
  [ "$(sqlite3 q.db 'select count(*) from contacts')" = "$N" ] || { echo "sqlite3 did not load $N rows" >&2; exit 1; }
  ratio=$(awk -v a="$t_il" -v b="$t_sq" 'BEGIN{printf "%.2f", a/b}')
  echo "run $run: interlog $t_il s, $((m_il / 1024)) MiB; sqlite3 $t_sq s, $((m_sq / 1024)) MiB; ratio $ratio"
  il+=("$t_il") sq+=("$ratio")
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
echo "median: interlog $(median "${il[@]}") s; interlog / sqlite3 $(median "${sq[@]}")"
rm -rf s.db q.db time.txt
