"""Placeholder: filled in by the payments work."""
