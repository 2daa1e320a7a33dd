"""A synthetic population for bench/match.py: people, how a CRM files them, how they sign complaints.

Six cultures (ru 40%, uk 15%, de 15%, en 12%, hy 10%, be 8%). Given names are drawn
from real lists with rough frequencies (some of them, and some pet names, are not in
monitor.customers.given_names on purpose). Family names: a few hundred real ones per culture
first, then a long tail of made-up ones (syllables + the culture's suffixes), drawn
Zipf-like (p ∝ 1/(rank+10)^1.05), so common names repeat the way Ivanov or Müller
do and most names are rare. Women get the feminine form where the language has one.

Everything is drawn from one `random.Random(seed)`: the same seed, the same people.
"""

from __future__ import annotations

import bisect
import itertools
import random
import zlib
from dataclasses import dataclass, field

import phonenumbers
from anyascii import anyascii

CULTURES = {"ru": 40, "uk": 15, "de": 15, "en": 12, "hy": 10, "be": 8}

GIVEN = {
    ("ru", "m"): "Александр:10 Сергей:8 Дмитрий:8 Андрей:7 Алексей:7 Максим:5 Евгений:5 Иван:5 Михаил:5 Артём:4 "
    "Николай:4 Владимир:4 Игорь:3 Павел:3 Роман:3 Олег:3 Денис:3 Константин:2 Виктор:2 Никита:2 Антон:2 Юрий:2 "
    "Илья:2 Кирилл:2 Вадим:1 Георгий:1 Егор:1 Григорий:1 Тимофей:1 Станислав:1 Фёдор:1 Борис:1 Леонид:1 Тимур:1 "
    "Руслан:1 Ростислав:0.5 Эдуард:0.5 Валерий:1 Анатолий:1 Геннадий:1",
    ("ru", "f"): "Елена:8 Ольга:7 Наталья:7 Татьяна:7 Ирина:6 Анна:6 Мария:5 Екатерина:5 Светлана:5 Юлия:5 "
    "Анастасия:4 Марина:4 Дарья:3 Ксения:3 Людмила:3 Галина:2 Виктория:2 Надежда:2 Валентина:2 Алина:2 Полина:2 "
    "Вера:1 Софья:1 Кристина:1 Елизавета:1 Алёна:1 Варвара:1 Лилия:1 Эльвира:0.5 Зарина:0.5",
    ("uk", "m"): "Олександр:8 Сергій:6 Андрій:6 Дмитро:5 Володимир:5 Іван:4 Микола:4 Василь:3 Юрій:3 Олег:3 "
    "Тарас:2 Богдан:2 Віталій:2 Максим:3 Ігор:2 Петро:2 Михайло:2 Роман:2 Ярослав:2 Степан:1",
    ("uk", "f"): "Олена:7 Наталія:6 Тетяна:6 Оксана:5 Ірина:5 Юлія:4 Світлана:4 Марія:4 Галина:3 Анна:3 "
    "Катерина:3 Людмила:2 Ольга:3 Вікторія:2 Софія:2 Надія:2 Валентина:2 Христина:1",
    ("be", "m"): "Аляксандр:8 Сяргей:6 Андрэй:6 Дзмітрый:5 Уладзімір:4 Іван:4 Мікалай:3 Алег:3 Павал:3 Раман:2 "
    "Віктар:2 Яўген:2 Алесь:1",
    ("be", "f"): "Вольга:6 Алена:6 Наталля:5 Тацяна:5 Ірына:5 Святлана:4 Кацярына:4 Марыя:3 Ганна:3 Юлія:3 Алеся:2",
    ("hy", "m"): "Արամ:4 Արմեն:4 Դավիթ:4 Տիգրան:3 Հայկ:3 Նարեկ:3 Գոռ:2 Կարեն:3 Ռուբեն:2 Սարգիս:2 Վարդան:2 "
    "Լևոն:2 Աշոտ:2 Արսեն:2 Գևորգ:3 Հովհաննես:2 Սամվել:2 Արթուր:2 Էդգար:1 Մհեր:1",
    ("hy", "f"): "Անի:4 Մարիամ:4 Լիլիթ:3 Անահիտ:3 Գայանե:2 Արմինե:2 Նարինե:2 Սոնա:2 Աստղիկ:1 Մերի:1 Հասմիկ:2",
    ("de", "m"): "Thomas:5 Michael:5 Andreas:5 Stefan:4 Christian:4 Markus:4 Frank:3 Jürgen:3 Peter:3 Klaus:3 "
    "Wolfgang:3 Sebastian:3 Tobias:2 Florian:2 Jan:2 Lukas:2 Alexander:3 Daniel:3 Martin:3 Uwe:2 Dirk:2 Maximilian:1",
    ("de", "f"): "Sabine:5 Petra:4 Anna:4 Julia:4 Katharina:4 Susanne:4 Stefanie:3 Claudia:3 Andrea:3 Monika:3 "
    "Laura:2 Lena:2 Sarah:2 Lisa:2 Maria:2 Ursula:2 Heike:2 Helga:1 Gabriele:2 Christina:2",
    ("en", "m"): "James:5 John:5 Robert:5 Michael:5 William:4 David:4 Richard:3 Thomas:3 Christopher:3 Daniel:3 "
    "Matthew:3 Anthony:2 Mark:2 Steven:2 Paul:2 Andrew:2 Joshua:2 Kevin:2 Brian:2 George:2 Edward:1 Samuel:1 "
    "Benjamin:1 Oliver:1 Jack:1",
    ("en", "f"): "Mary:4 Patricia:3 Jennifer:3 Linda:3 Elizabeth:3 Barbara:2 Susan:2 Jessica:2 Sarah:3 Karen:2 "
    "Nancy:2 Lisa:2 Margaret:2 Emily:2 Emma:2 Olivia:2 Sophie:1 Hannah:1 Laura:1 Rachel:1 Rebecca:1 Anna:1 Catherine:1",
}
PATRONYMIC_FROM = {"ru": "Александр Сергей Дмитрий Андрей Алексей Иван Михаил Николай Владимир Павел Виктор Юрий Петр Борис Олег Игорь Анатолий Геннадий Василий",
                   "uk": "Олександр Сергій Андрій Іван Микола Василь Петро Михайло Володимир",
                   "be": "Аляксандр Сяргей Андрэй Іван Мікалай Уладзімір Віктар"}  # fmt: skip
