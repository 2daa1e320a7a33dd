"""monitor.worker."""
