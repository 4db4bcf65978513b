"""A Troupe process in this Python program: one attach stream to a node.

Example::

    from troupe_client import Process

    with Process.attach("127.0.0.1:7400", name="python-example") as p:
        if p.lookup("relay") is not None:
            p.send("relay", "echo", {"sender": p.pid, "data": "hi", "id": 1})
            reply = p.receive(timeout=2)      # a Message, or None after 2 s
"""

from __future__ import annotations

import queue
import threading
import time
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from types import TracebackType
from typing import Any, Iterator, Optional, Type

import grpc

from . import _stubs
from . import payload as _payload
from ._stream import AttachStream
from .errors import ProcessEnded, TroupeError
from .model import Event, Message, ProcessFailure
from .security import Security

PROTOCOL_VERSION = 1
_END = object()
_CHANNEL_OPTIONS = [("grpc.max_receive_message_length", 16 << 20)]
_CLOSE_WAIT_S = 5.0


def _await_ready(channel: grpc.Channel, address: str, timeout: float) -> None:
    try:
        grpc.channel_ready_future(channel).result(timeout=timeout)
    except grpc.FutureTimeoutError:
        raise TroupeError(grpc.StatusCode.UNAVAILABLE,
                          f"no Troupe node answered at {address} within {timeout:g} s; is it running?") from None


