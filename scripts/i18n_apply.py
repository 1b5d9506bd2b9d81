"""Merge translations from a JSON object {msgid: msgstr} into a catalog (default: Chinese).

Usage: .venv/bin/python scripts/i18n_apply.py FILE.json [zh|en]
Run scripts/i18n first so the msgids exist in the catalog; unknown msgids are reported.
"""

import json
import sys

from babel.messages.pofile import read_po, write_po

source = sys.argv[1]
language = sys.argv[2] if len(sys.argv) > 2 else "zh"
path = f"community/locale/{language}/LC_MESSAGES/messages.po"
with open(source, encoding="utf-8") as fh:
    translations: dict[str, str] = json.load(fh)
with open(path, "rb") as fh:
    catalog = read_po(fh)
unknown = []
for msgid, msgstr in translations.items():
    message = catalog.get(msgid)
    if message is None:
        unknown.append(msgid)
        continue
    message.string = msgstr
    message.flags.discard("fuzzy")
with open(path, "wb") as fh:
    write_po(fh, catalog, width=100, omit_header=False, no_location=True)
for msgid in unknown:
    print("not in catalog:", msgid, file=sys.stderr)