PET = {
    "Александр": "Саша Саня Шура", "Алексей": "Лёша", "Андрей": "Андрюша", "Дмитрий": "Дима Митя", "Евгений": "Женя",
    "Иван": "Ваня", "Михаил": "Миша", "Николай": "Коля", "Сергей": "Серёжа", "Владимир": "Вова Володя", "Павел": "Паша",
    "Константин": "Костя", "Юрий": "Юра", "Максим": "Макс", "Артём": "Тёма", "Роман": "Рома", "Виктор": "Витя",
    "Тимур": "Тима", "Руслан": "Руся", "Анна": "Аня", "Мария": "Маша", "Екатерина": "Катя", "Елена": "Лена",
    "Наталья": "Наташа", "Ольга": "Оля", "Татьяна": "Таня", "Юлия": "Юля", "Анастасия": "Настя", "Дарья": "Даша",
    "Ксения": "Ксюша", "Светлана": "Света", "Ирина": "Ира", "Людмила": "Люда", "Галина": "Галя", "Надежда": "Надя",
    "Виктория": "Вика", "Алина": "Аля", "Полина": "Поля", "Олександр": "Сашко", "Дмитро": "Дима", "Олена": "Лена",
    "William": "Bill Will", "Robert": "Bob Rob", "Richard": "Rick", "James": "Jim", "Michael": "Mike",
    "Christopher": "Chris", "Elizabeth": "Liz Beth", "Margaret": "Maggie", "Katharina": "Katja", "Stefanie": "Steffi",
    "Gabriele": "Gabi", "Susanne": "Susi", "Andreas": "Andi", "Christian": "Chris", "Thomas": "Tom", "Edward": "Ed",
    "Հովհաննես": "Hovo", "Daniel": "Dan", "Samuel": "Sam", "Jennifer": "Jenny", "Patricia": "Pat",
}  # fmt: skip
FAMILY = {
    "ru": "Иванов Смирнов Кузнецов Попов Васильев Петров Соколов Михайлов Новиков Фёдоров Морозов Волков Алексеев "
    "Лебедев Семёнов Егоров Павлов Козлов Степанов Николаев Орлов Андреев Макаров Никитин Захаров Зайцев Соловьёв "
    "Борисов Яковлев Григорьев Романов Воробьёв Сергеев Кузьмин Фролов Александров Дмитриев Королёв Гусев Киселёв "
    "Ильин Максимов Поляков Сорокин Виноградов Ковалёв Белов Медведев Антонов Тарасов Жуков Баранов Филиппов Комаров "
    "Давыдов Беляев Герасимов Богданов Осипов Сидоров Матвеев Титов Марков Миронов Крылов Куликов Карпов Власов "
    "Мельников Денисов Гаврилов Тихонов Казаков Афанасьев Данилов Савельев Тимофеев Фомин Чернов Абрамов Мартынов "
    "Ефимов Федотов Щербаков Назаров Калинин Исаев Чернышёв Быков Маслов Родионов Коновалов Лазарев Воронин Климов "
    "Филатов Пономарёв Голубев Кудрявцев Прохоров Наумов Потапов Журавлёв Овчинников Трофимов Леонов Соболев "
    "Ермаков Колесников Гончаров Емельянов Никифоров Грачёв Котов Гришин Ефремов Архипов Громов Кириллов Малышев "
    "Панов Моисеев Румянцев Акимов Кондратьев Бирюков Горбунов Анисимов Ерёмин Тихомиров Галкин Лукьянов Михеев "
    "Скворцов Юдин Белоусов Нестеров Симонов Прокофьев Харитонов Князев Цветков Левин Покровский Щукин Шубин",
    "uk": "Шевченко Бондаренко Коваленко Ткаченко Кравченко Олійник Шевчук Поліщук Бойко Мельник Коваль Лисенко "
    "Марченко Руденко Савченко Петренко Клименко Павленко Кузьменко Мороз Гончаренко Левченко Харченко Пономаренко "
    "Романенко Кравчук Ткачук Мартинюк Савчук Іваненко Литвиненко Онищенко Мазур Гнатюк Демченко Антоненко "
    "Федоренко Власенко Карпенко Яковенко Тарасенко Зінченко Дяченко Семенко Мельниченко Гриценко Костенко",
    "be": "Іваноў Кавалёў Навіцкі Шаўчук Мельнік Ткачук Кавалеўскі Жук Бондар Лукашэвіч Новік Карповіч Шыманскі "
    "Козел Бабіч Міхайлаў Макарэвіч Васілеўскі Жукоўскі Кляцкоў Сідарэнка Грыневіч Мароз Кулік Навумовіч",
    "hy": "Պետրոսյան Հակոբյան Սարգսյան Հարությունյան Գրիգորյան Հովսեփյան Կարապետյան Գևորգյան Վարդանյան "
    "Մկրտչյան Պողոսյան Մարտիրոսյան Խաչատրյան Ավետիսյան Ստեփանյան Մանուկյան Բաղդասարյան Սիմոնյան Աղաջանյան "
    "Ղազարյան Մովսիսյան Սահակյան Դավթյան Հովհաննիսյան Ասատրյան Մելքոնյան Բաբայան Ներսիսյան Զաքարյան Թադևոսյան",
    "de": "Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Schäfer Koch Bauer Richter "
    "Klein Wolf Schröder Neumann Schwarz Zimmermann Braun Krüger Hofmann Hartmann Lange Schmitt Werner Schmitz "
    "Krause Meier Lehmann Schmid Schulze Maier Köhler Herrmann König Walter Mayer Huber Kaiser Fuchs Peters Lang "
    "Scholz Möller Weiß Jung Hahn Schubert Vogel Friedrich Keller Günther Frank Berger Winkler Roth Beck Lorenz "
    "Baumann Franke Albrecht Schuster Simon Ludwig Böhm Winter Kraus Schumacher Krämer Vogt Stein Jäger Otto",
    "en": "Smith Johnson Williams Brown Jones Miller Davis Wilson Anderson Taylor Thomas Moore Martin Jackson "
    "Thompson White Harris Clark Lewis Robinson Walker Young Allen King Wright Scott Hill Green Adams Baker Nelson "
    "Carter Mitchell Roberts Turner Phillips Campbell Parker Evans Edwards Collins Stewart Morris Murphy Cook Rogers "
    "Morgan Cooper Peterson Reed Bailey Bell Kelly Howard Ward Cox Richardson Wood Watson Brooks Bennett Gray Hughes",
}
SYLLABLES = {
    "ru": ("Бел Вар Гор Дуб Жар Зим Кар Лис Мал Нос Пар Рад Сав Тур Хол Чер Шум Бор Вол Гал Дор Ков Лук Мор Ник Рус "
           "Сол Тар Фил Щег Бур Вер Гр Кр Пр Ст Тр Бр Др Зв Кл Пл Сл Шв", "а о е и у я ё ы", "ов ев ин ский цев ёв ых ников ёнок"),
    "uk": ("Бон Ков Ткач Крав Мельн Лис Руд Сав Клим Пав Гонч Лев Харч Ром Гнат Дем Костен Вас Гриц Сем Бур Гр Кр Ст",
           "а о е и у я є і", "енко ук чук ський ко ишин ець"),
    "be": ("Бял Віш Гар Дуб Жур Зал Кал Лаз Мак Нав Пар Рад Сав Тур Хал Шыр Кр Гр Ст Пл",
           "а о э і у я ё ы", "ёнак ка скі віч ук эня"),
    "hy": ("Պետ Հակ Սարգ Գևորգ Մկրտ Պող Մարտ Խաչ Ավետ Ստեփ Մանուկ Բաղդ Սիմ Ղազ Մովս Սահակ Դավթ Ասատ Մելք Ներս Զաք",
           "ա ո ե ի ու", "յան յան յան ունց"),
    "de": ("Bach Berg Brun Feld Gart Hol Kess Lind Mohr Rein Stahl Wal Ebb Fried Gold Horn Kling Lau Sonn Wies Zell",
           "e i a o u", "mann er ler ner hoff berg feld brecht inger hardt"),
    "en": ("Ash Brad Carl Dun Ford Hal Kem Mor Pem Rad Sher Wes Ald Birch Colt Dray Fair Gil Hart Lang Mar Pres",
           "a e i o", "ton ley son field wood er ham well by more"),
}  # fmt: skip
FEMININE = (("ов", "ова"), ("ев", "ева"), ("ёв", "ёва"), ("ин", "ина"), ("ский", "ская"), ("цкий", "цкая"),
            ("ський", "ська"), ("оў", "ова"), ("ёў", "ёва"), ("аў", "ава"), ("скі", "ская"), ("цкі", "цкая"))  # fmt: skip
