"""Customer matching: each scoring rule, in the scripts customers write in."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from monitor.config import CustomerLinkConfig
from monitor.core.db import SessionFactory, session_scope
from monitor.customers.candidates import Candidate, find_candidates
from monitor.customers.keys import name_words
from monitor.customers.register import import_customers
from monitor.customers.register_file import read_register
from monitor.models import Brand, Customer
from tests.support.clock import NOW
from tests.support.factories import feed_config, synced

LINK_AT, SUGGEST_AT = CustomerLinkConfig().link_at, CustomerLinkConfig().suggest_at

REGISTER = """external_id,full_name,names,emails,phones,orders,city
ivan,Петров Иван Сергеевич,vanya_p88,ivan.petrov@mail.example,8 (912) 345-67-89,7731-220,Москва
olga,Светлова Ольга,,olga@mail.example,+7 903 555-12-34,7802-114,Казань
dmitry,Кузнецов Дмитрий Андреевич,,,,7731-245,Самара
juergen,Jürgen Becker,,,+49 170 1234567,AC-55120,Berlin
aram,Արամ Պետրոսյան,,,+374 91 123456,,Երևան
oleksandr,Олександр Бондаренко,,,,7815-330,Київ
evgeniya,Женя Соколовская,,,,,
robert,Robert Whitfield,,,,,London
tamar,Тамерлан Ахмедов,,,,,
"""


@pytest.fixture
def brand_id(sessions: SessionFactory) -> int:
    synced(sessions, feed_config({"board": "https://board.example/feed"}), NOW)
    with session_scope(sessions) as session:
        return session.scalars(sa.select(Brand.id).where(Brand.key == "acme")).one()


def register(sessions: SessionFactory, brand_id: int, csv: str = REGISTER) -> dict[str, int]:
    with session_scope(sessions) as session:
        rows = read_register(csv.encode(), default_region="RU")
        import_customers(session=session, brand_id=brand_id, rows=rows, now=NOW, default_region="RU")
        return {c.external_id: c.id for c in session.scalars(sa.select(Customer))}  # type: ignore[misc]


def find(sessions: SessionFactory, brand_id: int, text: str = "", author: str = "", **kw: object) -> list[Candidate]:
    options: dict[str, object] = {"order_pattern": None, "default_region": "RU", **kw}
    with session_scope(sessions) as session:
        return find_candidates(
            session=session, brand_id=brand_id, texts=[text], authors=[author] if author else [], **options
        )


@pytest.fixture
def ids(sessions: SessionFactory, brand_id: int) -> dict[str, int]:
    return register(sessions, brand_id)


def linked(found: list[Candidate]) -> int | None:
    return found[0].customer_id if found and found[0].score >= LINK_AT else None


# -- identifiers ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "author", "reason"),
    [
        ("Курьер привёз с вмятиной, заказ 7731-220.", "kate.v", "order 7731-220 matches exactly"),
        ("Meine Bestellung AC-55120 kam nicht an.", "k.wagner", "order AC-55120 matches exactly"),
        ("Пишіть olga@mail.example", "nina_k", "email olga@mail.example matches exactly"),
        ("Перезвоните: 8 (912) 345-67-89", "hozyaika_72", "phone 8 (912) 345-67-89 matches exactly"),
        ("Rufen Sie mich an: +49 170 1234567", "bargainhunter", "phone +49 170 1234567 matches exactly"),
        ("Զանգահարեք +374 91 123456", "gor_88", "phone +374 91 123456 matches exactly"),
    ],
)
def test_an_exact_identifier_links_whatever_the_nickname(
    sessions: SessionFactory, brand_id: int, ids: dict[str, int], text: str, author: str, reason: str
) -> None:
    found = find(sessions, brand_id, text, author)
    assert linked(found) is not None and reason in found[0].reasons
    assert len(found) == 1


def test_identifier_and_agreeing_name_score_higher(
    sessions: SessionFactory, brand_id: int, ids: dict[str, int]
) -> None:
    (top,) = find(sessions, brand_id, "заказ 7731-245", "Дмитрий Кузнецов")
    assert top.customer_id == ids["dmitry"] and top.score == 99.0
    assert top.reasons == (
        "order 7731-245 matches exactly",
        "name 'Дмитрий Кузнецов' ~ 'Кузнецов Дмитрий Андреевич' 100",
    )


@pytest.mark.parametrize("author", ["Анна Шульц", "Helga", "Ursula S.", "Олена"])
def test_someone_elses_order_under_a_persons_name_is_only_suggested(
    sessions: SessionFactory, brand_id: int, ids: dict[str, int], author: str
) -> None:
    (top,) = find(sessions, brand_id, "заказ 7731-220", author)
    assert top.customer_id == ids["ivan"] and SUGGEST_AT <= top.score < LINK_AT
    assert f"name '{author}' does not match 'Петров Иван Сергеевич'" in top.reasons


def test_a_handle_of_a_name_word_and_digits_is_a_suggestion(sessions: SessionFactory, brand_id: int) -> None:
    ids = register(sessions, brand_id, "id,name,names\nq1,Климова Анна,klimova93\nq2,Зорин Олег,oleg_z_rocks\n")
    (klimova,) = find(sessions, brand_id, "", "klimova93")
    assert klimova.customer_id == ids["q1"] and SUGGEST_AT <= klimova.score < LINK_AT
    assert linked(find(sessions, brand_id, "", "oleg_z_rocks")) == ids["q2"]
    assert find(sessions, brand_id, "", "klimova77") == []  # only the family name


def test_a_household_phone_is_told_apart_by_the_name(sessions: SessionFactory, brand_id: int) -> None:
    ids = register(
        sessions,
        brand_id,
        "id,name,phone\nh1,Смирнов Павел,+7 912 111-22-33\nh2,Смирнова Анна,+7 912 111-22-33\n",
    )
    both = find(sessions, brand_id, "тел. +7 912 111-22-33", "mama_troih")
    assert {c.customer_id for c in both} == {ids["h1"], ids["h2"]} and linked(both) is None
    assert all("but is another customer's too" in c.reasons[0] for c in both)
    named = find(sessions, brand_id, "тел. +7 912 111-22-33", "Анна Смирнова")
    assert linked(named) == ids["h2"]


# -- names -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("author", "who", "reason"),
    [
        ("Aram Petrosian", "aram", "name 'Aram Petrosian' ~ 'Արամ Պետրոսյան' 99"),  # Latin for Armenian
        ("Петросян Арам", "aram", "name 'Петросян Арам' ~ 'Արամ Պետրոսյան' 100"),  # Cyrillic, swapped
        ("Juergen Becker", "juergen", "name 'Juergen Becker' ~ 'Jürgen Becker' 100"),  # umlaut written out
        ("Юрген Беккер", "juergen", "name 'Юрген Беккер' ~ 'Jürgen Becker' 99"),
        ("Oleksandr Bondarenko", "oleksandr", "name 'Oleksandr Bondarenko' ~ 'Олександр Бондаренко' 100"),
        ("Olga Svetlova", "olga", "name 'Olga Svetlova' ~ 'Светлова Ольга' 100"),
        ("Olga Swetlowa", "olga", "name 'Olga Swetlowa' ~ 'Светлова Ольга' 99"),  # German-style transliteration
        ("Tamerlan Akhmedov", "tamar", "name 'Tamerlan Akhmedov' ~ 'Тамерлан Ахмедов' 100"),  # not in the table
    ],
)
def test_a_full_name_in_another_script_or_order_links_when_only_one_customer_has_it(
    sessions: SessionFactory, brand_id: int, ids: dict[str, int], author: str, who: str, reason: str
) -> None:
    found = find(sessions, brand_id, "Плохой сервис", author)
    assert linked(found) == ids[who]
    assert found[0].reasons[0] == reason


@pytest.mark.parametrize(
    ("author", "who", "note"),
    [
        ("Ваня Петров", "ivan", "'Ваня' is a form of 'Иван'"),
        ("Sasha Bondarenko", "oleksandr", "'Sasha' is a form of 'Олександр'"),
        ("Bob Whitfield", "robert", "'Bob' is a form of 'Robert'"),
        ("Евгения Соколовская", "evgeniya", "'Евгения' is a form of 'Женя'"),
        ("Olha Svetlova", "olga", "'Olha' is a form of 'Ольга'"),
    ],
)
def test_diminutives_and_other_forms_of_a_given_name(
    sessions: SessionFactory, brand_id: int, ids: dict[str, int], author: str, who: str, note: str
) -> None:
    found = find(sessions, brand_id, "", author)
    assert found[0].customer_id == ids[who] and note in found[0].reasons


@pytest.mark.parametrize(
    ("author", "who"), [("Ольга Светлва", "olga"), ("Olga Sveltova", "olga"), ("Ivan Petorv", "ivan")]
)
def test_a_typo_is_suggested_not_linked(
    sessions: SessionFactory, brand_id: int, ids: dict[str, int], author: str, who: str
) -> None:
    (top,) = find(sessions, brand_id, "", author)
    assert top.customer_id == ids[who] and SUGGEST_AT <= top.score < LINK_AT


@pytest.mark.parametrize(
    ("author", "who"), [("d.kuznetsov", "dmitry"), ("Д. Кузнецов", "dmitry"), ("Kuznetsov D.", "dmitry")]
)
def test_family_name_and_initial_is_a_suggestion(
    sessions: SessionFactory, brand_id: int, ids: dict[str, int], author: str, who: str
) -> None:
    (top,) = find(sessions, brand_id, "", author)
    assert top.customer_id == ids[who] and SUGGEST_AT <= top.score < LINK_AT
    assert "(family name and initial)" in top.reasons[0]


def test_handles_the_register_knows(sessions: SessionFactory, brand_id: int, ids: dict[str, int]) -> None:
    assert find(sessions, brand_id, "", "vanya_p88")[0].reasons == ("nickname 'vanya_p88' matches 'vanya_p88'",)
    assert linked(find(sessions, brand_id, "", "vanya_p88")) == ids["ivan"]
    (run_together,) = find(sessions, brand_id, "", "olgasvetlova")
    assert run_together.customer_id == ids["olga"] and run_together.score >= LINK_AT


def test_city_named_in_the_text_adds_to_other_evidence(
    sessions: SessionFactory, brand_id: int, ids: dict[str, int]
) -> None:
    (plain,) = find(sessions, brand_id, "Ужасный сервис", "Д. Кузнецов")
    (with_city,) = find(sessions, brand_id, "Ужасный сервис, я из Самары", "Д. Кузнецов")
    assert with_city.score == plain.score + 4 and "city 'Самара' mentioned" in with_city.reasons
    assert find(sessions, brand_id, "Я из Самары", "") == []  # a city alone is nothing


def test_a_family_name_shared_in_the_register_never_links_on_a_name_alone(
    sessions: SessionFactory, brand_id: int
) -> None:
    ids = register(sessions, brand_id, "id,name\np1,Петров Иван\np2,Петрова Ирина\np3,Сидоров Пётр\n")
    ivan = find(sessions, brand_id, "", "Ivan Petrov")
    assert ivan[0].customer_id == ids["p1"] and SUGGEST_AT <= ivan[0].score < LINK_AT
    assert "another customer has the family name 'Петров'" in ivan[0].reasons
    assert ids["p2"] not in {c.customer_id for c in ivan if c.score >= SUGGEST_AT}  # Irina is a relative
    for author in ("И. Петров", "Petrov"):
        assert linked(find(sessions, brand_id, "", author)) is None
    assert linked(find(sessions, brand_id, "", "Пётр Сидоров")) == ids["p3"]


def test_a_shared_family_name_links_with_the_customers_city_named(sessions: SessionFactory, brand_id: int) -> None:
    ids = register(sessions, brand_id, "id,name,city\np1,Ivan Petrov,Омск\np2,Петрова Ирина,Омск\n")
    plain = find(sessions, brand_id, "Холодильник сломался", "Петров Иван")
    assert plain[0].customer_id == ids["p1"] and linked(plain) is None  # a relative shares the family name
    found = find(sessions, brand_id, "Холодильник сломался, я из Омска", "Петров Иван")
    assert linked(found) == ids["p1"]
    assert "city 'Омск' mentioned" in found[0].reasons
    # Another city is no corroboration.
    assert linked(find(sessions, brand_id, "Я из Самары", "Петров Иван")) is None


def test_a_common_family_name_does_not_link_even_with_the_city(sessions: SessionFactory, brand_id: int) -> None:
    others = "".join(f"p{n},Петров {given},Омск\n" for n, given in enumerate(["Олег", "Пётр", "Игорь", "Юрий", "Лев"]))
    ids = register(sessions, brand_id, f"id,name,city\nivan,Ivan Petrov,Омск\n{others}")
    found = find(sessions, brand_id, "Я из Омска", "Петров Иван")
    assert found[0].customer_id == ids["ivan"] and SUGGEST_AT <= found[0].score < LINK_AT


def test_a_namesake_in_the_register_stops_the_city_from_linking(sessions: SessionFactory, brand_id: int) -> None:
    ids = register(sessions, brand_id, "id,name,city\nn1,Саша Лукин,Тверь\nn2,Лукин Александр Ильич,Тверь\n")
    found = find(sessions, brand_id, "Живу в Твери", "Aleksandr Lukin")
    assert {c.customer_id for c in found} == {ids["n1"], ids["n2"]}
    assert linked(found) is None and all(c.score >= SUGGEST_AT for c in found)


@pytest.mark.parametrize(
    ("author", "full_name"),
    [
        ("Петров Иван", "Ivan Petrov"),  # Cyrillic and swapped for a Latin record
        ("Саша Петров", "Petrov Aleksandr"),  # a diminutive for the full name
        ("Արամ Պետրոսյան", "Aram Petrosyan"),  # Armenian for a Latin record
        ("Petrosyan Aram", "Պետրոսյան Արամ"),
    ],
)
def test_a_name_written_another_way_finds_the_register_spelling(
    sessions: SessionFactory, brand_id: int, author: str, full_name: str
) -> None:
    ids = register(sessions, brand_id, f"id,name\nc,{full_name}\n")
    assert linked(find(sessions, brand_id, "", author)) == ids["c"]


def test_a_vowel_initial_must_start_like_the_first_name(sessions: SessionFactory, brand_id: int) -> None:
    ids = register(sessions, brand_id, "id,name\ne,Ерёмина Елена\ni,Ирина Ерёмина\nj,Юлия Ерёмина\n")
    for author, who in (("I. Eremina", "i"), ("Ye. Eremina", "e"), ("Е. Ерёмина", "e"), ("J. Eremina", "j")):
        suggested = [c.customer_id for c in find(sessions, brand_id, "", author) if c.score >= SUGGEST_AT]
        assert suggested == [ids[who]], author


def test_namesakes_are_both_suggested_and_neither_linked(sessions: SessionFactory, brand_id: int) -> None:
    ids = register(sessions, brand_id, "id,name\nn1,Антон Зябликов\nn2,Зябликов Антон Юрьевич\n")
    found = find(sessions, brand_id, "", "Anton Zyablikov")
    assert {c.customer_id for c in found} == {ids["n1"], ids["n2"]}
    assert all(SUGGEST_AT <= c.score < LINK_AT for c in found)
    assert any("fits almost as well" in r for r in found[0].reasons)
    # The order number settles it.
    register(sessions, brand_id, "id,name,orders\nn2,Зябликов Антон Юрьевич,1234-567\n")
    assert linked(find(sessions, brand_id, "заказ 1234-567", "Anton Zyablikov")) == ids["n2"]


def test_patronymic_tells_father_and_son_apart(sessions: SessionFactory, brand_id: int) -> None:
    ids = register(sessions, brand_id, "id,name\nf,Грачёв Иван Петрович\ns,Грачёв Иван Иванович\n")
    found = find(sessions, brand_id, "", "Иван Иванович Грачёв")
    assert found[0].customer_id == ids["s"] and found[0].score > found[1].score
    assert "another patronymic" in found[1].reasons


def test_rejected_customers_are_not_suggested_again(
    sessions: SessionFactory, brand_id: int, ids: dict[str, int]
) -> None:
    assert find(sessions, brand_id, "заказ 7731-220", "")[0].customer_id == ids["ivan"]
    assert find(sessions, brand_id, "заказ 7731-220", "", exclude_customer_ids={ids["ivan"]}) == []


def test_nothing_to_go_on_finds_nothing(sessions: SessionFactory, brand_id: int, ids: dict[str, int]) -> None:
    assert find(sessions, brand_id, "Ужасный магазин", "bargainhunter") == []
    assert find(sessions, brand_id, "Ужасный магазин", "Светлана Иванова") == []  # not a customer
    assert find(sessions, brand_id, "заказ 0000-000", "") == []
    assert find(sessions, brand_id + 1, "заказ 7731-220", "Иван Петров") == []  # another brand's register


def test_limit_and_order(sessions: SessionFactory, brand_id: int) -> None:
    csv = "id,name\n" + "".join(f"k{i},Кириллов{'а' if i % 2 else ''} {name}\n" for i, name in enumerate(
        ["Кирилл", "Ирина", "Константин", "Ксения", "Карл", "Кира"]))  # fmt: skip
    register(sessions, brand_id, csv)
    found = find(sessions, brand_id, "", "К. Кириллов", limit=3)
    assert len(found) == 3 and [c.score for c in found] == sorted((c.score for c in found), reverse=True)


@pytest.mark.parametrize(
    ("customer", "author"),
    [
        ("Кузнецова Светлана", "Светлама Кузнецова"),  # ru
        ("Наталья Смирнова", "Натаоья Смирнова"),  # ru, the typo leaves one consonant
        ("Олександр Бондаренко", "Олексадр Бондаренко"),  # uk
        ("Святлана Быкава", "Сятлана Быкава"),  # be
        ("Գրիգոր Պետրոսյան", "Գրիկոր Պետրոսյան"),  # hy
        ("Jürgen Becker", "Jürgem Becker"),  # de
        ("Wolfgang Schmidt", "Wolfgan Schmidt"),  # de
        ("Andrew Whitfield", "Andrwe Whitfield"),  # en
    ],
)
def test_a_mistyped_given_name_finds_the_customer(
    sessions: SessionFactory, brand_id: int, customer: str, author: str
) -> None:
    # The author's given name is no known name, and sounds otherwise than the customer's: only the
    # correction against the given-name table at lookup meets the customer's keys.
    typo = name_words(author)[0]
    assert not typo.groups and typo.sounds != name_words(customer)[0 if customer[0] == author[0] else 1].sounds
    ids = register(sessions, brand_id, f"id,name\nc,{customer}\nx,Иванов Сергей\n")
    found = find(sessions, brand_id, "", author)
    assert [c.customer_id for c in found] == [ids["c"]] and SUGGEST_AT <= found[0].score < LINK_AT
