"""Tests of the Troupe Python client."""
