"""Check any implementation of the contracts at a base URL."""
