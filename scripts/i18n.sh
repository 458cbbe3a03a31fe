#!/usr/bin/env bash
# Extracts the translatable strings, merges them into each language's catalogue, and compiles the catalogues.
# Usage: scripts/i18n.sh            (extract + update + compile)
#        scripts/i18n.sh compile    (compile only, e.g. after editing a .po file)
set -euo pipefail
cd "$(dirname "$0")/.."

PYBABEL="${PYBABEL:-.venv/bin/pybabel}"
DIR=dashboard/translations
POT="$DIR/messages.pot"
LANGS=(fr)

if [[ "${1:-}" != "compile" ]]; then
  "$PYBABEL" extract -F babel.cfg -k _l -k lazy_pgettext:1c,2 -o "$POT" --no-location --sort-output \
    --project="Standing Capacities Hub" --copyright-holder="United Nations" .
  for lang in "${LANGS[@]}"; do
    if [[ -f "$DIR/$lang/LC_MESSAGES/messages.po" ]]; then
      # --ignore-obsolete drops strings no longer in the code instead of keeping them commented out.
      "$PYBABEL" update -i "$POT" -d "$DIR" -l "$lang" --no-fuzzy-matching --ignore-obsolete
    else
      "$PYBABEL" init -i "$POT" -d "$DIR" -l "$lang"
    fi
  done
fi
# --statistics shows what is still untranslated; an untranslated string falls back to English.
"$PYBABEL" compile -d "$DIR" --statistics
