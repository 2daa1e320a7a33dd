"""replywatch domain: config, storage, ingest, polling and the CLI."""
