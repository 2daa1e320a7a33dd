"""Source adapters: fetch public resources politely and turn them into RawMention items.

Nothing here knows the database; see sources.base for the contract.
"""
