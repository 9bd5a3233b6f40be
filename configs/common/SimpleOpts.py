"""Command-line options that config modules register as they are imported, in the
shape of gem5's configs/common/SimpleOpts.py: `add_option(...)` from any module
(caches.py adds its cache sizes), then one `parse_args()` in the script."""

from argparse import ArgumentParser

import m5

called_parse_args = False
parser = ArgumentParser()


def add_option(*args, **kwargs):
    """Register an option (argparse's add_argument); only before parse_args()."""
    if called_parse_args:
        m5.fatal("Can't add an option after calling SimpleOpts.parse_args")
    parser.add_argument(*args, **kwargs)


def parse_args():
    global called_parse_args
    called_parse_args = True
    return parser.parse_args()


def print_help(*args, **kwargs):
    parser.print_help(*args, **kwargs)
