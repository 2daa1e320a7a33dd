"""Drafted public replies: the first answer to a complaint, or the closing one, from templates users edit.

A first reply follows complaint-management practice: (1) we heard you, restating the problem by its
category (never by quoting the complaint), (2) what happens next and how to reach the team, (3) the
complaint will not be ignored, (4) roughly how long it will take. A closing reply says what was done.

Language, the first of these that has a template set (a folder holding `_default.j2` and `closing.j2`):
  1. the complaint's language;
  2. the brand's default language;
  3. en (always shipped).
The result names the language used and, when it is not the complaint's, says why (`fallback_note`).

Template, inside that language's folder:
  - first reply: `<category>.j2`, else `_default.j2` (an unknown or new category);
  - closing reply: `closing.j2`;
  - interim update (a promised date will be missed): `update.j2`, else English's.
Files under `templates_dir` override the shipped ones file by file, so a user can reword one letter
or add a language without copying the rest.

Safety: templates run in Jinja's immutable sandbox with StrictUndefined and no autoescaping (the
output is plain text, not HTML). Everything from outside (author name, summary) is passed as data, so
`{{ 7*7 }}` in a name stays those seven characters; it is also cut to a bounded size. Every template is
compiled and rendered once with sample data when loaded, so a broken file is reported at startup as
"FILE:LINE: problem", not when a customer is waiting for an answer.
"""

from __future__ import annotations

import math
import re
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

from monitor.config.drafting import RewriteConfig
from monitor.desk.draft_rewrite import RewriteResult, rewrite_draft
from monitor.desk.time_phrases import TIME_LANGUAGES, expected_time_phrase

__all__ = [
    "SHIPPED_DIR",
    "DraftRequest",
    "DraftingError",
    "RenderedDraft",
    "RewriteConfig",
    "RewriteResult",
    "Templates",
    "choose_language",
    "expected_time_phrase",
    "render_draft",
    "render_thanks",
    "rewrite_draft",
]

SHIPPED_DIR = Path(__file__).with_name("templates")
FALLBACK_LANGUAGE = "en"
DEFAULT = "_default.j2"
CLOSING = "closing.j2"
UPDATE = "update.j2"  # an interim update when a promised date will be missed (optional per language)
THANKS = "thanks.j2"  # optional per language: a thank-you for praise, which has no case
# Bounds on outside text put into a reply: a name is one short line, a summary a few paragraphs.
MAX_AUTHOR_CHARS = 64
MAX_SUMMARY_CHARS = 2000
MAX_FIELD_CHARS = 200  # brand name, contact, case reference: config or database values, still bounded

_LANGUAGE_DIR = re.compile(r"^[a-z]{2,3}$")
_CATEGORY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
# Control characters break a one-line greeting; bidi overrides could reverse the rest of the line
# (the case reference included) on the page where the reply is posted.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_CONTROL_KEEP_NEWLINES = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_BLANK_LINES = re.compile(r"\n{3,}")
_VARIABLES = ("author, brand, contact, case_ref, category, language, expected_time, working_days, hours, summary, "
              "new_date")  # fmt: skip


class DraftingError(Exception):
    """A template that cannot be loaded or rendered; names the file and, when known, the line."""

    def __init__(self, path: str, problem: str, line: int | None = None) -> None:
        self.path = path
        self.line = line
        self.problem = problem
        super().__init__(f"{path}:{line}: {problem}" if line else f"{path}: {problem}")


@dataclass(frozen=True, kw_only=True)
class DraftRequest:
    brand_name: str
    brand_language: str
    contact: str | None
    language: str | None  # the complaint's detected language
    category: str
    author: str | None
    case_ref: str
    business_hours: float  # business hours left until the resolution deadline
    working_days: int  # whole working days left until it
    closing: bool = False
    summary: str | None = None  # what was done, for a closing reply
    interim: bool = False  # an interim update: still on it, with a new date (`update.j2`)
    new_date: str | None = None  # that date as the customer reads it, e.g. "2026-12-08"

    def __post_init__(self) -> None:
        # Every reply must carry the reference the customer quotes back; an empty one is a caller's bug.
        if not self.case_ref.strip():
            raise ValueError("DraftRequest.case_ref must not be empty")


@dataclass(frozen=True, kw_only=True)
class RenderedDraft:
    text: str
    language: str
    template: str  # relative path used, e.g. "ru/delivery.j2"
    fallback_note: str | None


