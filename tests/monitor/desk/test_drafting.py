from __future__ import annotations

import fnmatch
import tomllib
from dataclasses import replace
from pathlib import Path

import pytest
from pydantic import ValidationError

from monitor.config.drafting import DraftingConfig
from monitor.desk.drafting import (
    SHIPPED_DIR,
    DraftingError,
    DraftRequest,
    Templates,
    choose_language,
    expected_time_phrase,
    render_draft,
)
from tests.support.paths import ROOT

LANGUAGES = ("ru", "uk", "be", "hy", "de", "en")
CATEGORIES = ("delivery", "defect", "refund", "staff", "billing", "website", "other")
# The first line of a reply to an author whose name is not known.
NEUTRAL_GREETING = {
    "ru": "Здравствуйте!",
    "uk": "Доброго дня!",
    "be": "Добры дзень!",
    "hy": "Բարև Ձեզ,",
    "de": "Guten Tag,",
    "en": "Hello,",
}


@pytest.fixture(scope="module")
def shipped() -> Templates:
    return Templates.load(None)


def make_request(**overrides: object) -> DraftRequest:
    base = DraftRequest(
        brand_name="Acme",
        brand_language="en",
        contact="care@acme.example",
        language="ru",
        category="delivery",
        author="Anna",
        case_ref="RW-1042",
        business_hours=16,
        working_days=2,
    )
    return replace(base, **overrides)


def write(root: Path, name: str, text: str | bytes) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


# --- the shipped templates -------------------------------------------------------------


@pytest.mark.parametrize("category", CATEGORIES)
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_language_and_category_greets_carries_the_reference_and_the_time(
    shipped: Templates, language: str, category: str
) -> None:
    request = make_request(language=language, category=category, author="Anna")
    draft = render_draft(request, templates=shipped)

    assert (draft.language, draft.template, draft.fallback_note) == (language, f"{language}/{category}.j2", None)
    assert "Anna" in draft.text.splitlines()[0]
    assert "RW-1042" in draft.text
    assert "care@acme.example" in draft.text
    assert "Acme" in draft.text
    assert expected_time_phrase(language, business_hours=16, working_days=2) in draft.text
    assert "{" not in draft.text and "}" not in draft.text  # no template syntax left over

    anonymous = render_draft(replace(request, author=None, contact=None), templates=shipped)
    assert anonymous.text.splitlines()[0] == NEUTRAL_GREETING[language]
    assert anonymous.text.count("RW-1042") == 2  # registered under it, and quote it when writing back
    assert "care@acme.example" not in anonymous.text


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_category_restates_the_problem_in_its_own_words(shipped: Templates, language: str) -> None:
    texts = {render_draft(make_request(language=language, category=c), templates=shipped).text for c in CATEGORIES}
    assert len(texts) == len(CATEGORIES)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_closing_reply_says_what_was_done(shipped: Templates, language: str) -> None:
    request = make_request(language=language, closing=True, summary="Order 1187 was refunded in full.")
    draft = render_draft(request, templates=shipped)
    assert draft.template == f"{language}/closing.j2"
    assert "Anna" in draft.text.splitlines()[0]
    assert "RW-1042" in draft.text
    assert "Order 1187 was refunded in full." in draft.text

    generic = render_draft(replace(request, summary=None, author=None), templates=shipped)
    assert generic.text.splitlines()[0] == NEUTRAL_GREETING[language]
    assert "RW-1042" in generic.text


@pytest.mark.parametrize("category", [*CATEGORIES, "closing"])
def test_each_language_is_written_in_its_own_alphabet(shipped: Templates, category: str) -> None:
    def text(language: str) -> str:
        request = make_request(language=language, category=category, closing=category == "closing")
        return render_draft(request, templates=shipped).text.replace("Anna", "").replace("Acme", "")

    # Letters one language has and its neighbour lacks: Belarusian is not Russian, Ukrainian is not either.
    assert not set(text("be")) & set("ищъ") and set(text("be")) & set("ўі")
    assert not set(text("uk")) & set("ыэъё") and set(text("uk")) & set("іїє")
    assert not set(text("ru")) & set("іїєў")
    hy = text("hy")
    assert sum("\u0531" <= ch <= "\u058f" for ch in hy) > 0.8 * sum(ch.isalpha() for ch in hy)


