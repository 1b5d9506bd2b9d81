"""Yishi web application: wiring, accounts and the community roster."""

import os

# Piccolo finds its engine through this module; set before any table is touched.
os.environ.setdefault("PICCOLO_CONF", "app.piccolo_conf")
