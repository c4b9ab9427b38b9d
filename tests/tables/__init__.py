"""Tests of the table allocation engine."""
