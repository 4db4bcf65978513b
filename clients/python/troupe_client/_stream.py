"""The transport under a :class:`~troupe_client.Process`: one bidirectional attach stream."""

from __future__ import annotations

import itertools
import queue
import threading
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, Callable, Dict, Iterator, Optional, Sequence, Tuple

import grpc

from .errors import TroupeError, status_code

_END = object()

#: Most frames packed into one ``AttachRequest.batch`` (the Java client's default too).
MAX_BATCH_FRAMES = 512


def take_waiting(outbox: "queue.SimpleQueue[Any]", first: Any, limit: int) -> Tuple[list, bool]:
    """``first`` and the frames already waiting behind it in ``outbox`` (never waits for more), at most
    ``limit`` frames; and whether the end of the stream (``_END``) was among them."""
    frames = [first]
    while len(frames) < limit:
        try:
            frame = outbox.get_nowait()
        except queue.Empty:
            break
        if frame is _END:
            return frames, True
        frames.append(frame)
    return frames, False


class AttachStream:
    """Writes frames in order, reads them on one thread, and correlates replies by request id.

    Frames that wait for the stream are packed into one ``batch`` once the node has said it takes
    batches (:meth:`node_accepts_batches`); a lone frame goes as itself. Batches from the node (this
    client accepts them) are handed on frame by frame.

    Every frame that is not a reply goes to ``on_frame`` (on the reader thread, in arrival order).
    When the stream ends, waiting requests fail with ``UNAVAILABLE`` and ``on_closed`` is called once
    with the error that ended it (``CANCELLED`` after :meth:`cancel`, ``UNAVAILABLE`` when the node
    completed the stream).
    """

    def __init__(self, channel: grpc.Channel, stubs: Any, on_frame: Callable[[Any], None],
                 on_closed: Callable[[TroupeError], None], metadata: Sequence[Tuple[str, str]] = ()) -> None:
        self._outbox: "queue.SimpleQueue[Any]" = queue.SimpleQueue()
        self._pending: Dict[int, Future] = {}
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._closed: Optional[TroupeError] = None
        self._half_closed = False
        self._on_frame = on_frame
        self._on_closed = on_closed
        self._batch_type = stubs.attach.AttachRequestBatch
        self._request_type = stubs.attach.AttachRequest
        self._batches = False
        self._call = stubs.attach_grpc.AttachServiceStub(channel).Attach(self._requests(), metadata=list(metadata))
        self._reader = threading.Thread(target=self._read, name="troupe-attach-reader", daemon=True)
        self._reader.start()

    # ------------------------------------------------------------------ writing

    def node_accepts_batches(self) -> None:
        """The node's ``attached`` said it takes ``AttachRequest.batch``."""
        self._batches = True

    def _requests(self) -> Iterator[Any]:
        while True:
            frame = self._outbox.get()
            if frame is _END:
                return
            if not self._batches:
                yield frame
                continue
            frames, ended = take_waiting(self._outbox, frame, MAX_BATCH_FRAMES)
            if len(frames) == 1:
                yield frames[0]
            else:
                yield self._request_type(batch=self._batch_type(frames=frames))
            if ended:
                return

    def _check_open(self) -> None:
        if self._closed is not None:
            raise TroupeError(grpc.StatusCode.UNAVAILABLE,
                              f"the attach stream to the node is closed: {self._closed.message}")
        if self._half_closed:
            raise TroupeError(grpc.StatusCode.FAILED_PRECONDITION, "the attach stream was half-closed")

    def write(self, frame: Any) -> None:
        """Queues one frame; frames go out in the order they were written, from any thread."""
        with self._lock:
            self._check_open()
            self._outbox.put(frame)

    def request(self, build: Callable[[int], Any], timeout: float) -> Any:
        """Writes ``build(request_id)`` and waits for its reply.

        :raises TroupeError: with the reply's status when it is not OK; ``DEADLINE_EXCEEDED`` when no
            reply came within ``timeout`` seconds; ``UNAVAILABLE`` when the stream ended first
        """
        request_id = next(self._ids)
        reply: Future = Future()
        with self._lock:
            self._check_open()
            self._pending[request_id] = reply
            self._outbox.put(build(request_id))
        try:
            answer = reply.result(timeout)
        except FutureTimeout:
            with self._lock:
                self._pending.pop(request_id, None)
            raise TroupeError(grpc.StatusCode.DEADLINE_EXCEEDED,
                              f"the node did not answer request {request_id} within {timeout} s") from None
        if answer.status.code != 0:
            raise TroupeError(status_code(answer.status.code), answer.status.message)
        return answer

    def half_close(self) -> None:
        """Says that no more frames will come; the node then completes the stream."""
        with self._lock:
            if not self._half_closed:
                self._half_closed = True
                self._outbox.put(_END)

    def cancel(self) -> None:
        """Breaks the stream off (the node ends a live process with ERROR_KIND_CRASHED)."""
        self._call.cancel()

    def wait_closed(self, timeout: float) -> bool:
        """Waits for the node to end the stream. Returns whether it did within ``timeout`` seconds."""
        self._reader.join(timeout)
        return not self._reader.is_alive()

    # ------------------------------------------------------------------ reading

    def _read(self) -> None:
        error = TroupeError(grpc.StatusCode.UNAVAILABLE, "the node completed the attach stream")
        try:
            for frame in self._call:
                self._dispatch(frame)
        except grpc.RpcError as e:
            error = TroupeError(e.code(), e.details() or "the attach stream failed")
        except Exception as e:  # a failing handler: the process cannot go on consistently
            error = TroupeError(grpc.StatusCode.INTERNAL, f"handling a frame failed: {e!r}")
            self._call.cancel()
        finally:
            self._finish(error)

    def _dispatch(self, frame: Any) -> None:
        kind = frame.WhichOneof("frame")
        if kind == "batch":
            for inner in frame.batch.frames:
                self._dispatch(inner)
            return
        if kind != "reply":
            self._on_frame(frame)
            return
        with self._lock:
            waiting = self._pending.pop(frame.reply.request_id, None)
        if waiting is not None:
            waiting.set_result(frame.reply)

    def _finish(self, error: TroupeError) -> None:
        with self._lock:
            self._closed = error
            pending, self._pending = self._pending, {}
            if not self._half_closed:
                self._half_closed = True
                self._outbox.put(_END)
        closed = TroupeError(grpc.StatusCode.UNAVAILABLE, f"the attach stream to the node is closed: {error.message}")
        for waiting in pending.values():
            waiting.set_exception(closed)
        self._on_closed(error)
