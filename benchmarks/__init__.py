"""`make bench`: throughput and latency figures, kept out of the test suite."""
