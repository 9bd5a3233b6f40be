"""Load the example gem5-style configs as modules."""

import importlib.util
from pathlib import Path

CONFIGS = Path(__file__).resolve().parents[2] / "configs"


def load_config(name: str):
    spec = importlib.util.spec_from_file_location(f"cfg_{name}", CONFIGS / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod
