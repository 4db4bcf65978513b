"""Unit tests of how the attach stream's writer packs frames (no node needed)."""

from __future__ import annotations

import queue
import unittest

from troupe_client._stream import _END, take_waiting


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


if __name__ == "__main__":
    unittest.main()
