"""The Yishi application: the composition root (app factory, wiring, CLI, demo) and its web shell pages.
Nothing else imports it."""

import community  # noqa: F401 - sets PICCOLO_CONF before any table is touched
