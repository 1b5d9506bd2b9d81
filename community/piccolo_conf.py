"""Piccolo configuration: the engine chosen by YISHI_DATABASE_URL and the apps of Yishi."""

from piccolo.conf.apps import AppRegistry

from community.config import get_config
from community.db import make_engine

DB = make_engine(get_config())

APP_REGISTRY = AppRegistry(
    apps=["community.piccolo_app", "deliberation.piccolo_app", "votes.piccolo_app", "votes.projects.piccolo_app", "deliberation.minutes.piccolo_app",
          "deliberation.concerns.piccolo_app"],
)