PATRONYMIC = {"m": (("ий", "ьевич"), ("ей", "еевич"), ("ь", "евич"), ("", "ович")),
              "f": (("ий", "ьевна"), ("ей", "еевна"), ("ь", "евна"), ("", "овна"))}  # fmt: skip
CITIES = {
    "ru": "Москва:30 Санкт-Петербург:15 Новосибирск:4 Екатеринбург:4 Казань:4 Самара:3 Омск:3 Челябинск:3 "
    "Ростов-на-Дону:3 Уфа:3 Воронеж:3 Пермь:3 Краснодар:3 Тверь:2 Ярославль:2 Тула:2",
    "uk": "Київ:30 Харків:12 Одеса:10 Дніпро:10 Львів:10 Запоріжжя:6 Вінниця:4 Полтава:4 Чернігів:3",
    "be": "Мінск:40 Гомель:12 Магілёў:10 Віцебск:10 Гродна:10 Брэст:10",
    "hy": "Երևան:60 Գյումրի:15 Վանաձոր:10 Աբովյան:5 Էջմիածին:5",
    "de": "Berlin:25 Hamburg:12 München:12 Köln:10 Frankfurt:8 Stuttgart:7 Düsseldorf:6 Leipzig:5 Dresden:5",
    "en": "London:30 Manchester:10 Birmingham:10 Leeds:6 Glasgow:6 Liverpool:6 Bristol:5 Dublin:5 Edinburgh:5",
}
PHONE = {"ru": ("+7", ["9" + f"{i:02d}" for i in range(0, 100, 3)], 7), "uk": ("+380", ["50", "63", "66", "67", "68", "73", "93", "95", "96", "97", "98", "99"], 7),
         "be": ("+375", ["29", "33", "44"], 7), "hy": ("+374", ["91", "93", "94", "95", "96", "77", "55", "99", "98", "41", "43", "44", "49"], 6),
         "de": ("+49", ["170", "171", "172", "175", "176", "177", "178", "179"], 7), "en": ("+44", ["7400", "7500", "7700", "7800", "7900", "7911", "7950"], 6)}  # fmt: skip
