"""Each preset on a real saved page of its site: exact counts and every field; another site's page says so."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from sources.base import PageWarning, ParsedPage, RawMention
from sources.fill import configured_fields, field_fill
from sources.presets import PresetError, apply_preset, presets
from sources.registry import KINDS
from tests.support.paths import FIXTURES

REAL = FIXTURES / "html" / "real"
PAGES = {
    "trustpilot": (REAL / "trustpilot" / "free-now.html", "https://www.trustpilot.com/review/free-now.com"),
    "pravogolosa": (REAL / "pravogolosa" / "home.html", "http://pravogolosa.net/"),
    "irecommend": (REAL / "irecommend" / "home.html", "https://irecommend.ru/"),
    "pissedconsumer": (REAL / "pissedconsumer" / "home.html", "https://www.pissedconsumer.com/"),
    "reviewcentre": (REAL / "reviewcentre" / "home.html", "https://www.reviewcentre.com/"),
}


def settings_of(name: str) -> Any:
    preset = presets()[name]
    kind = KINDS[preset.kind]
    section = preset.source.get(preset.kind)
    return kind.settings.model_validate(section) if section is not None else None


def run(name: str, page: Path | None = None, url: str | None = None) -> ParsedPage:
    path, own_url = PAGES[name]
    text = (page or path).read_text(encoding="utf-8")
    kind = KINDS[presets()[name].kind]
    return kind.parse(
        body=text.encode(), text=text, url=url or own_url, content_type="text/html; charset=utf-8",
        settings=settings_of(name),
    )  # fmt: skip


def fill(name: str, page: ParsedPage) -> dict[str, int]:
    return field_fill(page.items, configured_fields(settings_of(name)))


def test_every_preset_has_a_saved_page_and_the_pages_their_origin() -> None:
    assert sorted(presets()) == sorted(PAGES)
    sources = (REAL / "SOURCES.md").read_text(encoding="utf-8")
    for path, _ in PAGES.values():
        assert path.is_file()
        assert f"`{path.parent.name}/{path.name}`" in sources
    assert {p.kind for p in presets().values()} == {"html", "structured"}
    russian = [n for n, p in presets().items() if p.source.get("language") == "ru"]
    assert sorted(russian) == ["irecommend", "pravogolosa"]


def test_trustpilot_reads_all_twenty_reviews_of_the_json_ld_graph() -> None:
    page = run("trustpilot")

    assert page.warnings == [] and page.skipped == 0
    assert len(page.items) == 20
    assert fill("trustpilot", page) == {"title": 20, "body": 20, "author": 20, "published": 20, "rating": 20}
    # One rating 5, two rating 2 (on 1-5), the rest 1: a taxi app's page.
    assert Counter(m.rating for m in page.items) == {1.0: 17, 2.0: 2, 5.0: 1}
    first, last = page.items[0], page.items[-1]
    assert first == RawMention(
        external_id="https://www.trustpilot.com/#/schema/Review/free-now.com/63497c66377e522e314f2434",
        url=None,
        title="Waste of time",
        body="-Got an offer for 50% off. -No price was shown prior to booking-The App showed the driver was 12 min "
        "away. -I was charged £25. -App showed: no driver found. -Book an Uber for £10.40-No refund so far from FreeNow.",
        author="Beatriz Martin",
        published_at=datetime(2022, 10, 14, 17, 12, 38, tzinfo=UTC),
        rating=1.0,
        replies=None,
    )
    assert last.external_id.endswith("/6341392bb67840c2ab2b837d")
    assert last.title == 'Der Preis war immer höher als der gebuchte "Festpreis"'  # JSON \" unescaped
    assert last.body.startswith("Auf Grund der schlechten Erfahrung mit den klassischen Taxianbietern")
    assert last.body.endswith("berechneten natürlich auch das hintereinanderherfahren doppelt.")
    assert (last.author, last.rating) == ("Ottonormalverbraucher", 2.0)
    assert last.published_at == datetime(2022, 10, 8, 10, 47, 39, tzinfo=UTC)
    # Reviews in Italian, German, Spanish and French come through as written.
    assert page.items[3].body == (
        "se inserite la carta partono addebiti ingiustificati,cifre dettate da loro non si sa secondo quale criterio.Pessimi."
    )
    assert page.items[10].author == "Fâchée" and page.items[10].title == "À FUIR"
    assert len({m.external_id for m in page.items}) == 20


PRAVOGOLOSA = [
    ("62849", "54765", "Реальный отзыв о компании MOSSEBO", "miroslavaulynova", (2017, 5, 25),
     "Мы с мужем решили заказать дизайн интерьера в компании моссэбо.", "остановились на студии дизайна mossebo, в кото..."),
    ("84903", "61012", "Honor-huawei.ru – Осторожно!!! Развод на деньги!!!", "Incpektor54", (2018, 3, 20),
     "Honor-huawei.ru – очередная «тульская» дурилка,", "Основным видом деятельности является «Деятельность п..."),
    ("84731", "60993", "Orion-shina.ru - Осторожно!!! Новая дурилка неуловимых!!!", "Incpektor54", (2018, 3, 17),
     "Orion-shina.ru - очередная интернет-дурилка,", "Фирменная фишка этой группы жуликов: все са..."),
    ("84998", "42249", 'ООО "Бета ПРО" отзывы', "sanya.simakov.66@inbox.ru", (2018, 3, 21),
     "Здравствуйте,в интернете я практически не селен", "это так говориться но на ..."),
    ("84997", "11544", 'Корпорация "ОЛДОС" отзывы', "katrila", (2018, 3, 21),
     "Об одежде Олдос могу судить не только как мама ребенка,", "приходят во второй и ..."),
    ("84996", "50287", "Медицинский центр красоты и здоровья Новослободская отзывы", "Alla80jkygv", (2018, 3, 21),
     "Как по мне женщина должна быть красивой в любом возрасте.", "но после 40 стало все тру..."),
    ("84995", "2791", "Министерство здравоохранения Самарской области отзывы", "Denissca", (2018, 3, 21),
     "Хочется сказать слова глубочайшей благодарности,", "Спасибо ему за ег..."),
    ("84994", "54687", "ПромЭкономГрупп отзывы", "Гиоргий", (2018, 3, 21),
     "Как все красиво написали негодяи.", "Помогу чем..."),
]  # fmt: skip


# The one-line entries under the cards: (adid, catid, title, the whole teaser from the title attribute).
PRAVOGOLOSA_SHORT = [
    ("84993", "58450", "Coffeecup отзывы",
     "Тема. Не, совсем тема. Я долго думал, что б подарить своей жене на день всех влюбленных, а коллега в..."),
    ("84992", "60854", "Веранда №13 отзывы",
     "Порадовала кухня в ресторане Веранда №13. Мясо, приготовленное на мангале, там просто изумительное!..."),
    ("84991", "57866", "ФерстФуд отзывы",
     "Вместе с повышением температуры на улице оттаивают и все микробы - болезни. Чтобы в преддверии весны..."),
    ("84990", "61000", "ООО АГРОМИР отзывы",
     "В данной компании отработал 3 года на позиции менеджера. Зарплата сдельная, но большая, если везешь ..."),
    ("84989", "53596", "РУСМАСТЕР отзывы",
     "В новую квартиру переезжали, вещей не особо много, но главное - пианино, раритет, и цены не малой са..."),
    ("84988", "47369", "Telecom Media отзывы",
     "А мне понравилась работа компании Телеком Медиа. Моим знакомым сделали информативный сайт за довольн..."),
    ("84987", "51680", "Пиковит отзывы",
     "Пиковит форте посоветовала мне подруга, у которой дети чуть постарше моего. Сказала, что их он очень..."),
    ("84986", "61032", "КОЭНЗИМ Q10 от Coral Club отзывы",
     "Привет всем красавицам! Девушки и женщины, наверное, многие и вас пользовались или пользуются кремам..."),
]  # fmt: skip


def test_pravogolosa_front_page_every_review_and_field() -> None:
    page = run("pravogolosa")

    assert page.warnings == [] and page.skipped == 0
    assert len(page.items) == len(PRAVOGOLOSA) + len(PRAVOGOLOSA_SHORT) == 16
    for item, (adid, catid, title, author, day, start, end) in zip(page.items, PRAVOGOLOSA, strict=False):
        # Links are relative and resolve against the page's <base href>; the id is the link's adid.
        url = f"http://pravogolosa.net/otzyvcategory?page=show_ad&adid={adid}&catid={catid}"
        assert (item.external_id, item.url, item.title, item.author) == (adid, url, title, author)
        assert item.published_at == datetime(*day, tzinfo=UTC)  # "21.03.2018 Положительный"
        assert item.published_precision == "day"
        assert item.body.startswith(start) and item.body.endswith(end), item.body
        assert (item.rating, item.replies) == (None, None)
    # The body's own line break survives as a space (teaser text, one paragraph).
    assert "Орловской области. На сайте дурилки" in page.items[1].body
    # The one-line entries: the teaser is the link's title after "Текст отзыва::", the title the
    # link's own text after its dash (the company's name in the <span> is left out); no author.
    assert [
        (m.external_id, m.url, m.title, m.body, m.author, m.published_at, m.published_precision)
        for m in page.items[8:]
    ] == [
        (adid, f"http://pravogolosa.net/otzyvcategory?page=show_ad&adid={adid}&catid={catid}", title, body, None,
         datetime(2018, 3, 21, tzinfo=UTC), "day")
        for adid, catid, title, body in PRAVOGOLOSA_SHORT
    ]  # fmt: skip
    assert len({m.external_id for m in page.items}) == 16
    assert fill("pravogolosa", page) == {"id": 16, "title": 16, "body": 16, "author": 8, "url": 16, "published": 16}


IRECOMMEND = [
    ("ty-zh-moi-pomoshchnik", "Ты ж мой помощник!", "12kot", 5.0, "Привет всем хозяюшкам!", "сколько готовить!"),
    ("ryady-na-rustaveli-pro-plyusy-i-minusy-takzhe-o-tom-chem-tochno-stoit-sezdit-tuda-zakupitsya",
     "Ряды на Руставели. Про плюсы и минусы, а также о том, чем точно стоит съездить туда закупиться. "
     "Как купить карту лояльности дешевле. Моя авантюра :)", "°•★ Веселина ★•°", 5.0,
     '"Ряды" не так давно появились в Питере.', 'Первые мои покупки в "Рядах" были совершены еще год назад.'),
    ("apogei-chelovecheskoi-gluposti", "Апогей человеческой глупости", "CYNIC", 3.0,
     "Доброго всем времени суток!", "(который выглядел как бомж и вечно плакал)."),
    ("ozhidala-vau-poluchila-razocharovanie-eshche-odin-neudachnyi-opyt-dlitelnogo-nosheniya-linz",
     "Ожидала ВАУ, получила разочарование. Еще один неудачный опыт длительного ношения линз. И почему их все так хвалят...",
     "КристинаТрет", 3.0, "Добрый день! Я очень долгое время носила Контактные линзы Johnson & Johnson",
     "Мне они совершенно не подошли."),
    ("rabochaya-nochnaya-maska-podkhodit-dlya-regulyarnogo-primeneniya-i-dlya-osobo-bessonnykh-noc",
     "Рабочая ночная маска. Подходит для регулярного применения и для особо бессонных ночей (+перевод описания с сайта "
     'производителя. Спойлер: он не соответствует описанию из "Подружки")', "Ольви", 4.0,
     "Всем привет! Сегодня я хочу поделиться отзывом", "ничего не помогало."),
    ("dazhe-esli-sechenye-kontsy-uzhe-est-s-etim-biokompleksom-ikh-budet-nezametno",
     "Даже если сеченые концы уже есть, с этим Биокомплексом их будет незаметно!", "Оксана34", 5.0,
     "Всем привет! Я очень люблю использовать", "против сечения волос от DNC."),
    ("lekarstvo-dlya-volos-na-travakh-s-naturalnym-sostavom-vostochnyi-shampun-kotoryi-ochen-porad",
     "Лекарство для волос на травах с натуральным составом! Восточный шампунь, который очень порадовал своим эффектом, "
     "но на постоянное использование мне не сгодится...", "La_Muchacha", 4.0,
     "Всем привет! Для меня хороший шампунь - это большое дело.", "возлагается колоссальная ответственность ."),
    ("chudotvornyi-effekt-volosy-posle-raspleteniya-ne-uznat-idealnaya-pricheska-na-3-mesyatsa-fot",
     "ЧУДОТВОРНЫЙ ЭФФЕКТ! Волосы после расплетения не узнать! + Идеальная прическа на 3 месяца + ФОТО НОСКИ И РАСПЛЕТЕНИЯ",
     "Noksy", 5.0, "Добрый день, любители экспериментов", "рыжей, блондинкой, брюнеткой, шатенкой."),
]  # fmt: skip


def test_irecommend_front_page_every_review_and_field() -> None:
    page = run("irecommend")

    assert page.warnings == [] and page.skipped == 0
    assert len(page.items) == len(IRECOMMEND) == 8
    for item, (slug, title, author, rating, start, end) in zip(page.items, IRECOMMEND, strict=True):
        url = f"https://irecommend.ru/content/{slug}"
        assert (item.external_id, item.url, item.title, item.author, item.rating) == (url, url, title, author, rating)
        # The teaser's own text: its "Читать весь отзыв" link is a child element, left out.
        assert item.body.startswith(start) and item.body.endswith(end), item.body
        assert "Читать весь отзыв" not in item.body
        assert (item.published_at, item.replies) == (None, None)
    assert page.items[0].body == (
        "Привет всем хозяюшкам! Сегодня я расскажу вам о моей долгожданной покупке! Это очень классная вещь! "
        "Наконец-то на моей кухне появился коврик для теста от производителя Tescoma! Я очень люблю готовить, "
        "наверное, не сколько покушать, сколько готовить!"
    )
    assert fill("irecommend", page) == {"title": 8, "body": 8, "author": 8, "url": 8, "rating": 8}


PISSEDCONSUMER = [
    ("philadelphia-inquirer", "home-delivery-and-customer-service-are-terrible-201803191214231",
     "Philadelphia Inquirer - Home Delivery and Customer Service are Terrible", (16, 14, 21), None,
     "I subscribe to the weekend edition of the Philadelphia Inquirer in two sections (coupons on Saturday, news and "
     "features on Sunday). Yesterday (Mach 18..."),
    ("happy-satchels", "scammed-201803191214230", "Happy Satchels - Scammed", (16, 14, 20), None,
     "I ordered a chunky blanket from them in October. I did not receive the blanket until January. Long story made "
     "short .. the blanket was the wrong..."),
    ("tophatter", "unauthorised-transaction-201803191214229", "Tophatter - Unauthorised transaction", (16, 14, 8), None,
     "Bought a smartphone watch I bid 21 then found their buy now price was 17 so to try and do right I purchased for "
     "the buy now price because cheaper and..."),
    ("ondemandgear", "took-my-money-and-never-received-order-201803191214228",
     "Ondemandgear - Took my money and never received order", (16, 13, 32), None,
     "I ordered a jacket for $94.95 thru an ad on face book on December 8, 2017. Never received coat. Called the "
     "number on the order invoice they emailed..."),
    ("maaco", "very-unsatisfied-with-the-quality-of-work-uprofessionalism-201803191214227",
     "Maaco - Very unsatisfied with the quality of work & uprofessionalism", (16, 13, 7), 2.0,
     "I recently commissioned the Lancaster California Maaco Branch to paint three vehicles for our company. The "
     "first vehicle was contracted during the..."),
    ("directv", "guide-and-list-201803191214224", "Directv - Guide and List", (16, 8, 53), 1.0,
     "I got a display on my TV that says the new version of the Guide and List is permanent. After 5 people told me "
     "that they were reverting back to old..."),
    ("bojangles", "complaint-201803191214223", "Bojangles - Complaint", (16, 6, 46), 3.2,
     "My visit was fine as I ordered the new Bojangler sandwich. Was great. But the 2 cinnamon rolls were horrible. "
     "They were not cooked completely, doughy..."),
    ("diamond-warranty", "3-weeks-no-car-still-waiting-201803191214221", "Diamond Warranty - 3 weeks no car..still waiting",
     (16, 5, 2), None,
     "I purchased my 2009 Audi A4 in 2015. It had 81k miles on it when I purchased it. Coming from a family of "
     "mechanics, and being kind of a car junkie mys..."),
]  # fmt: skip


def test_pissedconsumer_latest_reviews_every_field() -> None:
    page = run("pissedconsumer")

    assert page.warnings == [] and page.skipped == 0
    expected = [
        RawMention(
            external_id=slug.rsplit("-", 1)[1],  # the number ending the link, one sequence across subdomains
            url=f"https://{host}.pissedconsumer.com/{slug}.html",
            title=title,
            body=body,
            author=None,
            # 16:14:21 New York time (EDT since 11 March) is 20:14:21 UTC.
            published_at=datetime(2018, 3, 19, hms[0] + 4, *hms[1:], tzinfo=UTC),
            rating=rating,
            replies=None,
        )
        for host, slug, title, hms, rating, body in PISSEDCONSUMER
    ]
    assert page.items == expected
    assert [m.external_id for m in page.items[:3]] == ["201803191214231", "201803191214230", "201803191214229"]
    assert page.items[0].published_at == datetime(2018, 3, 19, 20, 14, 21, tzinfo=UTC)
    # Three of eight reviews carry a rating: a field the fill watch learns as partial, not as lost.
    assert fill("pissedconsumer", page) == {"id": 8, "title": 8, "body": 8, "url": 8, "published": 8, "rating": 3}


def test_reviewcentre_front_page_every_review_and_field() -> None:
    page = run("reviewcentre")

    assert page.warnings == [] and page.skipped == 0
    assert [(m.title, m.author, m.rating) for m in page.items] == [
        ("Ryanair - www.ryanair.com", "Dorsetvoyager", 1.0),  # StarsXLarge_1-0
        ("Ihampers.co.uk Xmas Hampers", "twixset", 1.0),  # "Written by <a>twixset</a>"
        ("Sky Broadband", "sunnyhumasun", 1.0),
        ("ASOS - www.asos.com", "27329", 1.0),
        ("Grand Taps www.grandtaps.co.uk", "ArabellaBrowne245", 5.0),  # RatingStarsLarge_5-0
    ]
    assert (
        [m.url for m in page.items]
        == [m.external_id for m in page.items]
        == [
            "https://www.reviewcentre.com/Airline-Reviews/Ryanair-www-ryanair-com-review_9579062",
            "https://www.reviewcentre.com/Christmas-Hampers/Ihampers-co-uk-Xmas-Hampers-review_10930530",
            "https://www.reviewcentre.com/Broadband-Reviews/Sky-Broadband-review_11033963",
            "https://www.reviewcentre.com/Online-Clothing-and-Accessory-Shops/ASOS-www-asos-com-review_11076758",
            "https://www.reviewcentre.com/Online-Home-and-Garden-DIY-Stores/Grand-Taps-www-grandtaps-co-uk-review_11328611",
        ]
    )
    assert page.items[0].body == (
        "We travelled 6 1/2 hours by car to get to a hotel near the airport for an early morning flight to Ancona from "
        "Stansted, to receive an email from Ryana..."
    )
    assert page.items[2].body == (
        "I am very disappointed with Sky services. My WiFi is not working after two weeks of activation. Its been two "
        "mouths connection drop hundreds times in ..."
    )
    assert all(m.body.endswith("...") and "Read full review" not in m.body for m in page.items)
    assert all(m.published_at is None and m.replies is None for m in page.items)
    assert fill("reviewcentre", page) == {"title": 5, "body": 5, "author": 5, "url": 5, "rating": 5}


@pytest.mark.parametrize("name", sorted(PAGES))
def test_a_preset_fed_another_sites_page_says_its_layout_is_gone(name: str) -> None:
    """A site that changed its layout looks like another site's page: the poll must say it found nothing."""
    others = sorted(set(PAGES) - {name})
    for other in others:
        page = run(name, page=PAGES[other][0], url=PAGES[other][1])
        assert page.items == [], (name, other)
        assert [w.kind for w in page.warnings] == [PageWarning.NOTHING_MATCHED], (name, other, page.warnings)


