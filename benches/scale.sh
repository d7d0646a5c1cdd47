#!/usr/bin/env bash
# Scale run (issue 11, target 5): N generated contacts and a segment of N lines, logged with
# follow-up, then opens, contact history, cancel, a canceled lookup and verify — each command
# timed with its peak RSS, and the store's size on disk after gen and after the log.
#
#   cargo build --release && bash benches/scale.sh            # N = 50,000,000 (~6.5 GB, ~8 min)
#   N=10000000 DIR=/tmp/scale bash benches/scale.sh            # smaller, elsewhere
#
# BIN= picks another interlog binary; DIR= is where the store goes (deleted first).
set -euo pipefail
N=${N:-50000000}
BIN=${BIN:-target/release/interlog}
DIR=${DIR:-scale-run}
S="$DIR/store"
T() { /usr/bin/time -f "    -> %e s, peak RSS %M KB" "$@"; }
step() { echo "== $(date -u +%T) $*"; }
mkdir -p "$DIR"
rm -rf "$S"
step init
T "$BIN" --store "$S" init > /dev/null
step "gen --contacts $N --segment-size $N"
T "$BIN" --store "$S" gen --contacts "$N" --segment-size "$N"
echo "   disk: $(du -sb "$S" | cut -f1) bytes"
step "segment log SM00001 --follow-up"
T "$BIN" --store "$S" segment log SM00001 --follow-up
echo "   disk: $(du -sb "$S" | cut -f1) bytes"
step "setup show (first open after the log, then three more)"
for _ in 1 2 3 4; do T "$BIN" --store "$S" setup show > /dev/null; done
LAST=$(printf 'GC%08d' $((N * 3 / 4)))
for c in GC00000001 "$LAST"; do
    step "interaction list --contact $c"
    T "$BIN" --store "$S" interaction list --contact "$c" | tail -1
done
step "logged-segment cancel 1"
T "$BIN" --store "$S" logged-segment cancel 1
step "interaction list --contact $LAST --canceled"
T "$BIN" --store "$S" interaction list --contact "$LAST" --canceled | tail -1
step verify
T "$BIN" --store "$S" verify | tail -2
step done
