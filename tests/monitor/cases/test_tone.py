"""Tone: complaint, question or praise, from the rating, the cue words of six languages and the shipped model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from monitor.cases.tone import MAX_CHARS, ToneClassifier, tone_classifier
from monitor.cases.tone_model import N_FEATURES, SHIPPED_MODEL, ToneModel, ToneModelError, shipped_model
from monitor.config import ConfigError, parse_config
from monitor.config.tone import ToneConfig

WORDS = ToneClassifier(model=None)  # cue words and rating only
FULL = ToneClassifier(model=shipped_model())

# Real-life wording in each language: (language, text, the tone it must get from text alone).
TEXTS = [
    ("ru", "Ужасное качество, фильтры рвутся, деньги на ветер. Не рекомендую!", "complaint"),
    ("ru", "Отличные фильтры, всё пришло быстро, спасибо продавцу, рекомендую!", "praise"),
    ("ru", "Подскажите, пожалуйста, когда будет доставка в Екатеринбург?", "question"),
    ("uk", "Жахливий сервіс, замовлення досі не привезли, гроші не повернули.", "complaint"),
    ("uk", "Дякую, все чудово, швидка доставка, рекомендую!", "praise"),
    ("uk", "Підкажіть, будь ласка, коли з'явиться товар у продажу?", "question"),
    ("be", "Жахлівае абслугоўванне, заказ не прывезлі, патрабую вярнуць грошы.", "complaint"),
    ("be", "Дзякуй, выдатная якасць і хуткая дастаўка!", "praise"),
    ("be", "Падкажыце, калі адкрыецца крама?", "question"),
    ("hy", "Սարսափելի սպասարկում, ապրանքը կոտրված էր, վերադարձրեք գումարս։", "complaint"),
    ("hy", "Շնորհակալություն, հիանալի որակ և արագ առաքում։", "praise"),
    ("hy", "Ինչպե՞ս կարող եմ փոխել պատվերի հասցեն։", "question"),
    ("de", "Absolute Katastrophe, seit Wochen keine Antwort, Finger weg!", "complaint"),
    ("de", "Super Service, schnelle und freundliche Beratung, sehr zufrieden!", "praise"),
    ("de", "Können Sie mir sagen, wann meine Bestellung versendet wird?", "question"),
    ("en", "Terrible service, still waiting for my refund after a month. Avoid!", "complaint"),
    ("en", "Great company, fast and friendly support, highly recommend!", "praise"),
    ("en", "How do I change the delivery address of my order?", "question"),
]


@pytest.mark.parametrize("classifier", [WORDS, FULL], ids=["words", "words+model"])
@pytest.mark.parametrize(("language", "text", "tone"), TEXTS, ids=[f"{t[0]}-{t[2]}" for t in TEXTS])
def test_text_alone_tells_complaint_question_and_praise_in_six_languages(
    classifier: ToneClassifier, language: str, text: str, tone: str
) -> None:
    result = classifier.classify(text, language=language)
    assert result.tone == tone, result.reasons
    assert result.reasons  # every class says why


def test_a_low_rating_is_a_complaint_whatever_the_text_says() -> None:
    result = FULL.classify("Спасибо, всё отлично!", rating=1)
    assert result.tone == "complaint" and result.reasons[0] == "rated 1 of 5"


def test_a_high_rating_is_praise_unless_the_text_clearly_complains_or_asks() -> None:
    assert FULL.classify("Хороший магазин", rating=5).tone == "praise"
    complains = FULL.classify("Ужасно: брак, курьер нагрубил, деньги не вернули", rating=5)
    assert complains.tone == "complaint" and "but the text complains" in complains.reasons[0]
    asks = FULL.classify("Всё супер! Подскажите, когда будет синий цвет?", rating=5)
    assert asks.tone == "question"


def test_a_negator_turns_a_cue_around_within_its_clause() -> None:
    cues = WORDS.cues("Не понравилось. Фильтры не рвутся, без задержки, хорошо упакованы. Нареканий нет")
    assert cues.complaint == ("не … понрав",)
    assert set(cues.praise) == {"не … рвут", "хорош", "нет … нарекани"}  # «без задержки,» does not reach «хорошо»


def test_a_question_word_without_a_question_mark_does_not_ask() -> None:
    assert not WORDS.cues("Как всегда всё пришло вовремя").asks
    assert WORDS.cues("Как оформить возврат?").asks == ("как",)


def test_nothing_to_go_by_is_a_complaint_so_it_is_answered() -> None:
    for text in ("", "   ", "12345 !!! ???", "\x00\x01\u202e"):
        result = FULL.classify(text)
        assert result.tone == "complaint", text
        assert "taken as a complaint" in result.reasons[-1]


def test_a_text_with_no_cue_word_is_praise_only_over_the_configured_bar() -> None:
    """Rule 4: the model decides a cue-less text only from `praise_without_cues` up; null keeps it a complaint."""
    praise = "Беру не первый раз"  # "I buy it not for the first time": no cue word either way
    p = shipped_model().praise_probability(praise)
    assert ToneConfig().praise_without_cues == 0.8 and p >= 0.8
    result = FULL.classify(praise, language="ru")
    assert result.tone == "praise" and f"{p:.2f}" in result.reasons[-1]
    never = ToneClassifier(ToneConfig(praise_without_cues=None), model=shipped_model())
    assert never.classify(praise, language="ru").tone == "complaint"
    strict = ToneClassifier(ToneConfig(praise_without_cues=round(p + 0.01, 2)), model=shipped_model())
    assert "taken as a complaint" in strict.classify(praise, language="ru").reasons[-1]
    # Plain complaints the model alone scores as praise (0.72-0.86 with the model of session 7) are held by
    # their cue words.
    for text in ("Заказ не пришёл уже месяц", "Acme ruined my order", "Acme charged me twice for the same order",
                 "The parcel never arrived and nobody answers the phone"):  # fmt: skip
        assert FULL.classify(text).tone == "complaint", text
    for bad in ("0.5", "1.5", "high"):
        with pytest.raises(ConfigError, match="praise_without_cues"):
            parse_config(f"cases: {{tone: {{praise_without_cues: {bad}}}}}", env={})
    assert parse_config("cases: {tone: {praise_without_cues: null}}", env={}).cases.tone.praise_without_cues is None


def test_the_model_is_not_asked_about_a_language_it_never_saw() -> None:
    result = FULL.classify("Ապրանքը ստացել եմ", language="hy")
    assert not any("model" in r for r in result.reasons)


def test_hostile_and_huge_text_stays_text_and_cheap() -> None:
    hostile = "{{ 7*7 }} <script>alert(1)</script> ' OR 1=1 -- " + "\u202eотлично" + "A" * 10
    assert FULL.classify(hostile).tone in ("complaint", "praise")
    huge = "Ужасно! " + "я " * 2_000_000  # 4 MB: only the head is read
    result = FULL.classify(huge)
    assert result.tone == "complaint" and len(huge) > MAX_CHARS * 100
    repeated = FULL.classify("отлично " * 100_000)
    assert repeated.tone == "praise"
    assert any(r.startswith("praise words ") and r.count("«") <= 3 for r in repeated.reasons)  # a bounded quote


def test_words_added_in_the_config_count_and_bad_ones_are_refused() -> None:
    added = ToneClassifier(ToneConfig(words={"complaint": {"ru": ["развели"]}}), model=None)
    assert added.classify("Нас развели").tone == "complaint"
    with pytest.raises(ConfigError) as bad_kind:
        parse_config("cases: {tone: {words: {anger: {ru: [злой]}}}}", env={})
    assert "cases.tone.words" in str(bad_kind.value) and "anger" in str(bad_kind.value)
    with pytest.raises(ConfigError) as bad_language:
        parse_config("cases: {tone: {words: {praise: {fr: [merci]}}}}", env={})
    assert "'fr'" in str(bad_language.value)
    with pytest.raises(ConfigError) as bad_tone:
        parse_config("cases: {tone: {open_case_for: [complaint, compliment]}}", env={})
    assert "cases.tone.open_case_for" in str(bad_tone.value)
    with pytest.raises(ConfigError):
        parse_config("cases: {tone: {open_case_for: []}}", env={})
    assert parse_config("cases: {tone: {open_case_for: [praise]}}", env={}).cases.tone.open_case_for == ["praise"]


def test_the_shipped_model_loads_offline_and_scores_in_zero_to_one() -> None:
    model = ToneModel.load(SHIPPED_MODEL)
    assert {"ru", "de", "en"} <= model.languages and model.meta["data"]["origin"] == "bench/data/tone/README.md"
    p = model.praise_probabilities(["Отлично, спасибо!", "Ужасно, верните деньги", ""])
    assert ((p > 0) & (p < 1)).all() and p[0] > p[1]


def test_a_broken_model_file_names_itself(tmp_path: Path) -> None:
    junk = tmp_path / "tone_model.npz"
    junk.write_bytes(b"not a numpy archive")
    with pytest.raises(ToneModelError, match=r"tone_model\.npz"):
        ToneModel.load(junk)
    short = tmp_path / "short.npz"
    np.savez_compressed(short, weights=np.zeros(10, dtype=np.float16), bias=np.float32(0))
    with pytest.raises(ToneModelError, match=str(2 * N_FEATURES)):
        ToneModel.load(short)


def test_one_text_scores_as_the_batch_path_does() -> None:
    """praise_probability rebuilds HashingVectorizer's features by hand (it is ~10x cheaper per text):
    it must give what scikit-learn's transform gives, in every script."""
    model = shipped_model()
    texts = [text for _, text, _ in TEXTS] + ["", "a", "Ապրանքը ստացել եմ", "x" * 10_000]
    batch = model.praise_probabilities(texts)
    one = np.array([model.praise_probability(t) for t in texts])
    assert np.allclose(one, batch, rtol=0, atol=1e-9)


