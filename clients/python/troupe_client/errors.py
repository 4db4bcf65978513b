"""Errors raised by the Troupe client."""

from __future__ import annotations

from typing import Dict

import grpc

_BY_VALUE: Dict[int, grpc.StatusCode] = {c.value[0]: c for c in grpc.StatusCode}


def status_code(value: int) -> grpc.StatusCode:
    """The :class:`grpc.StatusCode` of a numeric canonical code (``UNKNOWN`` for one it does not know)."""
    return _BY_VALUE.get(value, grpc.StatusCode.UNKNOWN)


class TroupeError(Exception):
    """A request failed, or the process could not attach.

    ``code`` is the canonical :class:`grpc.StatusCode` the node answered with (e.g. ``NOT_FOUND`` for
    an unknown PID or name), ``message`` what it said.
    """

    def __init__(self, code: grpc.StatusCode, message: str) -> None:
        super().__init__(f"{code.name}: {message}")
        self.code = code
        self.message = message


class ProcessEnded(TroupeError):
    """The process has ended (it exited, its node terminated it, or its stream closed).

    ``reason`` says how, e.g. ``"process terminated"`` or ``"linked process failed"``.
    """

    def __init__(self, pid: str, reason: str) -> None:
        super().__init__(grpc.StatusCode.FAILED_PRECONDITION, f"process {pid} has ended: {reason}")
        self.reason = reason
