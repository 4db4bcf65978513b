"""Loads the generated stubs (generating them first when missing or stale)."""

from __future__ import annotations

import functools
import importlib
import sys
from types import SimpleNamespace

from . import _codegen


@functools.lru_cache(maxsize=None)
def load() -> SimpleNamespace:
    """The generated modules, as ``payload``, ``attach``, ``attach_grpc``, ``watch``, ``watch_grpc``.

    The generated code imports its siblings by absolute name (``troupe.common.v1...``,
    ``google.rpc...``), so the stubs directory is appended to ``sys.path`` once.
    """
    out = str(_codegen.ensure_stubs())
    if out not in sys.path:
        sys.path.append(out)
    modules = {
        "payload": "troupe.common.v1.payload_pb2",
        "attach": "troupe.node.v1.attach_service_pb2",
        "attach_grpc": "troupe.node.v1.attach_service_pb2_grpc",
        "watch": "troupe.node.v1.watch_service_pb2",
        "watch_grpc": "troupe.node.v1.watch_service_pb2_grpc",
    }
    return SimpleNamespace(**{k: importlib.import_module(v) for k, v in modules.items()})
