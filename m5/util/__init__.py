"""gem5's m5.util: messages (fatal/panic exit 1, warn to stderr, inform to
stdout, as gem5's Python side prints them), addToPath, the small helpers
gem5's configs use, and the `convert`, `attrdict` and `multidict` modules."""

from __future__ import annotations

import os
import re  # noqa: F401 - star-exported, as gem5's m5.util does (it has no __all__)
import sys
from collections.abc import Callable, Iterable, Iterator
from functools import wraps
from typing import Any, NoReturn

from m5.util import convert  # noqa: F401
from m5.util.attrdict import attrdict, multiattrdict, optiondict  # noqa: F401
from m5.util.multidict import multidict  # noqa: F401
from simobjs.errors import ConfigError


def _format(fmt: Any, args: tuple) -> str:
    text = str(fmt)
    if args:
        text = text % args
    return text.rstrip("\n")


def panic(fmt: Any, *args: Any) -> NoReturn:
    """Print "panic: ..." to stderr and exit with status 1."""
    print("panic: " + _format(fmt, args), file=sys.stderr)
    sys.exit(1)


def fatal(fmt: Any, *args: Any) -> NoReturn:
    """Print "fatal: ..." to stderr and exit with status 1 (gem5's fatal)."""
    print("fatal: " + _format(fmt, args), file=sys.stderr)
    sys.exit(1)


def warn(fmt: Any, *args: Any) -> None:
    print("warn: " + _format(fmt, args), file=sys.stderr)


def inform(fmt: Any, *args: Any) -> None:
    """ "info: ..." on stdout (gem5's Python inform() prints there)."""
    print("info: " + _format(fmt, args), file=sys.stdout)


def callOnce(func: Callable) -> Callable:
    """A function that runs on its first call only; later calls return None."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if wrapper.has_run:
            return None
        wrapper.has_run = True
        return func(*args, **kwargs)

    wrapper.has_run = False
    return wrapper


def _qualname(func: Any) -> str:
    return f"{func.__module__}.{func.__qualname__}"


def deprecated(replacement: Any = None, logger: Callable = warn) -> Callable:
    """Decorator: the first call of the function logs that it is deprecated."""

    def decorator(func: Callable) -> Callable:
        @callOnce
        def notify() -> None:
            try:
                message = f"Function {_qualname(func)} is deprecated."
                if replacement:
                    message += f" Prefer {_qualname(replacement)} instead."
            except AttributeError:
                message = f"Function {func} is deprecated."
                if replacement:
                    message += f" Prefer {replacement} instead."
            logger(message)

        @wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            notify()
            return func(*args, **kwargs)

        return wrapper

    return decorator


class Singleton(type):
    """Metaclass: every call of the class returns its first instance."""

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        if "_instance" not in cls.__dict__:
            cls._instance = super().__call__(*args, **kwargs)
        return cls._instance


def addToPath(path: str) -> None:
    """Insert `path` (relative to the running script's directory, sys.path[0])
    into sys.path right after that directory, as gem5 does."""
    if not os.path.isabs(path) and sys.path and sys.path[0]:
        path = os.path.join(sys.path[0], path)
    sys.path.insert(1, os.path.realpath(path))


def repoPath() -> str:
    """gem5: the repository above build/<ISA>/gem5.opt. Here: the directory
    holding the m5 package (the simobjs source tree or site-packages)."""
    return os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def applyMethod(obj: Any, meth: str, *args: Any, **kwargs: Any) -> Any:
    return getattr(obj, meth)(*args, **kwargs)


def applyOrMap(objOrSeq: Any, meth: str, *args: Any, **kwargs: Any) -> Any:  # noqa: N803
    if not isinstance(objOrSeq, list | tuple):
        return applyMethod(objOrSeq, meth, *args, **kwargs)
    return [applyMethod(o, meth, *args, **kwargs) for o in objOrSeq]


def crossproduct(items: list) -> Iterator[tuple]:
    """Every combination taking one element of each sequence in `items`."""
    if len(items) == 1:
        for i in items[0]:
            yield (i,)
        return
    for i in items[0]:
        for rest in crossproduct(items[1:]):
            yield (i,) + rest


def flatten(items: list) -> Iterator[Any]:
    """The leaves of nested lists/tuples, in order (consumes `items`, as gem5's)."""
    while items:
        item = items.pop(0)
        if isinstance(item, list | tuple):
            items[0:0] = item
        else:
            yield item


def makeList(objOrList: Any) -> list:  # noqa: N803
    return objOrList if isinstance(objOrList, list) else [objOrList]


def printList(items: Iterable[str], indent: int = 4) -> None:
    """Print comma-separated items wrapped before column 76."""
    items = list(items)
    line = " " * indent
    for i, item in enumerate(items):
        if len(line) + len(item) > 76:
            print(line)
            line = " " * indent
        if i < len(items) - 1:
            line += f"{item}, "
        else:
            line += item
            print(line)


def isInteractive() -> bool:
    """Whether the simulator's stdin is a terminal."""
    return bool(sys.__stdin__ and sys.__stdin__.isatty())


def config_error_exit(err: ConfigError) -> NoReturn:
    """Report a ConfigError the way gem5 reports a fatal() and exit 1."""
    fatal("%s", str(err))