MAIL = ("mail.example", "inbox.example", "post.example", "web.example", "gmx.example", "yandex.example")


def _weighted(spec: str) -> tuple[list[str], list[float]]:
    items = [part.rsplit(":", 1) for part in spec.split()]
    return [name for name, _ in items], [float(w) for _, w in items]


class Picker:
    """Draws from a weighted list in O(log n) (bisect on cumulative weights)."""

    def __init__(self, items: list[str], weights: list[float]) -> None:
        self.items, self.cum = items, list(itertools.accumulate(weights))

    def __call__(self, rng: random.Random) -> str:
        return self.items[bisect.bisect(self.cum, rng.random() * self.cum[-1])]


@dataclass
class Person:
    culture: str
    gender: str
    given: str
    family: str
    patronymic: str | None
    city: str | None
    phones: list[str] = field(default_factory=list)  # E.164
    emails: list[str] = field(default_factory=list)
    orders: list[str] = field(default_factory=list)
    handle: str | None = None
    family_base: str = ""  # the masculine form, shared by a household


class Population:
    """Draws people; `surnames` per culture scales with the register so common names repeat realistically."""

    def __init__(self, rng: random.Random, size: int) -> None:
        self.rng = rng
        self.culture = Picker(list(CULTURES), [float(v) for v in CULTURES.values()])
        self.given = {key: Picker(*_weighted(spec)) for key, spec in GIVEN.items()}
        self.city = {c: Picker(*_weighted(spec)) for c, spec in CITIES.items()}
        self.family = {}
        for culture, real in FAMILY.items():
            names = real.split()
            share = CULTURES[culture] / 100
            names += self._made_up(culture, max(2000, int(size * share * 0.25)), set(names))
            self.family[culture] = Picker(names, [1 / (r + 10) ** 1.05 for r in range(len(names))])
        self.serial = itertools.count(1)
        self.used_phones: set[str] = set()
        self.used_orders: set[str] = set()

    def _made_up(self, culture: str, n: int, taken: set[str]) -> list[str]:
        roots, vowels, ends = (part.split() for part in SYLLABLES[culture])
        out: list[str] = []
        rng = random.Random(zlib.crc32(culture.encode()))  # str hash() differs between runs
        while len(out) < n:
            # Two syllables, or three: enough different names for a million people.
            middle = rng.choice(vowels) + rng.choice(roots).lower()
            if rng.random() < 0.5:
                middle += rng.choice(vowels) + rng.choice(roots).lower()
            name = rng.choice(roots) + middle + rng.choice(ends)
            if name not in taken:
                taken.add(name)
                out.append(name[0].upper() + name[1:])
        return out

    def person(self, *, family: str | None = None, culture: str | None = None, city: str | None = None) -> Person:
        rng = self.rng
        culture = culture or self.culture(rng)
        gender = rng.choice("mf")
        base = family or self.family[culture](rng)
        surname = feminine(base) if gender == "f" else base
        patronymic = None
        if culture in PATRONYMIC_FROM:
            father = rng.choice(PATRONYMIC_FROM[culture].split())
            patronymic = next(
                father[: -len(e)] + p if e else father + p for e, p in PATRONYMIC[gender] if father.endswith(e)
            )
        p = Person(culture, gender, self.given[(culture, gender)](rng), surname, patronymic,
                   city or (self.city[culture](rng) if rng.random() < 0.85 else None))  # fmt: skip
        p.family_base = base
        n = next(self.serial)
        if rng.random() < 0.75:
            p.phones.append(self.phone(culture))
        if rng.random() < 0.65:
            local = f"{latin(p.given, rng)[:1]}.{latin(p.family, rng)}{n % 1000}".lower().replace("'", "")
            p.emails.append(f"{local}@{rng.choice(MAIL)}")
        p.orders = [self.order() for _ in range(rng.choice((0, 1, 1, 2, 2, 3, 4)))]
        if rng.random() < 0.08:
            p.handle = handle(p, rng)
        return p

    def order(self) -> str:
        """A new order number: the brand's numbers are unique, as a shop's are."""
        while True:
            number = f"{self.rng.randrange(1000, 10000)}-{self.rng.randrange(1000):03d}"
            if number not in self.used_orders:
                self.used_orders.add(number)
                return number

    def phone(self, culture: str) -> str:
        code, prefixes, digits = PHONE[culture]
        while True:
            number = code + self.rng.choice(prefixes) + "".join(str(self.rng.randrange(10)) for _ in range(digits))
            if number not in self.used_phones and phonenumbers.is_valid_number(phonenumbers.parse(number)):
                self.used_phones.add(number)
                return number