# Fixed warnings: a negator inside them must not turn them into praise, in each language; and the praise
# phrases that hold a negator must not turn into complaints.
WARNING_TEXTS = [
    ("en", "Don't waste your money on this insurance."),
    ("en", "Don’t waste your time, they will find a reason."),
    ("en", "Thanks for nothing."),
    ("de", "Danke für nichts!"),
    ("de", "Nicht empfehlenswert."),
    ("de", "Finger weg!"),
    ("ru", "Не советую."),
    ("ru", "Не рекомендую этот магазин."),
    ("uk", "Не раджу."),
    ("be", "Не раю."),
    ("hy", "Խորհուրդ չեմ տալիս։"),
]


@pytest.mark.parametrize("classifier", [WORDS, FULL], ids=["words", "words+model"])
@pytest.mark.parametrize(("language", "text"), WARNING_TEXTS, ids=[f"{t[0]}-{t[1][:12]}" for t in WARNING_TEXTS])
def test_a_fixed_warning_is_a_complaint_whatever_negator_it_holds(
    classifier: ToneClassifier, language: str, text: str
) -> None:
    result = classifier.classify(text, language=language)
    assert result.tone == "complaint", result.reasons
    assert "complaint words" in result.reasons[0], result.reasons


def test_a_praise_phrase_with_a_negator_stays_praise() -> None:
    for text in ("I can't recommend them enough!", "Couldn't be happier.", "Es gab nichts zu beanstanden."):
        result = WORDS.classify(text)
        assert result.tone == "praise", (text, result.reasons)
    # The words of a phrase are not read again: one point, not a phrase plus a negated cue.
    assert WORDS.cues("Don't waste your money").complaint == ("don't waste",)


