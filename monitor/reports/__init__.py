"""Proof of coverage: per-day poll roll-ups, the coverage report, its renderings and the scheduled runs.

coverage   day rows of polls and the coverage of each source over a period
report     the coverage report: sources polled on time, cases answered on time
render     the report as JSON, CSV, HTML and Markdown
schedule   the scheduled runs of `reports:` definitions (files + a report.ready event)
"""
