"""``computesim`` command line: parse, call the API, print. Bad input: one line on stderr, exit 2."""
from __future__ import annotations

import argparse
import importlib
import logging
import sys

from ..errors import InputError

#: Subcommand modules under computesim.cli; each has ``register(subparsers)`` which sets ``func``.
COMMANDS = ("estimate", "examples", "profiles", "sweep", "bands", "trend", "bench")

EXIT_BAD_INPUT = 2


class Parser(argparse.ArgumentParser):
    """argparse with one-line errors (no usage dump) and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise InputError(self.prog.removeprefix("computesim").strip() or "arguments", message)


def build_parser() -> Parser:
    """The full parser: one subparser per module in COMMANDS."""
    from .. import __version__

    parser = Parser(prog="computesim", description="Estimate the compute used to train ML systems.")
    parser.add_argument("--version", action="version", version=f"computesim {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log decisions (backend choice, chunking)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for name in COMMANDS:
        importlib.import_module(f"{__name__}.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``computesim`` script; returns the exit code."""
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if args.verbose:
            logging.basicConfig(level=logging.INFO, format="computesim: %(message)s")
        if not getattr(args, "func", None):
            parser.print_help()
            return EXIT_BAD_INPUT
        return int(args.func(args) or 0)
    except InputError as exc:
        print(f"computesim: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("computesim: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `computesim examples | head`
        return 0
