"""``computesim`` command line: parse, call the API, print. Bad input: one line on stderr, exit 2."""
from __future__ import annotations

import argparse
import difflib
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

    def parse_known_args(self, args=None, namespace=None):  # type: ignore[override]
        """A subcommand names its own unknown flags (with the nearest known one), not the top level."""
        ns, extras = super().parse_known_args(args, namespace)
        if extras and self.prog != "computesim":
            self.error(unrecognized(extras, [o for o in self._option_string_actions if o.startswith("--")]))
        return ns, extras


def unrecognized(extras: list[str], known: list[str]) -> str:
    """'unrecognized argument --dayz; did you mean --days?'"""
    first = extras[0].partition("=")[0] if extras[0].startswith("-") else extras[0]
    near = difflib.get_close_matches(first, known, n=1, cutoff=0.6) if first.startswith("-") else []
    what = "argument" if len(extras) == 1 else f"arguments ({len(extras)})"
    return f"unrecognized {what} {first!r}" + (f"; did you mean {near[0]}?" if near else "")


def one_line(text: str, limit: int = 500) -> str:
    """``text`` on one printable line (control characters escaped), long values cut in the middle."""
    if not text.isprintable():
        text = "".join(c if c.isprintable() else c.encode("unicode_escape", "backslashreplace").decode("ascii")
                       for c in text)
    return text if len(text) <= limit else f"{text[:limit - 150]} ...({len(text)} characters)... {text[-120:]}"


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
            raise InputError("COMMAND", f"missing; choose one of {', '.join(COMMANDS)} (computesim -h for help)")
        return int(args.func(args) or 0)
    except InputError as exc:
        print(f"computesim: error: {one_line(str(exc))}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("computesim: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `computesim examples | head`
        return 0
