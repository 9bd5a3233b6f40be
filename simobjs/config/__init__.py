"""Configuration outputs and inputs: prepare, config.ini/json/dot, YAML, schema."""

from __future__ import annotations

from simobjs.config.dot import config_dot
from simobjs.config.output import config_dict, config_ini, config_json, write_all
from simobjs.config.prepare import prepare, release

__all__ = [
    "config_dict",
    "config_ini",
    "config_json",
    "config_dot",
    "prepare",
    "release",
    "write_all",
]