def feminine(family: str) -> str:
    for masculine, fem in FEMININE:
        if family.endswith(masculine):
            return family[: -len(masculine)] + fem
    return family


# Latin spellings of Cyrillic, per scheme: a passport (ICAO-like), a German-style and an English-style writer.
_SCHEMES = [
    {"ж": "zh", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ю": "iu", "я": "ia", "й": "i", "ё": "e", "ы": "y", "е": "e", "є": "ie", "ї": "i", "ў": "u"},
    {"ж": "sh", "х": "ch", "ц": "z", "ч": "tsch", "ш": "sch", "щ": "schtsch", "ю": "ju", "я": "ja", "й": "j", "ё": "jo", "ы": "y", "е": "e", "є": "je", "ї": "ji", "ў": "w"},
    {"ж": "zh", "х": "h", "ц": "tz", "ч": "ch", "ш": "sh", "щ": "sch", "ю": "yu", "я": "ya", "й": "y", "ё": "yo", "ы": "i", "е": "e", "є": "ye", "ї": "yi", "ў": "u"},
]  # fmt: skip


def latin(name: str, rng: random.Random) -> str:
    """A Latin spelling someone might use: anyascii, or one of the schemes above; German umlauts both ways."""
    if not any("\u0400" <= ch <= "\u04ff" for ch in name):
        out = anyascii(name)
        if any(ch in name for ch in "äöüÄÖÜ") and rng.random() < 0.5:
            out = name.replace("ü", "ue").replace("ö", "oe").replace("ä", "ae").replace("Ü", "Ue").replace("ß", "ss")
        return out.replace("'", "")
    if rng.random() < 0.4:
        return anyascii(name).replace("'", "")
    scheme = rng.choice(_SCHEMES)
    out = []
    for ch in name:
        low = ch.lower()
        rep = scheme.get(low)
        rep = anyascii(ch) if rep is None else rep
        out.append(rep.capitalize() if ch.isupper() else rep)
    return "".join(out).replace("'", "").replace("ʹ", "")


_KEYBOARD_NEAR = "qwertyuiopasdfghjklzxcvbnmйцукенгшщзхфывапролджэячсмитьбю"


def typo(word: str, rng: random.Random) -> str:
    """One slip of the keyboard: a letter dropped, doubled, swapped with the next, or replaced."""
    if len(word) < 4:
        return word
    i = rng.randrange(1, len(word) - 1)
    op = rng.randrange(4)
    if op == 0:
        return word[:i] + word[i + 1 :]
    if op == 1:
        return word[:i] + word[i] + word[i:]
    if op == 2:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    return word[:i] + rng.choice(_KEYBOARD_NEAR) + word[i + 1 :]


def handle(p: Person, rng: random.Random) -> str:
    g, f = latin(p.given, rng).lower(), latin(p.family, rng).lower()
    return rng.choice((f"{g}.{f}", f"{g}_{f}{rng.randrange(100)}", f"{g[:1]}{f}", f"{f}{rng.randrange(60, 99)}",
                       f"{g}{f}", f"{g[:1]}.{f}", f"{g}{rng.randrange(1000)}"))  # fmt: skip


NICKNAMES = ["bargainhunter", "pixelpusher", "throwaway_laptop", "mama_troih", "novostroyka_2023", "hozyaika_72", "admin_petrovich", "expat_dave", "kotik_88", "sunny_day", "angry_buyer", "user2024", "shopaholic", "dacha_life", "gamer_pro", "night_owl"]  # fmt: skip
