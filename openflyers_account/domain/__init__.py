"""Pure business rules: plain values in, frozen dataclasses out; no Flask, no database."""