@dataclass(frozen=True)
class Templates:
    """Every template file, compiled once; build with `Templates.load`."""

    _compiled: Mapping[str, jinja2.Template] = field(repr=False)
    _paths: Mapping[str, str] = field(repr=False)  # relative name → file it was read from
    _names: Mapping[str, str] = field(repr=False)  # file → relative name, to find template frames

    @classmethod
    def load(cls, templates_dir: Path | None = None) -> Templates:
        """Read the shipped templates, then `templates_dir` over them; compile and try each one."""
        paths = _collect(SHIPPED_DIR)
        if templates_dir is not None:
            if not Path(templates_dir).is_dir():
                raise DraftingError(str(templates_dir), "templates_dir is not a folder")
            paths.update(_collect(Path(templates_dir)))
        sources = {name: _read(path) for name, path in paths.items()}

        def source_of(name: str) -> tuple[str, str, Any]:
            if name not in sources:
                raise jinja2.TemplateNotFound(name)
            return sources[name], str(paths[name]), lambda: True

        env = ImmutableSandboxedEnvironment(
            loader=jinja2.FunctionLoader(source_of),
            undefined=jinja2.StrictUndefined,
            autoescape=False,  # plain text for a complaint site's reply box, not HTML
            keep_trailing_newline=False,
        )
        compiled: dict[str, jinja2.Template] = {}
        for name in sorted(sources):
            try:
                compiled[name] = env.get_template(name)
            except jinja2.TemplateSyntaxError as exc:
                raise DraftingError(
                    exc.filename or str(paths[name]), exc.message or "syntax error", exc.lineno
                ) from None
        files = {name: str(path) for name, path in paths.items()}
        templates = cls(compiled, files, {path: name for name, path in files.items()})
        for language in sorted({name.split("/")[0] for name in compiled}):
            missing = [f for f in (DEFAULT, CLOSING) if f"{language}/{f}" not in compiled]
            if missing:
                where = Path(templates_dir or SHIPPED_DIR) / language
                raise DraftingError(
                    str(where), f"a language folder needs {DEFAULT} and {CLOSING}; missing {missing[0]}"
                )
        for name in compiled:
            if name.split("/")[1].startswith("_") and name.split("/")[1] != DEFAULT:
                continue  # partials ("_greeting.j2") are tried through the templates that include them
            for sample in _samples(name.split("/")[0]):
                templates.render(name, sample)
        return templates

    @property
    def languages(self) -> frozenset[str]:
        return frozenset(name.split("/")[0] for name in self._compiled if name.endswith("/" + DEFAULT))

    def path_of(self, name: str) -> str:
        """The file a relative template name was read from (shipped or the user's)."""
        return self._paths[name]

    def pick(self, language: str, category: str, *, closing: bool, interim: bool = False) -> tuple[str, str | None]:
        """Relative name of the template to use, and a note when it is the language's default."""
        if interim:
            if f"{language}/{UPDATE}" in self._compiled:
                return f"{language}/{UPDATE}", None
            return f"{FALLBACK_LANGUAGE}/{UPDATE}", f"no {UPDATE} in '{language}'; used {FALLBACK_LANGUAGE}/{UPDATE}"
        if closing:
            return f"{language}/{CLOSING}", None
        wanted = category.strip().lower()
        if _CATEGORY.match(wanted) and wanted != "closing":
            name = f"{language}/{wanted}.j2"
            if name in self._compiled:
                return name, None
        return f"{language}/{DEFAULT}", f"no template for category '{category[:40]}'; used {language}/{DEFAULT}"

    def render(self, name: str, context: Mapping[str, Any]) -> str:
        """Render one template; any failure becomes a DraftingError naming the file and line."""
        try:
            text = self._compiled[name].render(**context)
        except Exception as exc:
            # Any error in a user's template (sandbox refusal, undefined name, 1/0) is reported with
            # the file and line inside the template where it happened, not as a Python traceback.
            path, line = _template_frame(exc, self._names) or (self._paths[name], None)
            problem = _describe(exc)
            raise DraftingError(path, problem, line) from None
        text = _tidy(text)
        if not text:
            raise DraftingError(self._paths[name], "the template renders to an empty text")
        return text


def choose_language(
    complaint_language: str | None, brand_language: str, available: frozenset[str]
) -> tuple[str, str | None]:
    """The language to answer in (see the module docstring for the order) and why, when it is a fallback."""
    complaint = _language_code(complaint_language)
    brand = _language_code(brand_language)
    if complaint and complaint in available:
        return complaint, None
    why = f"no templates in '{complaint}'" if complaint else "the complaint's language is unknown"
    if brand and brand in available:
        return brand, f"{why}; used the brand's language '{brand}'"
    return FALLBACK_LANGUAGE, f"{why}, and none in the brand's language '{brand_language}'; used '{FALLBACK_LANGUAGE}'"


def render_draft(request: DraftRequest, *, templates: Templates) -> RenderedDraft:
    """Write the reply for one place of a case, in the language chosen as described above."""
    language, language_note = choose_language(request.language, request.brand_language, templates.languages)
    name, template_note = templates.pick(language, request.category, closing=request.closing,
                                         interim=request.interim)  # fmt: skip
    text = templates.render(name, _context(request, language))
    notes = [note for note in (language_note, template_note) if note]
    return RenderedDraft(text=text, language=language, template=name, fallback_note="; ".join(notes) or None)


