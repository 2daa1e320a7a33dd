"""monitor.cases.lifecycle."""
