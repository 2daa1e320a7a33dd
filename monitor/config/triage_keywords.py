"""The shipped triage keywords: word beginnings per category and signal, for ru, uk, be, hy, de and en.

Each entry matches at the start of a word, so a stem covers its inflected forms
(«доставк» finds «доставка», «доставки», «доставкой»); an entry that starts with
"=" matches only the whole word, for short words whose stem begins other words
(«=суд» must not find «судя», "=fire" not "firefox"). sources.yaml adds to these
lists (triage.categories / triage.signals); it never has to repeat them.
"""

from __future__ import annotations

__all__ = ["CATEGORIES", "SIGNALS"]

# fmt: off

# In this order: on a tie the earlier category wins (a late, broken parcel is a delivery complaint first).
CATEGORIES: dict[str, dict[str, list[str]]] = {
    "delivery": {
        "ru": ["доставк", "доставил", "доставят", "курьер", "посылк", "заказ не пришел", "не привезл", "привезли",
               "трек", "отслежив", "сроки доставки", "не получил", "пункт выдачи", "самовывоз"],
        "uk": ["доставк", "доставил", "кур'єр", "курʼєр", "посилк", "не отримав", "не привезл", "нова пошта",
               "відстеж", "пункт видачі"],
        "be": ["дастаўк", "дастаўля", "кур'ер", "пасылк", "не атрымаў", "не прывезл", "пункт выдачы"],
        "hy": ["առաքում", "առաքիչ", "առաքել", "ծանրոց", "չեմ ստացել", "չստացա", "չեն բերել"],
        "de": ["lieferung", "geliefert", "liefer", "zustell", "paket", "versand", "sendung", "kurier", "nicht angekommen",
               "nicht erhalten", "sendungsverfolgung"],
        "en": ["deliver", "shipping", "shipment", "shipped", "courier", "parcel", "package", "tracking",
               "never arrived", "not arrived", "not received", "never received"],
    },
    "defect": {
        "ru": ["брак", "сломал", "слома", "не работает", "перестал работать", "дефект", "трещин", "порван",
               "неисправ", "качеств", "задымил", "сгорел", "протекает", "испорчен", "просрочен"],
        "uk": ["брак", "злама", "не працює", "перестав працювати", "дефект", "тріщин", "несправн", "якіст",
               "зіпсован", "прострочен"],
        "be": ["брак", "зламал", "не працуе", "перастаў працаваць", "дэфект", "трэшчын", "няспраўн", "якасц",
               "сапсаван"],
        "hy": ["փչացած", "կոտրված", "չի աշխատում", "թերություն", "որակ", "անսարք"],
        "de": ["defekt", "kaputt", "funktioniert nicht", "beschädigt", "mangel", "qualität", "gebrochen", "riss",
               "verdorben", "abgelaufen"],
        "en": ["defect", "broken", "broke", "doesn't work", "does not work", "stopped working", "faulty", "quality",
               "cracked", "damaged", "spoiled", "expired"],
    },
    "refund": {
        "ru": ["возврат", "вернуть деньги", "верните деньги", "верните", "вернуть товар", "возместит", "компенсац",
               "обмен", "обменять", "деньги не вернули"],
        "uk": ["повернен", "повернути гроші", "поверніть", "компенсац", "обмін", "обміня"],
        "be": ["вяртанн", "вярнуць грошы", "вярніце", "кампенсац", "абмен"],
        "hy": ["վերադարձ", "վերադարձնել", "փոխհատուցում", "փոխանակ"],
        "de": ["rückerstatt", "erstatt", "geld zurück", "rücksend", "rückgabe", "umtausch", "widerruf", "gutschrift"],
        "en": ["refund", "money back", "return", "exchange", "reimburse", "compensation", "chargeback"],
    },
    "staff": {
        "ru": ["хам", "груб", "нагруб", "оператор", "сотрудник", "продавец", "продавщиц", "менеджер", "консультант",
               "кассир", "поддержк", "не отвечают", "бросают трубку", "игнорир"],
        "uk": ["хам", "груб", "нагруб", "оператор", "співробітн", "продавец", "продавчин", "менеджер", "консультант",
               "касир", "підтримк", "не відповідають", "ігнору"],
        "be": ["хам", "груб", "аператар", "супрацоўн", "прадавец", "прадаўшчыц", "менеджар", "кансультант",
               "касір", "падтрымк", "не адказваюць", "ігнару"],
        "hy": ["կոպիտ", "աշխատակից", "վաճառող", "մենեջեր", "օպերատոր", "չեն պատասխանում", "անտեսում"],
        "de": ["unfreundlich", "unhöflich", "frech", "mitarbeiter", "verkäufer", "kundenservice", "kundendienst",
               "hotline", "support", "ignorier", "keine antwort"],
        "en": ["rude", "impolite", "staff", "employee", "agent", "cashier", "customer service", "support",
               "no answer", "ignored", "ignoring", "hung up"],
    },
    "billing": {
        "ru": ["списал", "списани", "двойн", "дважды", "оплат", "=счет", "=счёт", "счета", "=карта", "картой", "карту", "карты", "карте", "деньги сняли", "переплат",
               "чек", "цена", "ценник", "обсчитал"],
        "uk": ["списал", "списанн", "двічі", "оплат", "рахун", "картк", "переплат", "чек", "ціна", "цінник"],
        "be": ["спісал", "спісанн", "двойчы", "аплат", "рахун", "картк", "пераплат", "чэк", "кошт", "цэннік"],
        "hy": ["վճար", "հաշիվ", "քարտ", "գանձել", "երկու անգամ", "գին"],
        "de": ["abgebucht", "abbuchung", "doppelt", "zahlung", "bezahl", "rechnung", "karte", "preis", "berechnet",
               "lastschrift"],
        "en": ["charged", "=charge", "twice", "double", "payment", "paid", "invoice", "bill", "card", "price",
               "overcharged"],
    },
    "website": {
        "ru": ["сайт", "приложени", "личный кабинет", "личном кабинете", "ошибк", "не могу войти", "пароль",
               "корзин", "промокод", "страниц"],
        "uk": ["сайт", "застосун", "додаток", "особистий кабінет", "помилк", "не можу увійти", "пароль", "кошик",
               "промокод", "сторінк"],
        "be": ["сайт", "дадатак", "праграм", "асабісты кабінет", "памылк", "не магу ўвайсці", "пароль", "кошык",
               "старонк"],
        "hy": ["կայք", "հավելված", "սխալ", "գաղտնաբառ", "զամբյուղ", "էջ"],
        "de": ["webseite", "website", "=app", "online-shop", "onlineshop", "fehlermeldung", "login", "anmeld",
               "passwort", "warenkorb", "gutscheincode"],
        "en": ["website", "=site", "=app", "login", "log in", "sign in", "password", "checkout", "=cart", "error",
               "promo code", "=page", "=pages"],
    },
}

