"""monitor.customers."""
