"""monitor.cases.pipeline."""
