"""Where the repository's files are, for tests that read the README, the example sources.yaml or fixtures."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
DEMO = ROOT / "monitor" / "demo"
