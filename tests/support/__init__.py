"""Helpers for the test suite: real server processes started on loopback ports."""
