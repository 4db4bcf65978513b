"""What a process receives: messages and events; and the PID text form."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from typing import Any, List, Optional

from . import payload as _payload

_PID = re.compile(r"^\{(?:(?P<node>[^@|{}]*)@)?(?P<host>[^@|{}]+)\|(?:[^|{}]*\|)?0x(?P<id>[0-9a-fA-F]+)\}$")


@dataclass(frozen=True)
class Pid:
    """A process identity. Text form ``{host|0xNNNNN}`` or ``{node@host|0xNNNNN}``.

    PIDs travel as text; this class is only needed to take one apart or build one.
    """

    host: str
    id: int
    node: str = ""

    @staticmethod
    def looks_like_pid(text: str) -> bool:
        """Whether a destination is a PID (starts with ``{``) rather than a registered name."""
        return text.startswith("{")

    @classmethod
    def parse(cls, text: str) -> "Pid":
        """Parses the text form. :raises ValueError: if it is not one."""
        m = _PID.match(text)
        if not m or int(m.group("id"), 16) <= 0:
            raise ValueError(f"malformed PID {text!r}: expected {{host|0xNNNNN}}, e.g. {{app:processes|0x00004}}")
        return cls(host=m.group("host"), id=int(m.group("id"), 16), node=m.group("node") or "")

    def __str__(self) -> str:
        width = next(w for w, top in ((5, 0xFFFFF), (6, 0xFFFFFF), (8, 0xFFFFFFFF), (16, 1 << 64)) if self.id <= top)
        node = f"{self.node}@" if self.node else ""
        return f"{{{node}{self.host}|0x{self.id:0{width}x}}}"


@dataclass(frozen=True)
class Message:
    """A message delivered to this process.

    ``from_`` is the sender's PID (stamped by the node, so it cannot be forged; ``""`` for system
    messages), ``topic`` the topic it was sent with, ``payloads`` the decoded values.
    """

    from_: str
    topic: str
    payloads: List[Any] = field(default_factory=list)

    @property
    def payload(self) -> Any:
        """``None`` for no payload, the value for one, the list for several (as the Java side)."""
        if not self.payloads:
            return None
        return self.payloads[0] if len(self.payloads) == 1 else self.payloads

    @classmethod
    def from_delivery(cls, delivery: Any) -> "Message":
        """From a ``troupe.node.v1.Delivery``."""
        return cls(from_=getattr(delivery, "from"), topic=delivery.topic,
                   payloads=_payload.decode_all(delivery.payloads))


class EventKind(enum.Enum):
    """The kinds of :class:`Event`."""

    UNSPECIFIED = 0
    #: A monitored process ended (normally or with an error).
    EXIT = 1
    #: A linked process ended with an error (only while trapping links; otherwise it kills).
    LINK_DOWN = 2
    #: Someone asked this process to cancel; it does not stop it.
    CANCEL = 3


@dataclass(frozen=True)
class ProcessFailure:
    """The error a process ended with: ``message`` and ``kind`` (e.g. ``"CRASHED"``, ``"TERMINATED"``)."""

    message: str
    kind: str

    @classmethod
    def from_proto(cls, error: Any) -> "ProcessFailure":
        """From a ``troupe.common.v1.ProcessError``."""
        kind = type(error).DESCRIPTOR.fields_by_name["kind"].enum_type.values_by_number.get(error.kind)
        name = kind.name.replace("ERROR_KIND_", "") if kind else str(error.kind)
        return cls(message=error.message, kind=name)


@dataclass(frozen=True)
class Event:
    """An event for this process.

    ``from_`` is the PID that ended (EXIT, LINK_DOWN) or that asked (CANCEL). For EXIT and LINK_DOWN,
    ``result`` is the value the process returned and ``error`` its :class:`ProcessFailure` (exactly one
    is meaningful: ``error`` is ``None`` on a normal exit). ``reason`` is the CANCEL reason.
    """

    kind: EventKind
    from_: str
    at_unix_ms: int = 0
    result: Any = None
    error: Optional[ProcessFailure] = None
    reason: str = ""

    @property
    def failed(self) -> bool:
        """Whether the process this event is about ended with an error."""
        return self.error is not None

    @classmethod
    def from_proto(cls, event: Any) -> "Event":
        """From a ``troupe.common.v1.ProcessEvent``."""
        try:
            kind = EventKind(event.kind)
        except ValueError:
            kind = EventKind.UNSPECIFIED
        error = ProcessFailure.from_proto(event.result.error) if event.result.HasField("error") else None
        value = _payload.decode(event.result.value) if event.result.HasField("value") else None
        return cls(kind=kind, from_=getattr(event, "from"), at_unix_ms=event.at_unix_ms,
                   result=value, error=error, reason=event.reason)