# --- language and template choice ------------------------------------------------------


def test_the_language_is_the_complaints_then_the_brands_then_english() -> None:
    available = frozenset({"ru", "de", "en"})
    assert choose_language("ru", "de", available) == ("ru", None)
    assert choose_language("pl", "de", available) == ("de", "no templates in 'pl'; used the brand's language 'de'")
    assert choose_language(None, "de", available) == (
        "de",
        "the complaint's language is unknown; used the brand's language 'de'",
    )
    assert choose_language("pl", "kk", available) == (
        "en",
        "no templates in 'pl', and none in the brand's language 'kk'; used 'en'",
    )
    assert choose_language("de-AT", "en", available) == ("de", None)
    assert choose_language(" RU ", "en", available) == ("ru", None)


def test_a_draft_says_which_language_and_template_it_used_and_why(shipped: Templates) -> None:
    draft = render_draft(make_request(language="pl", brand_language="uk", category="warranty"), templates=shipped)
    assert (draft.language, draft.template) == ("uk", "uk/_default.j2")
    assert draft.fallback_note == (
        "no templates in 'pl'; used the brand's language 'uk'; no template for category 'warranty'; used uk/_default.j2"
    )


@pytest.mark.parametrize("category", ["closing", "_default", "../../etc/passwd", "", "DELIVERY "])
def test_odd_categories_never_pick_a_file_they_should_not(shipped: Templates, category: str) -> None:
    draft = render_draft(make_request(category=category), templates=shipped)
    expected = "ru/delivery.j2" if category == "DELIVERY " else "ru/_default.j2"
    assert draft.template == expected


# --- untrusted text stays text ---------------------------------------------------------

HOSTILE_NAMES = [
    "{{ 7*7 }}",
    "{% for x in range(3) %}x{% endfor %}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ config }}{{ self }}{{ cycler.__init__.__globals__ }}",
    "{# comment #}{%raw%}",
    "Анна 👩‍💻🎉",
    "Արամ Պետրոսյան",
    "שָׁלוֹם علي",
]


@pytest.mark.parametrize("author", HOSTILE_NAMES)
def test_an_author_name_is_printed_as_written_never_evaluated(shipped: Templates, author: str) -> None:
    for language in ("ru", "hy", "en"):
        draft = render_draft(make_request(language=language, author=author, summary=author), templates=shipped)
        assert author in draft.text.splitlines()[0]
        assert "49" not in draft.text and "<class" not in draft.text
        closing = render_draft(make_request(language=language, closing=True, summary=author), templates=shipped)
        assert author in closing.text


def test_a_name_cannot_add_lines_or_flip_the_text_direction(shipped: Templates) -> None:
    draft = render_draft(make_request(author="Anna\n\nЗаказ отменён\x00\u202eRW-0000\u2066"), templates=shipped)
    first = draft.text.splitlines()[0]
    assert first == "Здравствуйте, Anna Заказ отменён RW-0000!"
    assert "\u202e" not in draft.text and "\x00" not in draft.text


def test_huge_text_is_cut_to_a_bounded_size(shipped: Templates) -> None:
    megabyte = "{{ 7*7 }} жалоба " * 60_000
    assert len(megabyte) > 10**6
    draft = render_draft(make_request(author=megabyte), templates=shipped)
    assert len(draft.text.splitlines()[0]) < 100
    assert "…" in draft.text.splitlines()[0]
    closing = render_draft(make_request(closing=True, author=megabyte, summary=megabyte), templates=shipped)
    assert len(closing.text) < 3000
    assert "{{ 7*7 }}" in closing.text and "49" not in closing.text


