"""Children that can be interrupted whatever the test runner's own signal dispositions.

A shell runs a background command with SIGINT ignored, and an ignored signal stays ignored across
exec: a CLI started from such a test run would never see the Ctrl-C the test sends it. Pass
``preexec_fn=default_signals`` to subprocess.Popen to give the child the default dispositions.
"""

from __future__ import annotations

import signal


def default_signals() -> None:
    """In the child before exec: SIGINT, SIGTERM and SIGHUP back to their defaults."""
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_DFL)