BRANDS_CONFIG = """
brands:
  - key: petsbest
    name: Pets Best
    domains: [petsbest.com]
  - key: awful
    name: Awful Waffle
  - key: okna
    name: Хорошие Окна
"""


@pytest.mark.parametrize("model", [False, True], ids=["words", "words+model"])
def test_a_brands_name_is_no_cue_word(model: bool) -> None:
    config = parse_config(BRANDS_CONFIG + f"cases:\n  tone:\n    model: {str(model).lower()}\n", env={})
    tone = tone_classifier(config)
    plain = ToneClassifier(config.cases.tone, shipped_model() if model else None)
    # A praise word in the name: the complaint is one-sided once the name is not read.
    complaint = "Pets Best is worst, they refused the claim."
    assert plain.cues(complaint).praise == ("best",)
    assert tone.cues(complaint).praise == ()
    assert tone.classify(complaint, language="en").tone == "complaint"
    assert tone.classify("petsbest.com was the best decision, thank you", language="en").tone == "praise"
    # A complaint word in the name: the praise is one-sided, in English and in Russian.
    praise = "Awful Waffle's staff were lovely, thank you!"
    assert plain.cues(praise).complaint == ("awful",)
    assert tone.cues(praise).complaint == ()
    assert tone.classify(praise, language="en").tone == "praise"
    assert tone.classify("Хорошие Окна так и не привезли заказ, ужас.", language="ru").tone == "complaint"
    assert tone.cues("ХОРОШИЕ   ОКНА так и не привезли").praise == ()
    # Only the whole name: the same word outside it is still read.
    assert tone.cues("The best service, Pets Best!").praise == ("best",)


