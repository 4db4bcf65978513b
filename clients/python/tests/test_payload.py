"""Unit tests of the payload conversion (no node needed).

Run: cd clients/python && /usr/bin/python3 -m unittest discover -s tests -v
"""

from __future__ import annotations

import math
import unittest

from google.protobuf import struct_pb2

from troupe_client import payload
from troupe_client._stubs import load
from troupe_client.model import Event, EventKind, Message, Pid


def roundtrip(value):
    """Encodes, serializes, parses and decodes one value, as it would cross the wire."""
    wire = payload.encode(value).SerializeToString()
    return payload.decode(load().payload.Payload.FromString(wire))


class ScalarsTest(unittest.TestCase):
    def test_scalars_come_back_as_sent(self):
        for value in [None, True, False, "", "héllo ✓", 0, 42, -7, 1.5, -0.25]:
            with self.subTest(value=value):
                back = roundtrip(value)
                self.assertEqual(back, value)
                self.assertIs(type(back), type(value))

    def test_integral_float_comes_back_as_int_like_the_java_side(self):
        self.assertEqual(roundtrip(3.0), 3)
        self.assertIs(type(roundtrip(3.0)), int)

    def test_bool_is_not_sent_as_a_number(self):
        self.assertEqual(payload.to_value(True).WhichOneof("kind"), "bool_value")

    def test_ints_up_to_2_pow_53_are_exact(self):
        self.assertEqual(roundtrip(2 ** 53), 2 ** 53)
        self.assertEqual(roundtrip(-(2 ** 53)), -(2 ** 53))

    def test_ints_beyond_2_pow_53_are_refused_instead_of_rounded(self):
        with self.assertRaisesRegex(ValueError, "2\\*\\*53"):
            payload.encode(2 ** 53 + 1)

    def test_big_whole_float_stays_float(self):
        self.assertEqual(roundtrip(1e20), 1e20)
        self.assertIs(type(roundtrip(1e20)), float)

    def test_non_finite_floats_stay_float(self):
        self.assertTrue(math.isnan(roundtrip(float("nan"))))
        self.assertEqual(roundtrip(float("inf")), float("inf"))


class CompositesTest(unittest.TestCase):
    def test_nested_maps_and_lists(self):
        value = {"sender": "{app:clients|0x00003}", "data": "hello", "id": 1,
                 "tags": ["a", 2, None, {"deep": [True, 1.25]}], "empty": {}, "none": []}
        self.assertEqual(roundtrip(value), value)

    def test_tuples_go_as_lists(self):
        self.assertEqual(roundtrip((1, "two")), [1, "two"])

    def test_map_keys_must_be_strings(self):
        with self.assertRaisesRegex(TypeError, "keys must be str"):
            payload.encode({1: "x"})

    def test_unknown_types_are_refused_with_a_hint(self):
        with self.assertRaisesRegex(TypeError, "cannot encode a set"):
            payload.encode({1, 2})

    def test_cycles_are_refused(self):
        cycle: list = []
        cycle.append(cycle)
        with self.assertRaisesRegex(ValueError, "deeper than 100"):
            payload.encode(cycle)


class BytesTest(unittest.TestCase):
    def test_bytes_travel_raw(self):
        encoded = payload.encode(b"\x00\xffbin")
        self.assertEqual(encoded.WhichOneof("kind"), "raw")
        self.assertEqual(roundtrip(b"\x00\xffbin"), b"\x00\xffbin")
        self.assertEqual(roundtrip(bytearray(b"ab")), b"ab")

    def test_bytes_inside_a_map_are_refused(self):
        with self.assertRaisesRegex(TypeError, "whole payload"):
            payload.encode({"blob": b"x"})

    def test_an_empty_payload_reads_as_none(self):
        self.assertIsNone(payload.decode(load().payload.Payload()))


class WireCompatibilityTest(unittest.TestCase):
    def test_a_value_built_by_hand_decodes(self):
        v = struct_pb2.Value()
        v.struct_value.fields["id"].number_value = 7.0
        v.struct_value.fields["data"].string_value = "X"
        self.assertEqual(payload.from_value(v), {"id": 7, "data": "X"})

    def test_message_payload_is_none_one_value_or_the_list(self):
        self.assertIsNone(Message("{a|0x00001}", "t", []).payload)
        self.assertEqual(Message("{a|0x00001}", "t", [5]).payload, 5)
        self.assertEqual(Message("{a|0x00001}", "t", [5, 6]).payload, [5, 6])

    def test_exit_event_decodes_value_and_error(self):
        common = load().payload
        ok = common.ProcessEvent(kind=common.EVENT_KIND_EXIT, **{"from": "{app:processes|0x00004}"},
                                 result=common.ExitResult(value=payload.encode(0)))
        event = Event.from_proto(ok)
        self.assertEqual((event.kind, event.from_, event.result, event.failed),
                         (EventKind.EXIT, "{app:processes|0x00004}", 0, False))
        crashed = common.ProcessEvent(kind=common.EVENT_KIND_LINK_DOWN, result=common.ExitResult(
            error=common.ProcessError(message="killed by signal 9 (SIGKILL)", kind=common.ERROR_KIND_CRASHED)))
        event = Event.from_proto(crashed)
        self.assertEqual((event.kind, event.error.kind, event.error.message),
                         (EventKind.LINK_DOWN, "CRASHED", "killed by signal 9 (SIGKILL)"))


class PidTest(unittest.TestCase):
    def test_text_form_round_trips(self):
        for text in ["{app:processes|0x00004}", "{node-1@app:processes|0x00004}", "{app:clients|0x01000000}"]:
            with self.subTest(text=text):
                self.assertEqual(str(Pid.parse(text)), text)

    def test_ids_are_padded_as_the_java_side_prints_them(self):
        self.assertEqual(str(Pid(host="app:x", id=0x1000000)), "{app:x|0x01000000}")
        self.assertEqual(str(Pid(host="app:x", id=3)), "{app:x|0x00003}")

    def test_parse_takes_it_apart(self):
        self.assertEqual(Pid.parse("{n@app:x|0x0001f}"), Pid(host="app:x", id=31, node="n"))

    def test_malformed_pids_are_refused(self):
        for text in ["relay", "{app:x}", "{|0x1}", "{app:x|12}", "{app:x|0x0}"]:
            with self.subTest(text=text), self.assertRaises(ValueError):
                Pid.parse(text)


if __name__ == "__main__":
    unittest.main()
