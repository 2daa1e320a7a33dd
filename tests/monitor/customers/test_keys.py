"""The keys a customer is filed under and a complaint's author is looked up by (monitor.customers.keys)."""

from __future__ import annotations

from monitor.customers.keys import customer_keys, given_name_typos, lookup_keys, name_words, sound


def test_lookup_keys_are_the_keys_a_customer_is_filed_under() -> None:
    assert sound("Petrova".lower()) == sound("petrov") == "ptrv"
    assert sound("juergen") == sound("jurgen") and sound("honcharenko") == sound("goncharenko")
    assert ("sound", "avn|ptrv") in lookup_keys("Ваня Петров")
    assert ("initial", "d.kznzv") in lookup_keys("d.kuznetsov") and ("nick", "dkuznetsov") in lookup_keys("d.kuznetsov")
    # Two words are also looked up run together the other way round: the customer is filed given first.
    assert ("nick", "ivanpetrov") in filed("Петров Иван") and ("nick", "ivanpetrov") in lookup_keys("Петров Иван")
    assert ("nick", "omelnikova") in filed("Мельникова Ольга") and ("nick", "omelnikova") in lookup_keys("Melnikova O.")


def filed(full_name: str) -> set[tuple[str, str]]:
    return customer_keys(full_name=full_name, names=(), emails=(), phones=(), orders=())


def test_a_pair_of_words_is_one_key_in_either_order() -> None:
    assert {k for k in filed("Петров Иван") if k[0] == "sound"} == {k for k in filed("Ivan Petrov") if k[0] == "sound"}
    assert ("sound", "avn|ptrv") in filed("Петров Иван") and ("sound", "ptrv|avn") not in filed("Петров Иван")
    assert ("sound", "avn|ptrv") in lookup_keys("Petrov Ivan")


def test_typo_variants_are_filed_for_the_family_name_not_for_a_known_given_name() -> None:
    keys = filed("Петров Иван Сергеевич")
    # Petrov as written and with each letter missing; Ivan + patronymic as written only.
    assert {v for kind, v in keys if kind == "sound"} == {
        "avn|ptrv", "avn|trv", "avn|prv", "avn|ptv", "avn|ptr", "avn|srgvC",
    }  # fmt: skip
    # A given name the table does not know is filed with its typo variants, like a family name.
    assert ("sound", "kznzv|svtl") in filed("Кузнецова Светлама")


def test_a_given_name_one_letter_short_is_as_good_as_written_and_other_typos_come_in_blocks() -> None:
    # «Анрей» is Андрей without its д: as the customer's filed typo variant used to, it counts as written.
    close, _ = given_name_typos(name_words("Анрей Тарасов"))
    assert close == {"andr|trsv"}
    # "Svetlama": Svetlana by one substitution, in one block with the pair key of the shared deletion.
    close, blocks = given_name_typos(name_words("Светлама Кузнецова"))
    assert not close and frozenset({"kznzv|svtln", "kznzv|svtl"}) in blocks
    assert {("sound", "kznzv|svtln"), ("sound", "andr|trsv")} <= lookup_keys("Светлама Кузнецова") | lookup_keys(
        "Анрей Тарасов"
    )
    # A known given name is not "corrected" into another (Мария is not Марина): only the other word is.
    close, blocks = given_name_typos(name_words("Мария Петрова"))
    assert not close and blocks and all(key.startswith("mr|") for block in blocks for key in block)
