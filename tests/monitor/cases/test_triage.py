from __future__ import annotations

import pytest
from pydantic import ValidationError

from monitor.cases.triage import Evidence, Triager, raised
from monitor.config.triage import TriageConfig

T = Triager()


@pytest.mark.parametrize(
    "text, category",
    [
        ("Заказ не пришел, курьер не отвечает, посылка потерялась", "delivery"),
        ("Посилка не прийшла, кур'єр зник, Нова пошта мовчить", "delivery"),
        ("Пасылка так і не прыйшла, кур'ер не адказвае", "delivery"),
        ("Ծանրոցը չեմ ստացել, առաքիչը չի պատասխանում", "delivery"),
        ("Das Paket ist nie angekommen, die Sendungsverfolgung zeigt nichts", "delivery"),
        ("The parcel never arrived and tracking has not moved in a week", "delivery"),
        ("Чайник сломался через день, брак, не работает", "defect"),
        ("Der Wasserkocher ist defekt und funktioniert nicht mehr", "defect"),
        ("Требую возврат денег, обменять отказались", "refund"),
        ("I want a refund, they refused the return", "refund"),
        ("Оператор нагрубил и бросил трубку, сотрудник хамил", "staff"),
        ("Mit der Karte doppelt abgebucht, Rechnung falsch", "billing"),
        ("I was charged twice for the same order, payment taken two times", "billing"),
        ("Сайт выдает ошибку, не могу войти в личный кабинет", "website"),
        ("Спасибо, всё хорошо", "other"),
        ("", "other"),
    ],
)
def test_categories_in_every_language(text: str, category: str) -> None:
    assert T.category(text)[0] == category


def test_whole_word_entries_do_not_match_inside_other_words() -> None:
    # «судя» is not «суд», "firefox" is not a fire, "apple" is not the app, "pressure" is not the press
    assert T.signals("Судя по всему, искренне жаль, но доставка опоздала") == {}
    assert T.signals("Firefox shows the apple logo under pressure") == {}
    assert "legal" in T.signals("Подаю в суд и иск в прокуратуру")
    assert "press" in T.signals("I will go to the press")


def test_priority_rules_and_reasons() -> None:
    safety = T.assess("Чайник задымился и загорелся, сын получил ожог", Evidence())
    assert safety.priority == "urgent" and safety.reasons[0].startswith("mentions a health or safety risk")
    legal = T.assess("Mein Anwalt reicht Klage ein", Evidence())
    assert legal.priority == "high" and "«anwalt»" in legal.reasons[0]
    both = T.assess("Обращусь в суд и к журналистам", Evidence())
    assert both.priority == "urgent" and len(both.reasons) == 2
    one_star = T.assess("Плохо", Evidence(rating=1))
    assert (one_star.priority, one_star.reasons) == ("normal", ("rated 1 of 5",))
    customer = T.assess("Плохо", Evidence(rating=1, customer_tier="Gold", customer_value=125000, repeat_cases=2))
    assert customer.priority == "urgent" and len(customer.reasons) == 4
    weighted = T.assess("Плохо", Evidence(source_weight=5, customer_tier="gold"))
    assert weighted.priority == "high"
    mild = T.assess("Диван привезли на день позже, но всё хорошо", Evidence(rating=4))
    assert mild.priority == "low"
    assert T.assess("Диван привезли на день позже", Evidence()).priority == "normal"


def test_a_huge_text_is_read_only_up_to_its_first_20000_characters() -> None:
    text = ("обычный текст без сигналов " * 50_000) + " суд"
    assert len(text) > 1_000_000
    assert T.assess(text, Evidence()).priority == "normal"  # the signal past the cut is not read


def test_config_adds_words_and_refuses_unknown_names() -> None:
    mine = Triager(TriageConfig.model_validate({"categories": {"delivery": {"ru": ["сдэк"]}},
                                                "signals": {"press": {"ru": ["=пикабу"]}}}))  # fmt: skip
    assert mine.category("СДЭК опять потерял")[0] == "delivery"
    assert mine.assess("Напишу на пикабу", Evidence()).priority == "high"
    with pytest.raises(ValidationError, match="unknown category 'shipping'"):
        TriageConfig.model_validate({"categories": {"shipping": {"en": ["x"]}}})
    with pytest.raises(ValidationError, match="unknown signal"):
        TriageConfig.model_validate({"signals": {"anger": {"en": ["x"]}}})


def test_raised() -> None:
    assert raised("normal", "urgent") and not raised("high", "normal") and not raised("low", "low")
