"""``computesim`` command line: parse, call the API, print. Bad input: one line on stderr, exit 2."""

from __future__ import annotations

import argparse
import contextlib
import difflib
import errno
import importlib
import io
import logging
import os
import signal
import sys
from collections.abc import Iterator, Sequence
from typing import NoReturn

from computesim import __version__
from computesim.errors import InputError
from computesim.io.arrow import describe_os_error

from .output import with_flags

#: Subcommand modules under computesim.cli; each has ``register(subparsers)`` which sets ``func``.
COMMANDS = (
    "estimate",
    "examples",
    "profiles",
    "sweep",
    "bands",
    "trend",
    "efficiency",
    "bench",
    "warmup",
)

EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130  #: 128 + SIGINT
#: Signals handled like Ctrl-C (temporary files removed, one line, exit 128 + the signal number).
TERMINATING = ("SIGTERM", "SIGHUP")


class Parser(argparse.ArgumentParser):
    """argparse with one-line errors (no usage dump) and exit code 2."""

    def error(self, message: str) -> NoReturn:
        raise InputError(self.prog.removeprefix("computesim").strip() or "arguments", message)

    def parse_known_args(self, args=None, namespace=None):
        """A subcommand names its own unknown flags (with the nearest known one), not the top level."""
        ns, extras = super().parse_known_args(args, namespace)
        if extras and self.prog != "computesim":
            self.error(
                unrecognized(extras, [o for o in self._option_string_actions if o.startswith("--")])
            )
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
        text = "".join(
            c if c.isprintable() else c.encode("unicode_escape", "backslashreplace").decode("ascii")
            for c in text
        )
    return (
        text
        if len(text) <= limit
        else f"{text[: limit - 150]} ...({len(text)} characters)... {text[-120:]}"
    )


class Terminated(BaseException):
    """A terminating signal arrived (SIGTERM, SIGHUP): unwinds like KeyboardInterrupt."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        super().__init__(signal.Signals(signum).name)


def _on_signal(signum: int, frame) -> None:
    signal.signal(signum, signal.SIG_IGN)  # a second one must not interrupt the clean-up
    raise Terminated(signum)


@contextlib.contextmanager
def _signals() -> Iterator[None]:
    """SIGTERM/SIGHUP raise Terminated (unless ignored, e.g. under nohup); SIGXFSZ is ignored so
    that a write past ``ulimit -f`` fails with EFBIG instead of killing the process. Restored after."""
    saved = {}
    try:
        for name in TERMINATING:
            sig = getattr(signal, name, None)
            if sig is not None and signal.getsignal(sig) not in (signal.SIG_IGN, None):
                saved[sig] = signal.signal(sig, _on_signal)
        if hasattr(signal, "SIGXFSZ"):
            saved[signal.SIGXFSZ] = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    except ValueError:  # not the main thread: leave signals alone
        pass
    try:
        yield
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)


class _StderrHandler(logging.Handler):
    """``computesim: MESSAGE`` on the current sys.stderr (looked up per record, so that it follows
    redirections and is never left holding a closed stream)."""

    def emit(self, record: logging.LogRecord) -> None:
        with contextlib.suppress(Exception):
            print(f"computesim: {record.getMessage()}", file=sys.stderr)


@contextlib.contextmanager
def _logging(verbose: bool) -> Iterator[None]:
    """The computesim loggers to stderr for one run: warnings (e.g. stale files removed), and with
    ``--verbose`` the decisions logged at INFO. Restored after."""
    logger = logging.getLogger("computesim")
    handler, level, propagate = _StderrHandler(), logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.INFO if verbose else logging.WARNING)
    logger.propagate = False
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        logger.propagate = propagate


def build_parser(commands: Sequence[str] = ()) -> Parser:
    """The parser with one subparser per module in ``commands`` (default: all of COMMANDS)."""

    parser = Parser(prog="computesim", description="Estimate the compute used to train ML systems.")
    parser.add_argument("--version", action="version", version=f"computesim {__version__}")
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="log decisions (backend choice, chunking)"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for name in commands or COMMANDS:
        importlib.import_module(f"{__name__}.{name}").register(sub)
    return parser


def named_command(argv: Sequence[str]) -> tuple[str, ...]:
    """``(command,)`` when ``argv``'s first word (the top-level flags take no value) is one of
    COMMANDS, else ``()``. ``main`` then imports only that command's module: each pulls in its part
    of the library (NumPy, the tables, the bench registry), and a start-up pays only for its own.
    A top-level ``-h``/``--help`` before the command word gets every command (the full help)."""
    for a in argv:
        if a in ("-h", "--help"):
            return ()
        if not a.startswith("-") or a == "--":
            return (a,) if a in COMMANDS else ()
    return ()


def _subparser(parser: argparse.ArgumentParser, command: str) -> argparse.ArgumentParser:
    """The subcommand's own parser."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action.choices[command]
    raise KeyError(command)  # pragma: no cover - build_parser always adds the subcommands


