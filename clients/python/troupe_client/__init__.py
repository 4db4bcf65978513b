"""A Python client of Troupe: be a process of a Troupe topology over the attach protocol.

::

    from troupe_client import Process

    with Process.attach("127.0.0.1:7400", name="python-example") as p:
        p.register("py-example")
        msg = p.receive(timeout=5)

The gRPC stubs are generated from the repository's ``proto/`` on first use into
``clients/python/build/gen`` (see :mod:`troupe_client._codegen`). Needs ``grpcio`` and
``grpcio-tools`` (Debian: ``python3-grpcio python3-grpc-tools``).

The public names are loaded on first access, so that ``python3 -m troupe_client._codegen`` can run
without the stubs.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__all__ = ["Process", "Message", "Event", "EventKind", "ProcessFailure", "Pid", "Security", "TroupeError",
           "ProcessEnded"]

_EXPORTS = {
    "Process": ".process",
    "Message": ".model",
    "Event": ".model",
    "EventKind": ".model",
    "ProcessFailure": ".model",
    "Pid": ".model",
    "Security": ".security",
    "TroupeError": ".errors",
    "ProcessEnded": ".errors",
}

if TYPE_CHECKING:
    from .errors import ProcessEnded, TroupeError
    from .model import Event, EventKind, Message, Pid, ProcessFailure
    from .process import Process
    from .security import Security


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'troupe_client' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name], __name__), name)
