"""Reading TOML input files (hardware profiles, sweep scenarios) with one-line errors."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from computesim.errors import InputError, shown

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

TOMLDecodeError = tomllib.TOMLDecodeError


def loads(text: str) -> dict[str, Any]:
    """Parse TOML text."""
    return tomllib.loads(text)


def read_toml(path: str | Path, field: str) -> dict[str, Any]:
    """The TOML table in ``path``; a missing or unreadable file is an InputError naming ``field``,
    bad TOML one naming the file."""
    where = str(path)
    try:
        if Path(path).is_dir():
            raise InputError(field, f"{where} is a directory, not a TOML file")
        return tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except InputError:  # a ValueError too: not the OS's refusal below
        raise
    except FileNotFoundError:
        raise InputError(field, f"no such file: {where}") from None
    except UnicodeDecodeError as exc:
        raise InputError(field, f"cannot read {where}: not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise InputError(field, f"cannot read {where}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(where, f"not valid TOML: {exc}") from None
    except ValueError:  # after its subclasses above: a path the OS refuses (a NUL byte)
        raise InputError(field, f"not a usable file name: {shown(where)}") from None
