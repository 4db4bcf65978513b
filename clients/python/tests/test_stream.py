"""Unit tests of how the attach stream's writer packs frames (no node needed)."""

from __future__ import annotations

import queue
import threading
import unittest
from concurrent.futures import Future

from troupe_client._stream import _END, AttachStream, take_waiting
from troupe_client._stubs import load


class TakeWaitingTest(unittest.TestCase):
    def test_a_lone_frame_is_taken_alone_without_waiting_for_more(self):
        outbox = queue.SimpleQueue()
        self.assertEqual(take_waiting(outbox, "a", 512), (["a"], False))

    def test_frames_already_waiting_are_taken_in_order_up_to_the_limit(self):
        outbox = queue.SimpleQueue()
        for f in ["b", "c", "d", "e"]:
            outbox.put(f)
        self.assertEqual(take_waiting(outbox, "a", 3), (["a", "b", "c"], False))
        self.assertEqual(take_waiting(outbox, outbox.get(), 3), (["d", "e"], False))

    def test_the_end_of_the_stream_stops_the_batch_and_is_reported(self):
        outbox = queue.SimpleQueue()
        for f in ["b", _END, "never"]:
            outbox.put(f)
        self.assertEqual(take_waiting(outbox, "a", 512), (["a", "b"], True))


class DispatchTest(unittest.TestCase):
    """What the reader does with each message from the node (the stream itself is not opened)."""

    def setUp(self):
        self.pb = load().attach
        self.frames = []
        self.stream = AttachStream.__new__(AttachStream)  # no channel: only the reader's dispatch
        self.stream._lock = threading.Lock()
        self.stream._pending = {}
        self.stream._on_frame = self.frames.append

    def test_a_batch_is_handled_frame_by_frame_in_order(self):
        waiting = Future()
        self.stream._pending[7] = waiting
        batch = self.pb.AttachResponse(batch=self.pb.AttachResponseBatch(frames=[
            self.pb.AttachResponse(delivery=self.pb.Delivery(topic="first")),
            self.pb.AttachResponse(reply=self.pb.Reply(request_id=7)),
            self.pb.AttachResponse(delivery=self.pb.Delivery(topic="second")),
        ]))

        self.stream._dispatch(batch)

        self.assertEqual([f.delivery.topic for f in self.frames], ["first", "second"])
        self.assertEqual(waiting.result(0).request_id, 7)


if __name__ == "__main__":
    unittest.main()