def flag_names(parser: argparse.ArgumentParser) -> dict[str, str]:
    """API parameter -> the long flag that sets it in ``parser`` (``forward_macs`` ->
    ``--forward-macs``)."""
    return {a.dest: max(a.option_strings, key=len) for a in parser._actions if a.option_strings}


def _detach_stdout() -> None:
    """Point the stdout descriptor at /dev/null so the interpreter's final flush cannot fail again."""
    with contextlib.suppress(OSError, ValueError, AttributeError, io.UnsupportedOperation):
        fd = os.open(os.devnull, os.O_WRONLY)
        os.dup2(fd, sys.stdout.fileno())
        os.close(fd)


def _from_stdout(exc: OSError) -> bool:
    """Whether an OSError that reached main came from stdout: no file name, and an error of a full,
    closed or failing stream (file writes go through arrow_io, which names the file)."""
    return exc.filename is None and exc.errno in (
        errno.ENOSPC,
        errno.EBADF,
        errno.EIO,
        errno.EPIPE,
        errno.EFBIG,
    )


def _run(argv: list[str] | None) -> int:
    if sys.stdout is None:  # started with stdout closed (`>&-`): everything printed would be lost
        raise InputError("stdout", "is closed; redirect it to a file or /dev/null instead")
    parser = build_parser(named_command(sys.argv[1:] if argv is None else argv))
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        raise InputError(
            "COMMAND", f"missing; choose one of {', '.join(COMMANDS)} (computesim -h for help)"
        )
    with _logging(args.verbose):
        try:
            code = int(args.func(args) or 0)
        except (
            InputError
        ) as exc:  # the library names API parameters; say them as this command's flags
            raise with_flags(exc, flag_names(_subparser(parser, args.command))) from None
    sys.stdout.flush()  # e.g. stdout on /dev/full: fail here, inside the handlers below
    return code


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``computesim`` script; returns the exit code."""

    with _signals():
        try:
            return _run(argv)
        except InputError as exc:
            print(f"computesim: error: {one_line(str(exc))}", file=sys.stderr)
            return EXIT_BAD_INPUT
        except KeyboardInterrupt:
            print("computesim: interrupted", file=sys.stderr)
            return EXIT_INTERRUPTED
        except Terminated as exc:
            print(f"computesim: terminated by {exc}", file=sys.stderr)
            return 128 + exc.signum
        except BrokenPipeError:  # e.g. `computesim examples | head`
            _detach_stdout()
            return 0
        except OSError as exc:  # stdout full or closed, or a file error no check caught: one line
            where = "stdout" if _from_stdout(exc) else (exc.filename or "output")
            _detach_stdout() if where == "stdout" else None
            print(
                f"computesim: error: {one_line(f'{where}: {describe_os_error(exc)}')}",
                file=sys.stderr,
            )
            return EXIT_BAD_INPUT
