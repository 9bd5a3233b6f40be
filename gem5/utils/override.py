"""gem5.utils.override: the `@overrides(Base)` decorator, which checks at class
creation that the method it marks exists (as a plain function) in `Base`."""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import Any


def overrides(interface_class: type) -> Callable[[Any], Any]:
    def check(method: Any) -> Any:
        name = method.__name__
        if name not in dir(interface_class):
            raise NotImplementedError(
                f"function {name} is an @override, but that function is not implemented "
                f"in base class {interface_class}"
            )
        found = getattr(interface_class, name)
        if not isinstance(found, types.FunctionType):
            raise NotImplementedError(
                f"function {name} is an @overide, but that is implemented as type "
                f"{type(found)} in base class {interface_class}, expected implemented "
                f"type {types.FunctionType}."
            )
        return method

    return check


__all__ = ["overrides"]
