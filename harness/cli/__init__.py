"""Layer 6, the ``kmeans-harness`` command line: one module per command, shared flags declared once.
It parses, calls the library and formats; it computes nothing itself."""

from harness.cli.main import build_parser, main

__all__ = ["build_parser", "main"]