class Process:
    """A process attached to a Troupe node: it has a PID, sends and receives messages, registers
    names, spawns, monitors and links, like any other process of the topology.

    Make one with :meth:`attach`; end it with :meth:`exit` (or by leaving a ``with`` block). A
    process that is dropped without exiting is ended by its node with an error (ERROR_KIND_CRASHED)
    when the connection closes, so its monitors still hear of it.

    Methods may be called from several threads. Requests wait for the node's reply and raise
    :class:`TroupeError` (code = :class:`grpc.StatusCode`) when it is an error; they raise
    :class:`ProcessEnded` once the process has ended. Messages and events are queued by one reader
    thread as they arrive and taken with :meth:`receive` and :meth:`receive_event`.
    """

    def __init__(self, channel: grpc.Channel, address: str, host: str, name: str, timeout: float,
                 request_timeout: float, security: Security) -> None:
        """Use :meth:`attach`. Sends hello on ``channel`` and waits up to ``timeout`` s for attached."""
        self._pb = _stubs.load().attach
        self._channel = channel
        self._request_timeout = request_timeout
        self._inbox: "queue.Queue[Any]" = queue.Queue()
        self._events: "queue.Queue[Any]" = queue.Queue()
        self._attached: Future = Future()
        self._lock = threading.Lock()
        self._end_reason: Optional[str] = None
        self._stream = AttachStream(channel, _stubs.load(), self._on_frame, self._on_closed, security.metadata())
        self._stream.write(self._pb.AttachRequest(hello=self._pb.Hello(
            protocol_version=PROTOCOL_VERSION, host=host, client_name=name, accept_batches=True)))
        attached = self._await_attached(address, timeout)
        self._pid: str = attached.pid
        self._node: str = attached.node
        self._node_incarnation: int = attached.node_incarnation

    @classmethod
    def attach(cls, address: str, host: str = "", name: str = "python", *, timeout: float = 10.0,
               request_timeout: float = 30.0, security: Optional[Security] = None) -> "Process":
        """Connects to the node at ``address`` (``host:port``) and becomes a process there.

        :param host: the host to get a PID on; empty for the node's default client host
            (``app:clients``)
        :param name: a label for the node's logs and status listings
        :param timeout: seconds to wait for the node to answer, connection and hello together
        :param request_timeout: seconds each request waits for its reply
        :param security: the shared secret and TLS files; default: from the environment
            (``TROUPE_SECRET_FILE``/``TROUPE_SECRET``, ``TROUPE_TLS_*``), see :mod:`troupe_client.security`
        :raises TroupeError: ``UNAVAILABLE`` when no node answers in time; the node's code when it
            refuses the call or the hello (``UNAUTHENTICATED``: missing or wrong secret;
            ``INVALID_ARGUMENT``: a host that takes no clients)
        """
        security = security if security is not None else Security.from_environment()
        deadline = time.monotonic() + timeout
        channel = security.channel(address, _CHANNEL_OPTIONS)
        try:
            _await_ready(channel, address, timeout)
            return cls(channel, address, host, name, max(0.1, deadline - time.monotonic()), request_timeout,
                       security)
        except BaseException:
            channel.close()
            raise

    def _await_attached(self, address: str, timeout: float) -> Any:
        try:
            return self._attached.result(timeout)
        except FutureTimeout:
            self._stream.cancel()
            raise TroupeError(grpc.StatusCode.UNAVAILABLE,
                              f"the node at {address} did not answer hello within {timeout:g} s") from None
        except TroupeError as e:
            raise TroupeError(e.code, f"could not attach to {address}: {e.message}") from None

    # ------------------------------------------------------------------ identity and state

    @property
    def pid(self) -> str:
        """This process's PID in text form, e.g. ``{app:clients|0x00003}``."""
        return self._pid

    @property
    def node(self) -> str:
        """The name of the node serving this process."""
        return self._node

    @property
    def node_incarnation(self) -> int:
        """The incarnation of that node (changes on every node start)."""
        return self._node_incarnation

    @property
    def ended(self) -> bool:
        """Whether the process has ended (it exited, was terminated, or its stream closed)."""
        return self._end_reason is not None

    @property
    def end_reason(self) -> Optional[str]:
        """How it ended (``"exited"``, or the node's reason such as ``"process terminated"``); ``None`` while alive."""
        return self._end_reason

    def __repr__(self) -> str:
        return f"Process({self._pid}{', ended: ' + self._end_reason if self._end_reason else ''})"

    # ------------------------------------------------------------------ inbound frames (reader thread)

    def _on_frame(self, frame: Any) -> None:
        kind = frame.WhichOneof("frame")
        if kind == "attached":
            if frame.attached.accepts_batches:
                self._stream.node_accepts_batches()
            if not self._attached.done():
                self._attached.set_result(frame.attached)
        elif kind == "delivery":
            self._inbox.put(Message.from_delivery(frame.delivery))
        elif kind == "event":
            self._events.put(Event.from_proto(frame.event))
        elif kind == "terminated":
            self._end(ProcessFailure.from_proto(frame.terminated.error).message)
            self._stream.half_close()  # the node ended the process: no exit frame may follow

    def _on_closed(self, error: TroupeError) -> None:
        if not self._attached.done():
            self._attached.set_exception(error)
        self._end(f"attach stream closed: {error.message}")

    def _end(self, reason: str) -> bool:
        """Marks the process ended. Returns whether this call did (False: it had already ended)."""
        with self._lock:
            if self._end_reason is not None:
                return False
            self._end_reason = reason
        self._inbox.put(_END)
        self._events.put(_END)
        return True

    # ------------------------------------------------------------------ requests

    def _check_alive(self) -> None:
        if self._end_reason is not None:
            raise ProcessEnded(self._pid, self._end_reason)

    def _request(self, kind: str, **fields: Any) -> Any:
        """Sends one request frame (``kind`` is its AttachRequest field) and returns the OK reply."""
        self._check_alive()
        message_type = self._pb.AttachRequest.DESCRIPTOR.fields_by_name[kind].message_type.name
        build = getattr(self._pb, message_type)
        return self._stream.request(
            lambda request_id: self._pb.AttachRequest(**{kind: build(request_id=request_id, **fields)}),
            self._request_timeout)

    def send(self, to: str, topic: str, *payloads: Any) -> None:
        """Sends a message to a PID or a registered name and waits until the node has queued it for a
        live target. Messages from this process to one receiver arrive in the order they were sent.

        :raises TroupeError: ``NOT_FOUND`` (no such live PID or name), ``INVALID_ARGUMENT`` (empty or
            ``@`` topic, malformed PID), ``RESOURCE_EXHAUSTED`` (payload too big, mailbox full),
            ``UNAVAILABLE`` (the target's node cannot be reached)
        :raises TypeError, ValueError: a payload has no wire form (see :mod:`troupe_client.payload`)
        """
        self._request("send", to=to, topic=topic, payloads=_payload.encode_all(payloads))

    def post(self, to: str, topic: str, *payloads: Any) -> None:
        """Sends without waiting for the node (request id 0): order is kept, a failure is only
        logged by the node."""
        self._check_alive()
        encoded = _payload.encode_all(payloads)
        self._stream.write(self._pb.AttachRequest(send=self._pb.Send(to=to, topic=topic, payloads=encoded)))

    def spawn(self, entry: str, host: str, *args: Any, monitor: bool = False, link: bool = False) -> str:
        """Starts a process of ``entry`` (e.g. ``app:worker``) on ``host`` (e.g. ``app:processes``)
        and returns its PID at once; it runs asynchronously. With ``monitor``/``link`` the relation
        exists before the child's first step, so its EXIT cannot be missed.

        :raises TroupeError: ``NOT_FOUND`` (unknown entry or host), ``RESOURCE_EXHAUSTED`` (the host's
            process limit), ``INVALID_ARGUMENT`` (empty entry or host)
        """
        return self._request("spawn", entry=entry, host=host, args=_payload.encode_all(args),
                             monitor=monitor, link=link).pid

    def register(self, name: str) -> None:
        """Gives this process a cluster-wide name (idempotent). Released when the process ends.

        :raises TroupeError: ``ALREADY_EXISTS`` (another process holds it), ``INVALID_ARGUMENT``
        """
        self._request("register_name", name=name)

    def lookup(self, name: str) -> Optional[str]:
        """The PID holding ``name``, or ``None`` when no live process holds it."""
        try:
            return self._request("lookup_name", name=name).pid
        except TroupeError as e:
            if e.code == grpc.StatusCode.NOT_FOUND and not isinstance(e, ProcessEnded):
                return None
            raise

    def unregister(self, name: str) -> bool:
        """Releases a name this process holds. Returns whether it was registered.

        :raises TroupeError: ``PERMISSION_DENIED`` when another process holds it
        """
        return self._request("unregister_name", name=name).removed

    def monitor(self, target: str) -> None:
        """Asks for one EXIT event when ``target`` (PID or name) ends.

        :raises TroupeError: ``NOT_FOUND`` (not alive; no event will come), ``ALREADY_EXISTS``
        """
        self._request("monitor", target=target)

    def unmonitor(self, target: str) -> None:
        """Removes a monitor; no EXIT about ``target`` arrives after this returns."""
        self._request("unmonitor", target=target)

    def link(self, target: str) -> None:
        """Links both ways: when either ends with an error the other gets LINK_DOWN, which ends it
        unless it traps links (:meth:`set_trap_links`).

        :raises TroupeError: ``NOT_FOUND`` (not alive), ``INVALID_ARGUMENT`` (itself)
        """
        self._request("link", target=target)

    def unlink(self, target: str) -> None:
        """Removes a link (a no-op when there is none)."""
        self._request("unlink", target=target)

    def set_trap_links(self, trap: bool) -> None:
        """With ``True``, LINK_DOWN arrives as an event instead of ending this process."""
        self._request("set_options", trap_links=trap)

    def terminate(self, target: str) -> None:
        """Ends ``target`` with the error "process terminated" (its links get LINK_DOWN)."""
        self._request("terminate", target=target)

    def cancel(self, target: str, reason: str = "") -> None:
        """Sends ``target`` a CANCEL event; it does not stop it."""
        self._request("cancel", target=target, reason=reason)

    # ------------------------------------------------------------------ receiving

    def _take(self, source: "queue.Queue[Any]", timeout: Optional[float]) -> Any:
        try:
            item = source.get(timeout=timeout)
        except queue.Empty:
            return None
        if item is _END:
            source.put(_END)  # every later call sees the end too
            raise ProcessEnded(self._pid, self._end_reason or "ended")
        return item

    def receive(self, timeout: Optional[float] = None) -> Optional[Message]:
        """The next message, waiting up to ``timeout`` seconds (``None``: until one comes).

        Returns ``None`` when the timeout passes. Messages that arrived before the process ended can
        still be taken; after them :class:`ProcessEnded` is raised.
        """
        return self._take(self._inbox, timeout)

    def receive_event(self, timeout: Optional[float] = None) -> Optional[Event]:
        """The next event (EXIT, LINK_DOWN, CANCEL), as :meth:`receive` does for messages."""
        return self._take(self._events, timeout)

    def messages(self, timeout: Optional[float] = None) -> Iterator[Message]:
        """Yields messages as they come; stops when none came for ``timeout`` seconds (``None``:
        never) or when the process has ended."""
        yield from self._iterate(self.receive, timeout)

    def events(self, timeout: Optional[float] = None) -> Iterator[Event]:
        """Yields events as they come; stops as :meth:`messages` does."""
        yield from self._iterate(self.receive_event, timeout)

    @staticmethod
    def _iterate(take: Any, timeout: Optional[float]) -> Iterator[Any]:
        while True:
            try:
                item = take(timeout)
            except ProcessEnded:
                return
            if item is None:
                return
            yield item

    # ------------------------------------------------------------------ ending

    def exit(self, value: Any = None) -> None:
        """Ends the process normally with ``value`` (its monitors get it in their EXIT event) and
        closes the stream. Does nothing if the process has already ended."""
        common = _stubs.load().payload
        self._exit_with(self._pb.Exit(result=common.ExitResult(value=_payload.encode(value))))

    def fail(self, message: str) -> None:
        """Ends the process with an error (ERROR_KIND_FAILED): monitors get an EXIT with it, and
        linked processes a LINK_DOWN. Closes the stream."""
        common = _stubs.load().payload
        error = common.ProcessError(message=message, kind=common.ERROR_KIND_FAILED)
        self._exit_with(self._pb.Exit(result=common.ExitResult(error=error)))

    def _exit_with(self, exit_frame: Any) -> None:
        if self._end("exited"):
            try:
                self._stream.write(self._pb.AttachRequest(exit=exit_frame))
            except TroupeError:
                pass  # the stream is gone: the node has already ended the process as crashed
        self._close_stream()

    def close(self) -> None:
        """Exits normally (if still alive) and closes the connection. Idempotent."""
        self.exit(None)

    def _close_stream(self) -> None:
        self._stream.half_close()
        if not self._stream.wait_closed(_CLOSE_WAIT_S):
            self._stream.cancel()
        self._channel.close()

    def __enter__(self) -> "Process":
        return self

    def __exit__(self, exc_type: Optional[Type[BaseException]], exc: Optional[BaseException],
                 tb: Optional[TracebackType]) -> None:
        """Leaving the block exits normally; an exception other than ``KeyboardInterrupt`` or
        ``SystemExit`` ends the process with an error carrying the exception's text."""
        if exc is None or isinstance(exc, (KeyboardInterrupt, SystemExit)):
            self.exit(None)
        else:
            self.fail(f"{type(exc).__name__}: {exc}")
