"""Benchmarks of the portal (bench/README.md): scripts on the side, not part of the product or of `make test`."""
