"""The languages bench/dedupe_pairs.py writes complaints in (ru, uk, be, hy, de, en): per language,
complaint templates with slots, slot pools, and the material the edits use (added sentences,
signatures, titles, short complaints)."""

from __future__ import annotations

__all__ = ["EMOJI", "LANGS"]

# Per language: complaint templates with slots, slot pools, and the material edits use.
# fmt: off
LANGS: dict[str, dict] = {
    "ru": {
        "templates": [
            "Заказал {product} в Акме {date}, номер заказа {order}. Прошло уже {days} дней, а доставки так и нет. "
            "Поддержка отвечает шаблонами. Прошу вернуть {amount} руб.",
            "{date} купил в магазине Акме {product} за {amount} ₽ (заказ {order}). Через неделю он сломался, "
            "в гарантийном ремонте отказали. Требую вернуть деньги.",
            "Претензия. {date} мною в магазине Акме был приобретён товар: {product}, стоимостью {amount} руб., "
            "заказ № {order}. В процессе эксплуатации выявлен недостаток: товар перестал работать. В соответствии "
            "со ст. 18 Закона РФ «О защите прав потребителей» прошу расторгнуть договор купли-продажи и вернуть "
            "уплаченную сумму в течение 10 дней.",
        ],
        "product": ["холодильник", "телевизор", "пылесос", "ноутбук", "электрочайник", "смартфон", "кондиционер"],
        "months": "января февраля марта апреля мая июня июля августа сентября октября ноября декабря",
        "date": "{d} {m}",
        "order": "{a4}-{a3}",
        "added": [
            "Жду ответа уже неделю.",
            "Это просто безобразие!",
            "UPD: до сих пор никто не связался.",
            "Больше ничего у вас покупать не буду.",
            "Прошу отнестись к моей жалобе серьёзно.",
        ],
        "closing": ["С уважением, {first}", "{first} {last}", "{first} {last}, +7 9{p2} {p3}-{p2}-{p2}", "{first}"],
        "first": ["Ольга", "Дмитрий", "Светлана", "Игорь", "Марина", "Алексей"],
        "last": ["Кузнецова", "Петров", "Смирнова", "Волков", "Орлова", "Соколов"],
        "titles": ["Жалоба на Акме", "Ужасный сервис", "Верните деньги", "Не доставили заказ"],
        "short": [
            "Акме, где мой заказ? Жду уже неделю.",
            "Верните деньги, Акме, сколько можно ждать!",
            "Поддержка Акме не отвечает третий день.",
        ],
    },
    "uk": {
        "templates": [
            "Замовив {product} в Акме {date}, номер замовлення {order}. Минуло вже {days} днів, а доставки досі "
            "немає. Підтримка відповідає шаблонами. Прошу повернути {amount} грн.",
            "{date} купив у магазині Акме {product} за {amount} грн (замовлення {order}). Через тиждень він "
            "зламався, у гарантійному ремонті відмовили. Вимагаю повернути гроші.",
            "Претензія. {date} я придбав у магазині Акме товар: {product}, вартістю {amount} грн, замовлення "
            "№ {order}. Під час експлуатації виявлено недолік: товар перестав працювати. Відповідно до Закону "
            "України «Про захист прав споживачів» прошу повернути сплачені кошти протягом 14 днів.",
        ],
        "product": ["холодильник", "телевізор", "пилосос", "ноутбук", "чайник", "смартфон", "кондиціонер"],
        "months": "січня лютого березня квітня травня червня липня серпня вересня жовтня листопада грудня",
        "date": "{d} {m}",
        "order": "{a4}-{a3}",
        "added": [
            "Чекаю на відповідь уже тиждень.",
            "Це просто неподобство!",
            "UPD: досі ніхто не зв'язався.",
            "Більше нічого у вас не купуватиму.",
        ],
        "closing": ["З повагою, {first}", "{first} {last}", "{first} {last}, +380 67 {p3} {p2} {p2}"],
        "first": ["Олександр", "Тарас", "Оксана", "Наталія"],
        "last": ["Бондаренко", "Мельник", "Шевченко", "Коваль"],
        "titles": ["Скарга на Акме", "Жахливий сервіс", "Поверніть гроші"],
        "short": ["Акме, де моє замовлення? Чекаю вже тиждень.", "Підтримка Акме не відповідає третій день."],
    },
    "be": {
        "templates": [
            "Замовіў {product} у Акмэ {date}, нумар заказа {order}. Прайшло ўжо {days} дзён, а дастаўкі так і "
            "няма. Падтрымка адказвае шаблонамі. Прашу вярнуць {amount} руб.",
            "{date} купіў у краме Акмэ {product} за {amount} руб. (заказ {order}). Праз тыдзень ён зламаўся, "
            "у гарантыйным рамонце адмовілі. Патрабую вярнуць грошы.",
        ],
        "product": ["халадзільнік", "тэлевізар", "пыласос", "ноўтбук", "чайнік", "смартфон", "кандыцыянер"],
        "months": "студзеня лютага сакавіка красавіка мая чэрвеня ліпеня жніўня верасня кастрычніка лістапада снежня",
        "date": "{d} {m}",
        "order": "{a4}-{a3}",
        "added": ["Чакаю адказу ўжо тыдзень.", "Гэта проста ганьба!", "UPD: дагэтуль ніхто не звязаўся."],
        "closing": ["З павагай, {first}", "{first} {last}", "{first} {last}, +375 29 {p3}-{p2}-{p2}"],
        "first": ["Алеся", "Андрэй", "Сяргей", "Вольга"],
        "last": ["Каваленка", "Бародка", "Жук", "Лукашэвіч"],
        "titles": ["Скарга на Акмэ", "Жудасны сэрвіс", "Вярніце грошы"],
        "short": ["Акмэ, дзе мой заказ? Чакаю ўжо тыдзень.", "Падтрымка Акмэ не адказвае трэці дзень."],
    },
    "hy": {
        "templates": [
            "Ակմե խանութից {date} պատվիրեցի {product}, պատվերի համարը՝ {order}։ Արդեն {days} օր է անցել, բայց "
            "առաքում չկա։ Աջակցման ծառայությունը պատասխանում է ձևանմուշային նամակներով։ Խնդրում եմ վերադարձնել "
            "{amount} դրամը։",
            "{date} Ակմե խանութից գնեցի {product} {amount} դրամով (պատվեր {order})։ Մեկ շաբաթ անց այն "
            "փչացավ, երաշխիքային վերանորոգումից հրաժարվեցին։ Պահանջում եմ վերադարձնել գումարը։",
        ],
        "product": ["սառնարան", "հեռուստացույց", "փոշեկուլ", "նոթբուք", "թեյնիկ", "սմարթֆոն", "օդորակիչ"],
        "months": "հունվարի փետրվարի մարտի ապրիլի մայիսի հունիսի հուլիսի օգոստոսի սեպտեմբերի հոկտեմբերի "
        "նոյեմբերի դեկտեմբերի",
        "date": "{m} {d}-ին",
        "order": "{a4}-{a3}",
        "added": [
            "Արդեն մեկ շաբաթ սպասում եմ պատասխանի։",
            "Սա պարզապես անընդունելի է։",
            "Թարմացում՝ դեռ ոչ ոք չի կապվել ինձ հետ։",
        ],
        "closing": ["Հարգանքով՝ {first}", "{first} {last}", "{first} {last}, +374 91 {p3}{p3}"],
        "first": ["Արամ", "Անի", "Մարիամ", "Նարեկ"],
        "last": ["Պետրոսյան", "Հակոբյան", "Սարգսյան", "Գրիգորյան"],
        "titles": ["Բողոք Ակմեի մասին", "Սարսափելի սպասարկում", "Վերադարձրեք գումարը"],
        "short": [
            "Ակմե, որտե՞ղ է իմ պատվերը։ Մեկ շաբաթ է սպասում եմ։",
            "Ակմեի աջակցման ծառայությունը երեք օր է չի պատասխանում։",
        ],
    },
    "de": {
        "templates": [
            "Ich habe am {date} bei Acme {product} bestellt (Bestellnummer {order}). Seit {days} Tagen warte ich "
            "auf die Lieferung, der Kundenservice antwortet nur mit Textbausteinen. Ich verlange die Rückzahlung "
            "von {amount} €.",
            "Am {date} habe ich bei Acme {product} für {amount} € gekauft (Bestellung {order}). Nach einer Woche "
            "war das Gerät defekt, die Garantiereparatur wurde abgelehnt. Ich fordere mein Geld zurück.",
            "Reklamation. Am {date} habe ich bei Acme {product} zum Preis von {amount} € gekauft, Bestellnummer "
            "{order}. Das Gerät weist einen Mangel auf: Es funktioniert nicht mehr. Gemäß § 437 BGB fordere ich "
            "Sie auf, den Kaufpreis innerhalb von 14 Tagen zu erstatten. Andernfalls werde ich die "
            "Verbraucherzentrale einschalten.",
        ],
        "product": [
            "einen Kühlschrank",
            "einen Fernseher",
            "einen Staubsauger",
            "einen Laptop",
            "einen Wasserkocher",
            "ein Smartphone",
            "eine Waschmaschine",
            "einen Geschirrspüler",
        ],
        "months": "Januar Februar März April Mai Juni Juli August September Oktober November Dezember",
        "date": "{d}. {m}",
        "order": "AC-{a5}",
        "added": [
            "Ich warte seit einer Woche auf eine Antwort.",
            "Das ist eine Frechheit!",
            "Update: Bis heute hat sich niemand gemeldet.",
            "Ich kaufe dort nie wieder.",
        ],
        "closing": [
            "Mit freundlichen Grüßen\n{first} {last}",
            "Viele Grüße, {first}",
            "{first} {last}",
            "{first} {last}, +49 170 {p3}{p2}{p2}",
        ],
        "first": ["Jürgen", "Sabine", "Markus", "Anna"],
        "last": ["Becker", "Hoffmann", "Schulz", "Wagner"],
        "titles": ["Beschwerde über Acme", "Katastrophaler Service", "Geld zurück!"],
        "short": [
            "Acme, wo bleibt meine Bestellung? Ich warte seit einer Woche.",
            "Der Kundenservice von Acme antwortet seit drei Tagen nicht.",
        ],
    },
    "en": {
        "templates": [
            "I ordered {product} from Acme on {date} (order {order}). It has been {days} days and it still has "
            "not arrived. Support keeps sending me template replies. I want my ${amount} back.",
            "On {date} I bought {product} at the Acme store for ${amount} (order {order}). A week later it broke "
            "and they refused the warranty repair. I demand a refund.",
            "Formal complaint. On {date} I purchased {product} from Acme, order number {order}, for ${amount}. "
            "The product developed a fault: it stopped working. Under the Consumer Rights Act I request a full "
            "refund within 14 days. If I do not receive a response, I will escalate this complaint to the "
            "consumer protection authority.",
        ],
        "product": [
            "a fridge",
            "a TV",
            "a vacuum cleaner",
            "a laptop",
            "a kettle",
            "a smartphone",
            "a washing machine",
            "a dishwasher",
        ],
        "months": "January February March April May June July August September October November December",
        "date": "{m} {d}",
        "order": "AC-{a5}",
        "added": [
            "I have been waiting for an answer for a week.",
            "This is outrageous!",
            "Update: still no one has contacted me.",
            "Never buying from them again.",
        ],
        "closing": [
            "Regards,\n{first}",
            "{first} {last}",
            "Best regards, {first} {last}",
            "-- {first}",
            "{first} {last}, (555) {p3}-{p2}{p2}",
        ],
        "first": ["Tom", "Laura", "Mike", "Hannah"],
        "last": ["Whitfield", "Chen", "Donnelly", "Grant"],
        "titles": ["Complaint about Acme", "Terrible service", "Refund please"],
        "short": [
            "Acme, where is my order? I have been waiting for a week.",
            "Acme support has not answered for three days.",
        ],
    },
}
EMOJI = ["😡", "🤬", "😤", "👎", "🙏", "😢", "‼️", "👍🏻", "🇷🇺"]
# fmt: on