def test_a_request_without_a_case_reference_is_a_bug() -> None:
    with pytest.raises(ValueError, match="case_ref must not be empty"):
        make_request(case_ref="  ")


def test_a_whitespace_only_name_greets_neutrally(shipped: Templates) -> None:
    draft = render_draft(make_request(author=" \n\t "), templates=shipped)
    assert draft.text.splitlines()[0] == "Здравствуйте!"


# --- user templates --------------------------------------------------------------------


def test_user_files_override_the_shipped_ones_one_by_one(tmp_path: Path) -> None:
    own = write(
        tmp_path,
        "ru/delivery.j2",
        "Привет{% if author %}, {{ author }}{% endif %}! {{ case_ref }}: {{ expected_time }}.",
    )
    templates = Templates.load(tmp_path)

    draft = render_draft(make_request(), templates=templates)
    assert draft.text == "Привет, Anna! RW-1042: в течение двух рабочих дней."
    assert (draft.template, templates.path_of(draft.template)) == ("ru/delivery.j2", str(own))

    untouched = render_draft(make_request(category="refund"), templates=templates)
    assert templates.path_of(untouched.template) == str(SHIPPED_DIR / "ru" / "refund.j2")


def test_a_user_can_add_a_language(tmp_path: Path) -> None:
    # No time phrases ship for Polish: its templates say the time with working_days / hours.
    write(tmp_path, "pl/_default.j2", "Dzień dobry! Sprawa {{ case_ref }}, dni robocze: {{ working_days }}.")
    write(tmp_path, "pl/closing.j2", "Dzień dobry! Sprawa {{ case_ref }} zamknięta.")
    templates = Templates.load(tmp_path)
    assert "pl" in templates.languages

    draft = render_draft(make_request(language="pl", category="delivery"), templates=templates)
    assert (draft.language, draft.template) == ("pl", "pl/_default.j2")
    assert draft.text == "Dzień dobry! Sprawa RW-1042, dni robocze: 2."


def test_a_language_folder_without_its_default_is_refused(tmp_path: Path) -> None:
    write(tmp_path, "pl/delivery.j2", "Dzień dobry! {{ case_ref }}")
    with pytest.raises(DraftingError, match=r"pl: a language folder needs _default.j2 and closing.j2"):
        Templates.load(tmp_path)


def test_a_user_template_cannot_escape_the_sandbox(tmp_path: Path) -> None:
    path = write(tmp_path, "en/delivery.j2", "Hello,\n\nCase {{ case_ref }}.\n{{ ''.__class__.__mro__ }}\n")
    with pytest.raises(DraftingError) as info:
        Templates.load(tmp_path)
    assert (info.value.path, info.value.line) == (str(path), 4)
    assert "refused by the sandbox" in str(info.value) and "__class__" in str(info.value)
    assert str(info.value).startswith(f"{path}:4: ")


@pytest.mark.parametrize(
    "body",
    [
        "{{ case_ref.__class__.__base__.__subclasses__() }}",
        "{{ cycler.__init__.__globals__.os }}",
        "{% set x = [] %}{{ x.append(1) }}",  # the immutable sandbox refuses changing data too
        "{{ author.__len__ }}",
    ],
)
def test_other_sandbox_escapes_are_refused_as_well(tmp_path: Path, body: str) -> None:
    write(tmp_path, "en/staff.j2", "Hello {{ case_ref }}\n" + body)
    with pytest.raises(DraftingError) as info:
        Templates.load(tmp_path)
    assert info.value.line == 2
    assert "sandbox" in info.value.problem or "undefined" in info.value.problem


def test_a_broken_template_names_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "de/refund.j2", "Guten Tag,\n\n{% if author %}\nHallo {{ author }}\n")
    with pytest.raises(DraftingError) as info:
        Templates.load(tmp_path)
    assert info.value.path == str(path)
    assert info.value.line == 4
    assert "endif" in info.value.problem