def test_the_trustpilot_preset_on_a_page_without_reviews_names_what_it_found() -> None:
    # PissedConsumer's page has microdata (an Organization) but no JSON-LD, and no Review in either.
    page = run("trustpilot", page=PAGES["pissedconsumer"][0])
    assert page.warnings[0].text == "no schema.org Review: the page has no JSON-LD"
    html_page = run("pravogolosa", page=PAGES["trustpilot"][0])
    assert html_page.warnings[0].text == "selector 'div.ads_row, div.ad_card_info_data' matched nothing"


def test_the_sources_own_keys_override_the_preset_key_by_key() -> None:
    entry = {
        "key": "pg",
        "preset": "pravogolosa",
        "language": "uk",
        "html": {"fields": {"body": "div.text", "rating": "span.stars"}, "max_pages": 3},
    }
    merged = apply_preset(entry)
    assert merged["kind"] == "html" and merged["language"] == "uk" and merged["preset"] == "pravogolosa"
    assert merged["html"]["item"] == "div.ads_row, div.ad_card_info_data"
    assert merged["html"]["max_pages"] == 3
    fields = merged["html"]["fields"]
    assert list(fields) == ["id", "body", "title", "url", "author", "published", "rating"]
    assert (fields["body"], fields["rating"], fields["author"]) == ("div.text", "span.stars", "div.ads_authorname")
    assert fields["id"] == {"select": ["h3.adsmanager_cat a@href", "a.hasTip@href"], "url_pattern": r"[?&]adid=(\d+)"}
    # The preset itself is not changed by a merge.
    assert presets()["pravogolosa"].source["html"]["fields"]["body"]["select"] == [
        "div.ads_text_main h3 + span",
        "a.hasTip@title",
    ]
    assert apply_preset({"key": "x", "kind": "feed"}) == {"key": "x", "kind": "feed"}


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"preset": "otzovikk"}, "preset: unknown preset 'otzovikk' (known: irecommend, pissedconsumer, pravogolosa, "
         "reviewcentre, trustpilot)"),
        ({"preset": ""}, "preset: unknown preset ''"),
        ({"preset": ["trustpilot"]}, "preset: unknown preset ['trustpilot']"),
        ({"preset": "x" * 10_000}, "preset: unknown preset 'xxxxxxxx"),
        ({"preset": "../../etc/passwd"}, "preset: unknown preset '../../etc/passwd'"),
        ({"preset": "trustpilot", "kind": "html"}, "preset: 'trustpilot' is for kind 'structured', the source says kind "
         "'html' (drop `kind:` or the preset)"),
    ],
)  # fmt: skip
def test_a_preset_that_cannot_apply_is_an_error_naming_it(entry: dict[str, Any], message: str) -> None:
    with pytest.raises(PresetError) as info:
        apply_preset(entry)
    assert str(info.value).startswith(message)
    assert len(str(info.value)) < 11_000
