"""The offline demo: a fictional complaint board on loopback (board.py) and its watch list (sources.yaml)."""