def test_an_unknown_variable_names_the_ones_that_exist(tmp_path: Path) -> None:
    path = write(tmp_path, "en/other.j2", "Hello {{ customer_name }}, case {{ case_ref }}")
    with pytest.raises(DraftingError) as info:
        Templates.load(tmp_path)
    assert str(info.value).startswith(f"{path}:1: 'customer_name' is undefined; templates can use: author, brand")


def test_a_template_that_fails_only_on_some_input_fails_when_rendered(tmp_path: Path) -> None:
    path = write(tmp_path, "en/website.j2", "Hello {{ case_ref }}\n{% if author == 'Bob' %}\n{{ 1 / 0 }}{% endif %}")
    templates = Templates.load(tmp_path)  # the sample data does not reach line 3
    with pytest.raises(DraftingError) as info:
        render_draft(make_request(language="en", category="website", author="Bob"), templates=templates)
    assert (info.value.path, info.value.line) == (str(path), 3)
    assert "ZeroDivisionError" in info.value.problem


def test_an_error_in_an_included_file_points_into_that_file(tmp_path: Path) -> None:
    part = write(tmp_path, "en/_sign.j2", "Regards,\n{{ brand.upper() }} {{ signature }}")
    write(tmp_path, "en/billing.j2", "Hello {{ case_ref }}\n{% include 'en/_sign.j2' %}")
    with pytest.raises(DraftingError) as info:
        Templates.load(tmp_path)
    assert (info.value.path, info.value.line) == (str(part), 2)


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"en/other.j2": b"Hello \xff\xfe"}, "byte 6: not UTF-8"),
        ({"Russian/other.j2": "Hi"}, "folder names are language codes"),
        ({"en/other.j2": "{% if author %}{% endif %}"}, "renders to an empty text"),
    ],
)
def test_unusable_files_are_refused_with_the_reason(
    tmp_path: Path, files: dict[str, str | bytes], message: str
) -> None:
    for name, text in files.items():
        write(tmp_path, name, text)
    with pytest.raises(DraftingError, match=message):
        Templates.load(tmp_path)


def test_a_missing_templates_dir_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(DraftingError, match="templates_dir is not a folder"):
        Templates.load(tmp_path / "nope")


# --- config and packaging --------------------------------------------------------------


def test_the_drafting_section_of_sources_yaml() -> None:
    config = DraftingConfig.model_validate(
        {
            "templates_dir": "replies",
            "rewrite": {
                "enabled": True,
                "url": "https://llm.example/v1",
                "model": "small",
                "api_key_env": "LLM_KEY",
                "timeout": "5s",
            },
        }
    )
    assert config.templates_dir == Path("replies")
    assert config.rewrite.timeout.total_seconds() == 5
    assert config.rewrite.endpoint == "https://llm.example/v1/chat/completions"
    assert DraftingConfig().rewrite.enabled is False
    assert DraftingConfig().rewrite.timeout.total_seconds() == 10

    with pytest.raises(ValidationError, match="enabled: true needs url: and model:"):
        DraftingConfig.model_validate({"rewrite": {"enabled": True}})
    with pytest.raises(ValidationError, match="Extra inputs"):
        DraftingConfig.model_validate({"rewrite": {"api_key": "sk-123"}})  # the key itself never goes in the file
    with pytest.raises(ValidationError, match="absolute http"):
        DraftingConfig.model_validate({"rewrite": {"url": "llm.example"}})


def test_every_shipped_template_is_package_data() -> None:
    # A non-editable install only carries files that [tool.setuptools.package-data] names.
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = pyproject["tool"]["setuptools"]["package-data"]["monitor.desk"]
    shipped_files = [p.relative_to(SHIPPED_DIR.parent).as_posix() for p in SHIPPED_DIR.rglob("*") if p.is_file()]
    assert len(shipped_files) == len(LANGUAGES) * (len(CATEGORIES) + 4)  # + _default, closing, update, thanks
    assert all(any(fnmatch.fnmatch(f, pattern) for pattern in patterns) for f in shipped_files)
