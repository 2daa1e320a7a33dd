"""monitor.core."""