# Severity signals found in the text. Each hit raises the priority (see monitor.cases.triage).
SIGNALS: dict[str, dict[str, list[str]]] = {
    # Consumer-rights law, courts, lawyers, regulators.
    "legal": {
        "ru": ["=суд", "в суд", "суде", "судом", "судебн", "=иск", "иском", "исков", "юрист", "адвокат", "прокуратур", "роспотребнадзор", "защите прав потребителей",
               "зозпп", "претензи", "полици", "жалобу в"],
        "uk": ["=суд", "до суду", "судом", "судов", "позов", "юрист", "адвокат", "прокуратур", "держпродспоживслужб", "захист прав споживачів",
               "претензі", "поліці"],
        "be": ["=суд", "у суд", "судом", "судов", "пазоў", "юрыст", "адвакат", "пракуратур", "абарону правоў спажыўцоў", "прэтэнзі", "міліцы"],
        "hy": ["դատարան", "իրավաբան", "փաստաբան", "դատախազ", "սպառողների իրավունք", "ոստիկան"],
        "de": ["anwalt", "rechtsanwalt", "gericht", "klage", "verbraucherzentrale", "verbraucherschutz",
               "schlichtungsstelle", "polizei", "mahnung"],
        "en": ["lawyer", "attorney", "=court", "=sue", "=sued", "suing", "lawsuit", "legal action", "consumer rights", "regulator",
               "ombudsman", "trading standards", "small claims", "police"],
    },
    # The press and public attention.
    "press": {
        "ru": ["=сми", "журналист", "телевиден", "редакци", "блогер", "огласк"],
        "uk": ["=змі", "журналіст", "телебачен", "редакці", "блогер", "розголос"],
        "be": ["=смі", "журналіст", "тэлебачанн", "рэдакцы", "блогер", "розгалос"],
        "hy": ["լրատվամիջոց", "լրագրող", "հեռուստատես", "խմբագրություն", "բլոգեր"],
        "de": ["presse", "journalist", "zeitung", "fernsehen", "medien", "öffentlich machen"],
        "en": ["=press", "the press", "journalist", "newspaper", "media", "tv station", "go public", "viral"],
    },
    # Health and safety: always urgent.
    "safety": {
        "ru": ["отравил", "отравлени", "ожог", "обжег", "пожар", "загорел", "задымил", "взорвал", "удар током",
               "травм", "аллерги", "в больниц", "скорую", "опасн"],
        "uk": ["отруї", "отруєнн", "опік", "пожеж", "загорів", "задимів", "вибух", "удар струмом", "травм",
               "алергі", "в лікарн", "швидку", "небезпечн"],
        "be": ["атруці", "атручэнн", "апёк", "пажар", "загарэў", "задыміў", "выбух", "удар токам", "траўм",
               "алергі", "у бальніц", "хуткую", "небяспечн"],
        "hy": ["թունավոր", "այրվածք", "հրդեհ", "պայթ", "էլեկտրահար", "վնասվածք", "ալերգի", "հիվանդանոց", "շտապօգնություն",
               "վտանգավոր"],
        "de": ["vergiftung", "vergiftet", "verbrannt", "verbrennung", "=brand", "feuer", "explodiert", "stromschlag",
               "verletz", "allergi", "krankenhaus", "notarzt", "gefährlich"],
        "en": ["poison", "burn", "=fire", "caught fire", "on fire", "smoke", "explode", "electric shock", "injur", "allerg",
               "hospital", "ambulance", "dangerous", "unsafe"],
    },
}
# fmt: on
