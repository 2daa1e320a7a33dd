"""What a complaint's texts say about who wrote it: order numbers, e-mails, phones (monitor.customers.evidence)."""

from __future__ import annotations

import pytest

from monitor.customers.evidence import extract_evidence


@pytest.mark.parametrize(
    ("text", "orders"),
    [
        ("Заказала машину, заказ 7731-220. Верните деньги", ["7731-220"]),
        ("Номер заказа № 5561-903, оплачен", ["5561-903"]),
        ("Bestellung AC-55120 kam nie an (Bestellung AC-55120!)", ["AC-55120"]),
        ("my order #6620-031 and Order No. 6620-032", ["6620-031", "6620-032"]),
        ("Замовлення 7815-330 не доставили", ["7815-330"]),
        ("Замоўленне 5570-114 не прывезлі", ["5570-114"]),
        ("Պատվեր 5530-207 չեն բերել", ["5530-207"]),
        ("заказ от 12.03, сумма 12 490 ₽", []),  # a date and a price are not order numbers
        ("order 2 of 3, #1 fan", []),
    ],
)
def test_default_order_pattern_takes_the_number_after_the_word(text: str, orders: list[str]) -> None:
    assert extract_evidence([text], order_pattern=None, region="RU").orders == orders


def test_brand_order_pattern_replaces_the_default() -> None:
    text = "Чек 7731-220, заказ 99-1, и ещё AC-55120"
    assert extract_evidence([text], order_pattern=r"\b\d{4}-\d{3}\b", region=None).orders == ["7731-220"]
    assert extract_evidence([text], order_pattern=r"\b(AC-\d{5})\b", region=None).orders == ["AC-55120"]


def test_emails_and_phones_are_found_and_normalised() -> None:
    text = (
        "Пишите Ivan.Petrov@Mail.Example. Звоните 8 (912) 345-67-89 или +49 170 1234567, "
        "Telefon +374 91 123456; заказ 7731-220"
    )
    found = extract_evidence([text], order_pattern=None, region="RU")
    assert found.emails == ["ivan.petrov@mail.example"]
    assert found.phones == {
        "+79123456789": "8 (912) 345-67-89",
        "+491701234567": "+49 170 1234567",
        "+37491123456": "+374 91 123456",
    }
    # Without a region only numbers written with their country code are readable.
    assert set(extract_evidence([text], order_pattern=None, region=None).phones) == {"+491701234567", "+37491123456"}
