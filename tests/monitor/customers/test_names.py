"""Text folding: any script to comparable ASCII words and keys."""

from __future__ import annotations

import pytest

from monitor.core import text as names
from monitor.core.text import Token, fold, fold_word, fold_words, skeleton, tokens, word_key, words
from monitor.customers import name_match


@pytest.mark.parametrize(
    ("written", "folded"),
    [
        ("Акме", "akme"),  # ru
        ("Акмэ", "akme"),  # be
        ("Ластівка", "lastivka"),  # uk
        ("Ластаўка", "lastauka"),  # be: ў
        ("Ակմե", "akme"),  # hy
        ("Լաստոչկա", "lastochka"),  # hy: the aspirate's apostrophe is dropped
        ("Straße", "strasse"),  # de
        ("ACME", "acme"),  # en
        ("Ла́сточка", "lastochka"),  # stress mark
        ("Ак\u200bме", "akme"),  # zero-width space hiding a name
        ("Ак\u00adме", "akme"),  # soft hyphen
        ("кур'єр", "kurier"),  # Ukrainian apostrophe
        ("Acme’s", "acmes"),
        ("Lastočka", "lastochka"),  # č is ch, not c
        ("Lasto\u0063\u030cka", "lastochka"),  # the same, decomposed
        ("Лаcточка", "lastochka"),  # Latin c among Cyrillic letters
        ("Acmе", "acme"),  # Cyrillic е among Latin letters
        ("ЛACTOЧKA", "lastochka"),  # mostly Latin lookalikes, but Л and Ч say Cyrillic
        ("Ｆｕｌｌ", "full"),  # fullwidth
        ("٣٤", "34"),  # Arabic-Indic digits
        ("ﬁle", "file"),  # ligature
    ],
)
def test_fold_word_reaches_ascii(written: str, folded: str) -> None:
    assert fold_word(written) == folded


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Acme", "Акме"),
        ("Акмэ", "Ակմե"),
        ("Akkme", "Acme"),  # doubled letters count once
        ("ACME", "akme"),
        ("Yandex", "Яндекс"),  # y/j/i, x/ks
        ("Xerox", "Ксерокс"),
        ("Schmidt", "Шмидт"),  # German sch
        ("Lastotschka", "Ласточка"),  # German tsch
        ("Lastoczka", "Ласточка"),  # Polish cz
        ("Philips", "Филипс"),  # ph
        ("Khimki", "Химки"),  # kh
        ("Himki", "Химки"),
        ("Uber", "Ուբեր"),  # Armenian ու
        ("Wolt", "Вольт"),  # w/v, soft sign
    ],
)
def test_spelling_variants_share_a_key(a: str, b: str) -> None:
    assert word_key(a) == word_key(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Acme", "Аккредитация"),
        ("Акме", "Акмеист"),
        ("Ласточка", "Ласточкин"),
        ("Ластаўка", "Дастаўка"),
        ("Lastochka", "Lastochko"),
    ],
)
def test_different_words_keep_different_keys(a: str, b: str) -> None:
    assert word_key(a) != word_key(b)


def test_skeleton_keeps_ch_and_sh_whole() -> None:
    assert skeleton("lastochka") == "lastochka"
    assert skeleton("shchuka") == "shchuka"
    assert skeleton("acme") == "akme"
    assert skeleton("") == ""


def test_words_keep_digits_and_split_on_punctuation() -> None:
    assert words("Заказ 7731-220 в Акме!") == ["zakaz", "7731", "220", "v", "akme"]
    assert words("@acme_official, AC-55120") == ["acme", "official", "ac", "55120"]
    assert words("Acme's «shop» 😀") == ["acmes", "shop"]


def test_fold_joins_words_with_single_spaces() -> None:
    assert fold("  Acme's\n«shop» 😀 —  Акме ") == "acmes shop akme"


def test_tokens_point_back_at_the_text_as_written() -> None:
    text = "\u202bВ Ла́сточке\u202c и «Acme’s»‮ ок"
    toks = tokens(text)
    assert [t.word for t in toks] == ["v", "lastochke", "i", "acmes", "ok"]
    assert [text[t.start : t.end] for t in toks] == ["В", "Ла́сточке", "и", "Acme’s", "ок"]
    assert toks[1] == Token("lastochke", "lastochke", toks[1].start, toks[1].end)


def test_evidence_does_not_end_in_an_invisible_character() -> None:
    text = "Acme\u200b \u202eАкме\u202c Acme'"
    assert [text[t.start : t.end] for t in tokens(text)] == ["Acme", "Акме", "Acme"]


@pytest.mark.parametrize("text", ["", "   \n\t", "😀🔥👍", "!!! ... ???", "\x00\x07\u202e\u200b", "https://"])
def test_texts_without_words(text: str) -> None:
    expected = ["https"] if text == "https://" else []
    assert words(text) == expected
    assert [t.word for t in tokens(text)] == expected


def test_the_separator_character_inside_a_callers_word_is_ignored() -> None:
    assert fold_words(["Ак\x00ме", "x"]) == ["akme", "x"]


def test_a_run_longer_than_any_word_is_skipped() -> None:
    assert words("Акме " + "я" * 101 + " ok") == ["akme", "ok"]
    assert words("a" * 100) == ["a" * 100]


def test_results_do_not_depend_on_the_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(names, "_CACHE_SIZE", 3)
    text = "Ласточка Акме Acme Ակմե Lastochka Ластаўцы один два три четыре"
    first = tokens(text)
    names._cache.clear()
    assert tokens(text) == first
    assert tokens(text) == first
    assert len(names._cache) <= 3 + len(first)


def test_one_megabyte_of_text() -> None:
    chunk = "Купил электрочайник в магазине Акме на Ленина, 14. Ластаўка прывезла 😀 Lastochka app. "
    text = (chunk * (1_000_000 // len(chunk) + 1))[:1_000_000]
    result = tokens(text)
    assert result[4].word == "akme"
    assert text[result[-1].start : result[-1].end] in chunk


def test_a_name_is_spelled_even_when_another_thread_clears_the_cache_meanwhile(monkeypatch: pytest.MonkeyPatch) -> None:
    """The poller matches from several threads; a full cache is cleared by whichever thread fills it. Here
    every write is lost at once (a clear just after it): the words still come back, from the answer."""

    class Forgetful(dict):
        def __setitem__(self, key: str, value: object) -> None:
            super().__setitem__(key, value)
            self.clear()

    monkeypatch.setattr(name_match, "_spelled", Forgetful())
    words = name_match.spelled("Петров Иван")
    assert [written for _, written in words] == ["Петров", "Иван"]
    both = name_match.spell_all(["Олена Сидоренко", "Hayk Petrosyan"])
    assert [w for _, w in both["Hayk Petrosyan"]] == ["Hayk", "Petrosyan"] and len(both) == 2
