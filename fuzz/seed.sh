#!/usr/bin/env bash
# Builds the seed corpora of the fuzz targets from ../fixtures (and from the filters used in
# the filter parser's unit tests). Re-run after adding fixtures; existing corpus files stay.
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p corpus/filter_parse corpus/import_csv corpus/import_json corpus/codec_decode

# codec_decode: the frozen stored values.
for f in ../fixtures/format/*/*.bin; do
  cp "$f" "corpus/codec_decode/$(basename "$(dirname "$f")")-$(basename "$f")"
done

# import_*: the first byte picks the kind (0 contacts, 1 salespeople, 2 groups, 3 templates,
# 4 campaigns), the rest is the file.
kind_byte() {
  case "$(basename "$1" | tr 'A-Z' 'a-z')" in
    *contact*) printf '\x00' ;; *salesp*) printf '\x01' ;; *group*) printf '\x02' ;;
    *template*) printf '\x03' ;; *campaign*) printf '\x04' ;; *) printf '\x00' ;;
  esac
}
find ../fixtures -type f \( -name '*.csv' -o -name '*.json' \) | while read -r f; do
  ext="${f##*.}"
  name="$(echo "${f#../fixtures/}" | tr '/' '-')"
  { kind_byte "$f"; cat "$f"; } > "corpus/import_${ext}/${name}"
done

# filter_parse: every quoted filter in the filter module's tests, and a few by hand.
grep -ohE '(accepts|expr_error|field_error|field|FieldFilter::parse|FilterExpr::parse)\("([^"\\]|\\.)*"' \
    ../src/domain/filter.rs \
  | sed -E 's/^[A-Za-z_:]+\("//; s/"$//' | sort -u | nl -nln | while read -r i text; do
  printf '%b' "$text" > "corpus/filter_parse/unit-$i"
done
printf '%s' 'City=Manchester|Newport' > corpus/filter_parse/readme-1
printf '%s' 'Name=@*ltd*' > corpus/filter_parse/readme-2
printf '%s' 'Type=Person' > corpus/filter_parse/readme-3
printf '%s' "No.=CT1*&<>CT100002|(Name=@'o''brien'..'z')" > corpus/filter_parse/hand-1
echo "seeded: $(for d in corpus/*; do printf '%s %s  ' "$(basename "$d")" "$(ls "$d" | wc -l)"; done)"
