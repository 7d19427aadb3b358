"""Turning an issued invoice snapshot into its documents: Factur-X XML and PDF/A-3 (I4)."""
