"""Do two trees of the code parse HTML listing pages alike? The check behind every field-spec speed-up.

    .venv/bin/python bench/fields_same.py BASE_TREE [OTHER_TREE]

Each tree is a checkout of the repository (for the base: `git archive <commit> | tar -x -C /tmp/base`).
Every tree is run in its own process; each prints, for every settings x page pair (7 x 7 = 49 today), the
item count, the skipped count and a digest of the `repr` of every item and warning. Settings: every `html` preset, the
plain and field-spec settings of bench/fields.py, and a generic selector list whose items nest ("div, article, li").
Pages: the saved pages under tests/fixtures/html and the bench page. With two trees, the lines are compared
and the exit status is 1 when any differs. Nothing here touches the network or a database.
"""

from __future__ import annotations

import hashlib
import importlib.util
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

_GENERIC = {
    "item": "div, article, li",
    "fields": {"body": ["p", "div.text", ".Text"], "title": "h2, h3", "author": ".author", "url": "a"},
}


def digest_lines(root: Path) -> list[str]:
    """One line per (settings, page): names, item count, skipped count, digest of every item and warning."""
    sys.path.insert(0, str(root))  # the tree given, not the installed package
    from sources.html import HtmlSettings, parse
    from sources.presets import presets

    spec = importlib.util.spec_from_file_location("bench_fields", root / "bench" / "fields.py")
    assert spec is not None and spec.loader is not None
    fields = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fields)
    fixtures = root / "tests" / "fixtures" / "html"
    pages = {
        str(path.relative_to(fixtures)): path.read_text(encoding="utf-8", errors="replace")
        for path in sorted(fixtures.rglob("*.html"))
    }
    pages["bench"] = fields.page(50)
    settings = [
        (name, HtmlSettings.model_validate(preset.source["html"]))
        for name, preset in sorted(presets().items())
        if preset.kind == "html"
    ]
    settings.append(("plain", HtmlSettings.model_validate({"item": "div.review", "fields": fields.PLAIN})))
    specs = {"item": "div.review", "fields": fields.SPECS, "timezone": "Europe/Moscow"}
    settings.append(("specs", HtmlSettings.model_validate(specs)))
    settings.append(("generic", HtmlSettings.model_validate(_GENERIC)))
    lines = []
    for name, setting in settings:
        for page_name, html in pages.items():
            got = parse(
                body=html.encode(),
                text=html,
                url="https://x.example/a/b",
                content_type="text/html",
                settings=setting,
                fetched_at=datetime(2026, 12, 6, 10, tzinfo=UTC),
            )
            full = repr(([repr(m) for m in got.items], [repr(w) for w in got.warnings]))
            digest = hashlib.sha1(full.encode()).hexdigest()[:12]
            lines.append(f"{name} {page_name} {len(got.items)} {got.skipped} {digest}")
    return lines


def main() -> int:
    args = sys.argv[1:]
    if args[:1] == ["--one"]:
        print("\n".join(digest_lines(Path(args[1]).resolve())))
        return 0
    if not 1 <= len(args) <= 2:
        print(__doc__, file=sys.stderr)
        return 2
    outputs = [
        subprocess.run(
            [sys.executable, __file__, "--one", tree], check=True, capture_output=True, text=True
        ).stdout.splitlines()
        for tree in args
    ]
    for line in outputs[0]:
        print(line)
    if len(outputs) == 1:
        return 0
    differ = [(a, b) for a, b in zip(*outputs, strict=False) if a != b]
    if len(outputs[0]) != len(outputs[1]):
        differ.append((f"{len(outputs[0])} lines", f"{len(outputs[1])} lines"))
    for a, b in differ:
        print(f"DIFFERS: {a}  <>  {b}")
    print(f"{len(outputs[0])} pairs, {len(differ)} differ")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
