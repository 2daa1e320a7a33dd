"""monitor.ingest.store."""
