"""Converts Python values to the wire ``troupe.common.v1.Payload`` and back.

The rules match the Java runtime's ``PayloadCodec``:

* ``None``, ``bool``, ``int``, ``float``, ``str``, mappings with ``str`` keys (``dict``) and
  sequences (``list``, ``tuple``) become a ``google.protobuf.Value``, nested up to 100 levels.
* ``bytes`` (also ``bytearray``, ``memoryview``) become ``raw``, at the top level only.
* Numbers travel as IEEE doubles. A whole number within +-2**53 comes back as ``int``, any other
  number as ``float``; so a value sent as ``42`` reads as ``42`` on both sides. An ``int`` outside
  +-2**53 cannot travel exactly and is refused (``ValueError``) instead of being rounded.
* Maps come back as ``dict``, lists as ``list``, ``raw`` as ``bytes``, an empty payload as ``None``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Iterable, List

from google.protobuf import struct_pb2

from . import _stubs

MAX_EXACT_INT = 2 ** 53
MAX_DEPTH = 100
_BINARY = (bytes, bytearray, memoryview)


def encode(value: Any) -> Any:
    """One Python value as a ``Payload`` message."""
    payload_cls = _stubs.load().payload.Payload
    if isinstance(value, _BINARY):
        return payload_cls(raw=bytes(value))
    return payload_cls(value=to_value(value))


def encode_all(values: Iterable[Any]) -> List[Any]:
    """Several values as ``Payload`` messages, in order."""
    return [encode(v) for v in values]


def decode(payload: Any) -> Any:
    """A ``Payload`` message as a Python value."""
    kind = payload.WhichOneof("kind")
    if kind == "raw":
        return bytes(payload.raw)
    if kind == "value":
        return from_value(payload.value)
    return None


def decode_all(payloads: Iterable[Any]) -> List[Any]:
    """Several ``Payload`` messages as Python values, in order."""
    return [decode(p) for p in payloads]


def to_value(value: Any, depth: int = 0) -> struct_pb2.Value:
    """A JSON-like Python value as a ``google.protobuf.Value``.

    :raises TypeError: for a type that has no wire form (or ``bytes`` below the top level)
    :raises ValueError: for an ``int`` beyond +-2**53, or nesting deeper than 100 levels
    """
    if depth > MAX_DEPTH:
        raise ValueError(f"payload nested deeper than {MAX_DEPTH} levels (a cycle?)")
    if value is None:
        return struct_pb2.Value(null_value=struct_pb2.NULL_VALUE)
    if isinstance(value, bool):  # before int: bool is an int in Python
        return struct_pb2.Value(bool_value=value)
    if isinstance(value, int):
        return struct_pb2.Value(number_value=_exact_float(value))
    if isinstance(value, float):
        return struct_pb2.Value(number_value=value)
    if isinstance(value, str):
        return struct_pb2.Value(string_value=value)
    if isinstance(value, Mapping):
        return struct_pb2.Value(struct_value=_to_struct(value, depth))
    if isinstance(value, Sequence) and not isinstance(value, _BINARY):
        return struct_pb2.Value(list_value=struct_pb2.ListValue(values=[to_value(v, depth + 1) for v in value]))
    if isinstance(value, _BINARY):
        raise TypeError("bytes can only be a whole payload, not part of a map or list")
    raise TypeError(f"cannot encode a {type(value).__name__} as a payload: use dict, list, str, int, "
                    "float, bool, None or bytes")


def _exact_float(value: int) -> float:
    if abs(value) > MAX_EXACT_INT:
        raise ValueError(f"{value} is beyond +-2**53 and cannot travel exactly as a number; send it as a string")
    return float(value)


def _to_struct(mapping: Mapping, depth: int) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    for key, item in mapping.items():
        if not isinstance(key, str):
            raise TypeError(f"payload map keys must be str, got {type(key).__name__}")
        struct.fields[key].CopyFrom(to_value(item, depth + 1))
    return struct


def from_value(value: struct_pb2.Value) -> Any:
    """A ``google.protobuf.Value`` as a Python value (whole numbers within +-2**53 as ``int``)."""
    kind = value.WhichOneof("kind")
    if kind == "number_value":
        return _number(value.number_value)
    if kind == "string_value":
        return value.string_value
    if kind == "bool_value":
        return value.bool_value
    if kind == "struct_value":
        return {k: from_value(v) for k, v in value.struct_value.fields.items()}
    if kind == "list_value":
        return [from_value(v) for v in value.list_value.values]
    return None  # null_value, or not set


def _number(d: float) -> Any:
    if math.isfinite(d) and d.is_integer() and abs(d) <= MAX_EXACT_INT:
        return int(d)
    return d
