"""The shared foundation: accounts, the community roster, permissions, database, languages, live channels,
the template environment and the event bus. It imports no other Yishi package."""

import os

# Piccolo finds its engine through this module; set before any table is touched.
os.environ.setdefault("PICCOLO_CONF", "community.piccolo_conf")
