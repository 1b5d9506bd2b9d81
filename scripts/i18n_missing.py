"""Print the msgids the Chinese catalog does not translate yet (exit 1 if any)."""

import sys

from babel.messages.pofile import read_po

with open("community/locale/zh/LC_MESSAGES/messages.po", "rb") as fh:
    catalog = read_po(fh)
missing = [m.id for m in catalog if m.id and (not m.string or (isinstance(m.string, tuple) and not all(m.string)) or m.fuzzy)]
for msgid in missing:
    print("untranslated:", msgid if isinstance(msgid, str) else msgid[0])
sys.exit(1 if missing else 0)
