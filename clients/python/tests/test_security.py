"""Unit tests of the transport settings read from the environment (no node needed)."""

from __future__ import annotations

import tempfile
import unittest
from pathlib import Path

from troupe_client.errors import TroupeError
from troupe_client.security import SECRET_HEADER, Security


class SecurityTest(unittest.TestCase):
    def test_nothing_set_and_no_default_file_means_plaintext_without_secret(self):
        with tempfile.TemporaryDirectory() as d:
            s = Security.from_environment({"TROUPE_HOME": d})
        self.assertEqual((s.secret, s.tls, s.metadata()), (None, False, []))

    def test_nothing_set_finds_the_secret_troupe_up_made(self):
        with tempfile.TemporaryDirectory() as d:
            (Path(d) / "secret").write_text("made-by-up\n")
            self.assertEqual(Security.from_environment({"TROUPE_HOME": d}).secret, "made-by-up")
            self.assertEqual(Security.from_environment({"HOME": d, "TROUPE_HOME": ""}).secret, None)
            (Path(d) / ".troupe").mkdir()
            (Path(d) / ".troupe" / "secret").write_text("in-home\n")
            self.assertEqual(Security.from_environment({"HOME": d}).secret, "in-home")
            # turning it off is explicit
            self.assertEqual(Security.from_environment({"HOME": d, "TROUPE_INSECURE": "1"}).secret, None)

    def test_secret_file_wins_and_only_its_first_line_counts(self):
        with tempfile.TemporaryDirectory() as d:
            f = Path(d) / "secret"
            f.write_text("  s3cret \nsecond line\n")
            s = Security.from_environment({"TROUPE_SECRET_FILE": str(f), "TROUPE_SECRET": "other"})
        self.assertEqual(s.metadata(), [(SECRET_HEADER, "s3cret")])

    def test_secret_from_the_variable(self):
        self.assertEqual(Security.from_environment({"TROUPE_SECRET": "abc"}).secret, "abc")

    def test_an_empty_or_missing_secret_file_is_an_error(self):
        with tempfile.TemporaryDirectory() as d:
            empty = Path(d) / "empty"
            empty.write_text("\n")
            for name in (str(empty), str(Path(d) / "missing")):
                with self.subTest(name=name), self.assertRaises(TroupeError):
                    Security.from_environment({"TROUPE_SECRET_FILE": name})

    def test_a_ca_turns_tls_on(self):
        self.assertTrue(Security.from_environment({"TROUPE_TLS_CA": "/ca.pem"}).tls)


if __name__ == "__main__":
    unittest.main()