def render_thanks(
    *,
    brand_name: str,
    brand_language: str,
    contact: str | None,
    language: str | None,
    author: str | None,
    templates: Templates,
) -> RenderedDraft:
    """A thank-you for praise (`thanks.j2`), in the language chosen as for a reply, among the
    languages that have one. Praise has no case, so the text names no case reference."""
    available = frozenset(n.split("/")[0] for n in templates._compiled if n.endswith("/" + THANKS))
    chosen, note = choose_language(language, brand_language, available)
    name = f"{chosen}/{THANKS}"
    context = {
        "author": _one_line(author, MAX_AUTHOR_CHARS),
        "brand": _one_line(brand_name, MAX_FIELD_CHARS) or "",
        "contact": _one_line(contact, MAX_FIELD_CHARS),
        "language": chosen,
    }
    return RenderedDraft(text=templates.render(name, context), language=chosen, template=name, fallback_note=note)


def _context(request: DraftRequest, language: str) -> dict[str, Any]:
    hours = max(0.0, request.business_hours)
    context: dict[str, Any] = {
        "author": _one_line(request.author, MAX_AUTHOR_CHARS),
        "brand": _one_line(request.brand_name, MAX_FIELD_CHARS) or "",
        "contact": _one_line(request.contact, MAX_FIELD_CHARS),
        "case_ref": _one_line(request.case_ref, MAX_FIELD_CHARS) or "",
        "category": request.category[:64],
        "language": language,
        "working_days": max(0, request.working_days),
        "hours": math.ceil(round(hours, 6)),
        "summary": _paragraphs(request.summary, MAX_SUMMARY_CHARS),
        "new_date": _one_line(request.new_date, MAX_FIELD_CHARS),
    }
    # A language added by a user without phrases here leaves `expected_time` undefined, so its template
    # fails loudly at load time and can be written with `working_days` / `hours` instead.
    if language in TIME_LANGUAGES:
        context["expected_time"] = expected_time_phrase(
            language, business_hours=request.business_hours, working_days=request.working_days
        )
    return context


def _samples(language: str) -> list[dict[str, Any]]:
    """Requests that walk both sides of each `{% if %}` a shipped template uses."""
    full = DraftRequest(
        brand_name="Acme",
        brand_language=language,
        contact="care@acme.example",
        language=language,
        category="other",
        author="Anna",
        case_ref="RW-1",
        business_hours=20,
        working_days=2,
        summary="We refunded the order.",
        new_date="2026-12-08",
    )
    bare = DraftRequest(
        brand_name="Acme",
        brand_language=language,
        contact=None,
        language=language,
        category="other",
        author=None,
        case_ref="RW-1",
        business_hours=3,
        working_days=0,
    )
    return [_context(full, language), _context(bare, language)]


def _collect(root: Path) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for path in sorted(root.glob("*/*.j2")):
        if not _LANGUAGE_DIR.match(path.parent.name):
            raise DraftingError(str(path.parent), "folder names are language codes such as ru, uk, de")
        found[f"{path.parent.name}/{path.name}"] = path
    return found


def _read(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DraftingError(str(path), f"byte {exc.start}: not UTF-8; save the file as UTF-8") from None
    except OSError as exc:
        raise DraftingError(str(path), f"cannot read: {exc.strerror}") from None


def _template_frame(exc: BaseException, by_file: Mapping[str, str]) -> tuple[str, int] | None:
    # Jinja rewrites tracebacks so that template code shows as frames of the template file; the
    # innermost such frame is the line to fix (inside an included file, if that is where it failed).
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename in by_file]
    return (frames[-1].filename, frames[-1].lineno or 0) if frames else None


def _describe(exc: Exception) -> str:
    if isinstance(exc, jinja2.exceptions.SecurityError):
        return f"refused by the sandbox: {exc}"
    if isinstance(exc, jinja2.UndefinedError):
        return f"{exc.message}; templates can use: {_VARIABLES}"
    if isinstance(exc, jinja2.TemplateSyntaxError):
        return exc.message or "syntax error"
    if isinstance(exc, jinja2.TemplateNotFound):
        return f"includes {exc.name}, which does not exist"
    return f"{type(exc).__name__}: {exc}"


def _language_code(value: str | None) -> str | None:
    # "de-AT", "pt_BR", " RU " → the primary subtag, which is how template folders are named.
    if not value:
        return None
    code = re.split(r"[-_]", value.strip().lower(), maxsplit=1)[0]
    return code if _LANGUAGE_DIR.match(code) else None


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _one_line(value: str | None, limit: int) -> str | None:
    if value is None:
        return None
    # Bounded before the regex work, so a 1 MB name costs no more than a short one.
    text = " ".join(_CONTROL.sub(" ", value[: limit * 4]).split())
    return _cut(text, limit) or None


def _paragraphs(value: str | None, limit: int) -> str | None:
    if value is None:
        return None
    text = _CONTROL_KEEP_NEWLINES.sub(" ", value[: limit * 2].replace("\r\n", "\n").replace("\r", "\n"))
    text = _BLANK_LINES.sub("\n\n", "\n".join(line.rstrip() for line in text.split("\n"))).strip()
    return _cut(text, limit) or None


def _tidy(text: str) -> str:
    # Templates lay out paragraphs with {% if %} blocks; drop the trailing spaces and extra blank
    # lines those leave, so a user's template needs no whitespace-control tricks.
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()
