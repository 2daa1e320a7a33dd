"""monitor.cli.main."""