def test_the_german_superlative_is_praise_as_in_the_other_languages() -> None:
    # «beste» is to «gut» what "best" is to "good" and «лучший» to «хороший»; it was missing from the table.
    for text in ("Der beste Versicherer, den ich je hatte.", "Bester Kundendienst weit und breit"):
        assert WORDS.classify(text, language="de").tone == "praise", text
    assert WORDS.cues("Nicht die beste Beratung").complaint == ("nicht … beste",)


def test_the_verdict_on_a_thing_used_is_read_in_english() -> None:
    # Reviews of a medicine or a product describe the trouble before the verdict: "it helped", "no side
    # effects", "10/10" are praise; "made me worse", "stopped taking it", "1/10" complaints (session 8).
    expected = {
        "praise": (
            "My back hurt for weeks. This helped within two days.",
            "Headaches every morning before; no side effects so far.",
            "Migraines for years, this was a godsend.",
            "Took it for a month, 10/10.",
        ),
        "complaint": (
            "It made me worse, I could not sleep at all.",
            "I stopped taking it after a week.",
            "Took it for a month, 1/10.",
            "Nothing helped, not even this.",
        ),
    }
    for tone, texts in expected.items():
        for text in texts:
            result = WORDS.classify(text, language="en")
            assert result.tone == tone, (text, result.reasons)
    # "no side effects" is one praise phrase: its "no" turns nothing around.
    assert WORDS.cues("No side effects at all").praise == ("no side effects",)
    # A rating phrase is the whole rating: "10/10" inside "110/100" is none.
    assert WORDS.cues("scored 110/100").praise == ()


def test_the_health_domain_reads_english_with_its_own_model_and_other_languages_with_the_general_one() -> None:
    health = shipped_model("health")
    assert health.languages == {"en"} and health.meta["domain"] == "health"
    assert health.meta["data"]["per_data_set"] == {"en-drugs": 546}  # the training half; never the held-out file
    config = parse_config("cases: {tone: {domain: health}}", env={})
    classifier = tone_classifier(config)
    assert classifier.domain_model is health and classifier.model is shipped_model()
    # Cue words on both sides: the model decides, and the reason quotes the model that was asked.
    text = "The pain was terrible for years. Since I started it I sleep well, it helped."
    assert classifier.cues(text).complaint and classifier.cues(text).praise
    general_p, health_p = (m.praise_probability(text) for m in (shipped_model(), health))
    assert f"{general_p:.2f}" != f"{health_p:.2f}"  # the reasons tell which model was asked
    for language, model, named in (("en", health, "health text model"), (None, health, "health text model"),
                                   ("ru", shipped_model(), "the text model")):  # fmt: skip
        p = model.praise_probability(classifier.without_brands(text))
        reason = classifier.classify(text, language=language).reasons[-1]
        assert f"{p:.2f}" in reason and named in reason, (language, reason)
    # The general domain never asks the health model.
    assert tone_classifier(parse_config("cases: {tone: {}}", env={})).domain_model is None
    assert tone_classifier(parse_config("cases: {tone: {domain: health, model: false}}", env={})).model is None
    with pytest.raises(ConfigError):
        parse_config("cases: {tone: {domain: pharmacy}}", env={})
