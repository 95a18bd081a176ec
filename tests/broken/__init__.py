"""Deliberately broken implementations: the mock with exactly one contract violation each, to
prove that the conformance suite catches what it claims to catch."""
