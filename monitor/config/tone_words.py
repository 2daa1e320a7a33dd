"""The shipped tone cue words: what a complaint, a praise and a question say, in ru, uk, be, hy, de and en.

Entries match at the start of a word, as the triage keywords do (monitor.config.triage_keywords):
«разочаров» finds «разочарована», «разочарование»; "=" in front keeps an entry to the whole word
(«=топ» must not find «топливо»). A cue right after a negator of its language (NEGATORS, one or
two words before it) counts for the other side: «не рекомендую», "nicht empfehlenswert", "not
worth" are complaints; «не рвутся», "ohne Probleme", "no issues" are praise. sources.yaml adds to
these lists (cases.tone.words); it never has to repeat them.

WARNINGS are fixed complaint phrases that a negator inside them does not turn around: "don't waste
your money" warns, it does not praise; «не советую», "finger weg", "thanks for nothing" are
complaints as a whole. They are read first and their words are not read again as other cues.
PRAISE_PHRASES are the same for praise ("can't recommend them enough": a negator, yet praise).

QUESTION holds the words a question starts with; they count only in a text that has a question mark
(? or the Armenian ՞). REQUEST holds the asking words that make a question without one («подскажите»).
"""

from __future__ import annotations

__all__ = [
    "AFTER_NEGATORS",
    "COMPLAINT",
    "NEGATORS",
    "PRAISE",
    "PRAISE_PHRASES",
    "QUESTION",
    "REQUEST",
    "TONE_LANGUAGES",
    "WARNINGS",
]

TONE_LANGUAGES = ("ru", "uk", "be", "hy", "de", "en")

# fmt: off

COMPLAINT: dict[str, list[str]] = {
    "ru": ["ужас", "кошмар", "отврат", "плох", "брак", "разочаров", "обман", "мошенн", "жалоб", "претензи",
           "=хам", "хамств", "груб", "отстой", "фигн", "ерунд", "деньги на ветер", "выброшенные деньги",
           "пустая трата", "=зря", "=жаль", "к сожалению", "испорч", "сломал", "слома", "не работает",
           "не пришл", "не пришёл", "не пришел", "до сих пор", "невозможно", "неудоб", "некачеств", "дыряв", "=дырка", "рвет", "рвёт",
           "рвут", "порвал", "развалил", "расклеива", "=хуже", "=худшее", "хлипк", "не подош",
           "не соответств", "подделк", "развод", "игнорир", "не отвеча", "безобраз", "позор", "возмут",
           "недовол", "потеря времени", "бесполез", "мусор", "верните", "возврат", "отказ",
           "больше не куплю", "больше не закажу", "больше заказывать не буду", "нарекани", "дефект", "не привез",
           "не вернул", "так и не", "не доставлен", "не дождал", "нагруб", "опоздал", "молчит", "требую",
           "сколько можно", "где мой", "где мои", "где моя", "где заказ", "не могу дозвон", "обещали"],
    "uk": ["жах", "кошмар", "огид", "поган", "брак", "розчаров", "обман", "шахра", "скарг", "претенз", "хамств",
           "груб", "відстій", "фігн", "гроші на вітер", "марно", "=шкода", "на жаль", "зіпсован", "злама",
           "не працює", "не прийш", "досі", "неможливо", "незручн", "неякісн", "дірк", "рвет", "рвут", "порвал",
           "=гірше", "хлипк", "не підійш", "не відповіда", "підробк", "ігнору", "ганьб", "обурен", "незадовол",
           "відмов", "поверніть", "повернен", "халтур", "більше не куплю", "дефект",
           "не привез", "не повернул", "досі не", "вимагаю", "де моє", "де мій", "де моя", "нагруб", "мовчить"],
    "be": ["жах", "кашмар", "дрэнн", "кепск", "брак", "расчаров", "падман", "махляр", "вярніце", "вяртанн",
           "скарг", "прэтэнзі", "хамств", "груб", "не працуе", "не прыйш", "дагэтуль", "немагчыма", "нязручн",
           "няякасн", "сапсава", "зламал", "=горш", "ігнару", "абурал", "незадавол", "адмов", "=шкада",
           "на жаль", "грошы на вецер", "ганьб", "дэфект", "не прывез", "не вярнул",
           "патрабую", "дзе мой", "дзе маё", "дзе мая"],
    "hy": ["վատ", "սարսափելի", "խաբեություն", "խաբ", "բողոք", "դժգոհ", "հիասթափ", "չի աշխատում", "չեն աշխատում",
           "փչացած", "կոտրված", "վերադարձրեք", "կոպիտ", "անորակ", "ամոթ", "չեմ խորհուրդ տալիս", "չստացա",
           "չեմ ստացել", "ուշաց", "անհարմար", "զզվելի", "անպատասխանատու", "խայտառակ", "ցավոք"],
    "de": ["schlecht", "katastroph", "enttäusch", "betrug", "betrüg", "abzocke", "frechheit", "unverschämt",
           "unfähig", "unprofessionell", "ärger", "beschwerde", "reklamation", "mangelhaft", "defekt", "kaputt",
           "schrott", "finger weg", "niewieder", "nie wieder", "keine antwort", "keine rückmeldung",
           "nicht erreichbar", "ignorier", "abgelehnt", "ablehn", "gekündigt", "seit wochen", "seit monaten",
           "unzufrieden", "zumutung", "skandal", "vorsicht", "abraten", "abzuraten", "unseriös", "inakzeptabel",
           "=mies", "furchtbar", "schrecklich", "grauenhaft", "im stich gelassen", "=leider", "nervig",
           "gelogen", "umständlich", "unverständlich", "frust", "ärgerlich", "=fehler", "unmöglich",
           "warte seit", "noch immer kein", "bis heute kein", "verschwendung",
           "nicht geliefert", "immer noch nicht", "fordere", "wo bleibt", "wo ist mein", "nicht zurück"],
    "en": ["terrible", "awful", "horrible", "worst", "=bad", "=poor", "disappoint", "scam", "fraud", "=rude",
           "useless", "waste", "refund", "complain", "broken", "=broke", "defect", "faulty", "doesn't work",
           "does not work", "stopped working", "unacceptable", "ridiculous", "disgust", "angry", "furious",
           "frustrat", "nightmare", "=avoid", "misleading", "=lied", "ignored", "no response", "still waiting",
           "=worse", "=hate", "sucks", "garbage", "rip off", "ripoff", "unfortunately", "=problem", "=problems",
           "=issue", "=issues", "never again", "not worth", "regret", "pathetic", "incompetent", "nasty",
           "never received", "not delivered", "still not", "=demand", "where is my", "no refund",
           "haven't received", "have not received", "=late", "=ruined", "never arrived", "charged me twice",
           "charged twice", "overcharg", "nobody answers", "no one answers", "double charged",
           # how a review of a thing used ends badly (medicines, products), and rating-like phrases
           "made me worse", "made it worse", "made things worse", "stopped taking", "stopped using", "gave up on",
           "=returned it", "sent it back", "=0/10", "=1/10", "=0/5", "=1/5", "zero stars"],
}

PRAISE: dict[str, list[str]] = {
    "ru": ["отличн", "хорош", "прекрасн", "замечательн", "=супер", "суперск", "=класс", "классн", "шикарн",
           "рекоменд", "советую", "доволен", "довольн", "спасибо", "благодар", "понрав", "нравит", "удобн",
           "быстро", "качествен", "идеальн", "=лучший", "=лучшее", "=лучшая", "восторг", "=огонь", "=бомба",
           "молодц", "=топ", "крут", "=норм", "нормальн", "приятн", "вежлив", "оперативн", "чудесн",
           "великолепн", "все устраивает", "всё устраивает", "выручил", "помогл"],
    "uk": ["відмінн", "чудов", "гарн", "хорош", "прекрасн", "=супер", "=клас", "класн", "рекоменд", "раджу",
           "задоволен", "дякую", "дяку", "вдячн", "сподоба", "подоба", "зручн", "швидк", "якісн", "ідеальн",
           "найкращ", "=вогонь", "=топ", "молодц", "крут", "приємн", "ввічлив", "оперативн", "допомогл"],
    "be": ["выдатн", "цудоўн", "=добр", "добра", "=супер", "=клас", "рэкаменд", "=раю", "задаволен", "дзякуй",
           "дзякую", "удзячн", "спадаба", "падаба", "зручн", "хутк", "якасн", "ідэальн", "найлепш", "прыемн",
           "ветлів", "малайц", "дапамаг"],
    "hy": ["լավ", "հիանալի", "գերազանց", "շնորհակալ", "խորհուրդ եմ տալիս", "գոհ", "սիրում եմ", "արագ",
           "հարմար", "որակյալ", "սուպեր", "կատարյալ", "հրաշալի", "լավագույն", "բարեհամբույր", "ապրեք", "օգնեց"],
    "de": ["=super", "=toll", "=prima", "=klasse", "hervorragend", "ausgezeichnet", "perfekt", "zufrieden",
           "empfehl", "danke", "=dank", "freundlich", "kompetent", "schnell", "unkompliziert", "reibungslos",
           "=gut", "=gute", "=guter", "=gutes", "zuverlässig", "begeistert", "=top", "bestens", "problemlos",
           "kulant", "weiter so", "großartig", "hilfsbereit", "angenehm", "sehr gut", "=lob", "gern",
           "=beste", "=bester", "=besten", "=bestes"],
    "en": ["great", "excellent", "amazing", "awesome", "=love", "=loved", "=loves", "perfect", "fantastic",
           "wonderful", "recommend", "=happy", "satisfied", "thank", "helpful", "friendly", "=fast", "=quick",
           "=best", "=good", "=nice", "pleased", "impressed", "brilliant", "outstanding", "superb", "=smooth",
           "=easy", "life saver", "lifesaver", "miracle", "effective", "=works", "=worked", "relief", "=glad",
           # a verdict on a thing used (medicines, products): it helped, it changed things, a top rating
           "helped", "=helps", "life changing", "life-changing", "godsend", "god send", "blessing", "=cured",
           "cleared up", "feel better", "=10/10", "=5/5", "five stars"],
}

# Warnings: complaint phrases read as a whole, before negation (see the module docstring). Apostrophes are
# read as "'" whichever the writer typed (’ too).
WARNINGS: dict[str, list[str]] = {
    "ru": ["не советую", "не рекомендую", "не покупайте", "не берите", "не связывайтесь", "не ведитесь",
           "обходите стороной", "держитесь подальше", "спасибо за ничего"],
    "uk": ["не раджу", "не рекомендую", "не купуйте", "не беріть", "не зв'язуйтеся", "не звертайтеся",
           "оминайте", "тримайтеся подалі", "дякую за ніщо"],
    "be": ["не раю", "не рэкамендую", "не купляйце", "не бярыце", "не звязвайцеся", "абыходзьце бокам",
           "дзякуй ні за што"],
    "hy": ["չեմ խորհուրդ տալիս", "խորհուրդ չեմ տալիս", "մի գնեք", "հեռու մնացեք", "խուսափեք"],
    "de": ["finger weg", "hände weg", "nicht empfehlenswert", "nicht zu empfehlen", "nicht weiterzuempfehlen",
           "kann ich nicht empfehlen", "kann man nicht empfehlen", "nicht weiterempfehlen", "danke für nichts",
           "dank für nichts", "=bloß weg", "kauft nicht", "lasst die finger"],
    "en": ["don't waste", "do not waste", "dont waste", "don't buy", "do not buy", "dont buy", "stay away",
           "steer clear", "don't bother", "do not bother", "dont bother", "thanks for nothing",
           "thank you for nothing", "do not recommend", "don't recommend", "dont recommend",
           "would not recommend", "wouldn't recommend", "wouldnt recommend", "buyer beware", "save your money",
           "=run away", "=avoid at all costs"],
}

# Praise phrases read as a whole, before negation: the negator in them does not turn them into complaints.
PRAISE_PHRASES: dict[str, list[str]] = {
    "ru": ["не пожалеете", "не могу не порекомендовать"],
    "uk": ["не пошкодуєте"],
    "be": ["не пашкадуеце"],
    "hy": [],
    "de": ["kann ich nur empfehlen", "nichts zu beanstanden", "nicht zu beanstanden", "ohne probleme",
           "keine probleme", "nicht bereut", "nie bereut", "keine beanstandung"],
    "en": ["can't recommend them enough", "can't recommend it enough", "can't recommend enough",
           "cannot recommend them enough", "cannot recommend it enough", "cannot recommend enough",
           "couldn't be happier", "could not be happier", "couldn't ask for better", "could not ask for better",
           "can't say enough good", "cannot say enough good", "never had a problem",
           "never had an issue", "never had any issue", "never had any problem", "won't regret", "will not regret",
           "no side effects", "no side effect", "no negative side effects", "without side effects",
           "without any side effects"],
}

# Words before a cue that turn it around. Two words back at most: «ни один не порвался», "not very good".
NEGATORS: dict[str, list[str]] = {
    "ru": ["не", "ни", "нет", "без", "никак", "никогда"],
    "uk": ["не", "ні", "без", "немає", "ніколи"],
    "be": ["не", "ні", "без", "няма", "ніколі"],
    "hy": ["ոչ", "առանց"],
    "de": ["nicht", "kein", "keine", "keinen", "keiner", "keinem", "nie", "niemals", "ohne"],
    "en": ["not", "no", "never", "don't", "didn't", "doesn't", "isn't", "wasn't", "won't", "can't", "cannot",
           "without", "nothing", "dont", "didnt", "doesnt", "isnt", "wasnt", "wont", "cant"],
}

# Words right after a cue that turn it around: «нареканий нет», «проблем немає».
AFTER_NEGATORS: dict[str, list[str]] = {
    "ru": ["нет"], "uk": ["немає", "нема"], "be": ["няма"], "hy": ["չկա", "չկան"],
    "de": ["keine"], "en": ["none"],
}

QUESTION: dict[str, list[str]] = {
    "ru": ["=как", "=когда", "=где", "=почему", "=зачем", "можно ли", "есть ли", "=сколько", "=какой", "=какая",
           "=какие", "что делать", "будет ли", "=куда", "=кто"],
    "uk": ["=як", "=коли", "=де", "=чому", "=навіщо", "=чи", "=скільки", "=який", "=яка", "=які", "що робити",
           "=куди", "=хто"],
    "be": ["=як", "=калі", "=дзе", "=чаму", "=навошта", "=ці", "=колькі", "=які", "=якая", "што рабіць", "=куды"],
    "hy": ["ինչպես", "երբ", "որտեղ", "ինչու", "ինչ", "արդյոք", "քանի", "ով"],
    "de": ["=wie", "=wann", "=wo", "=warum", "=wieso", "=weshalb", "=was", "=welche", "=welcher", "gibt es",
           "kann ich", "können sie", "könnten sie", "ist es möglich", "=wer", "=wohin"],
    "en": ["=how", "=when", "=where", "=why", "=what", "=which", "can i", "can you", "could you", "is it possible",
           "do you", "=does", "is there", "are there", "=who", "will you"],
}

REQUEST: dict[str, list[str]] = {
    "ru": ["подскажите", "объясните", "уточните", "расскажите, как", "хотел бы узнать", "хотела бы узнать"],
    "uk": ["підкажіть", "поясніть", "уточніть", "хотів би дізнатися", "хотіла б дізнатися"],
    "be": ["падкажыце", "растлумачце", "удакладніце"],
    "hy": ["խնդրում եմ ասել", "կասեք", "ասեք խնդրեմ", "կբացատրեք"],
    "de": ["können sie mir sagen", "ich hätte eine frage", "ich habe eine frage", "bitte um auskunft"],
    "en": ["please advise", "i have a question", "i'd like to know", "i would like to know", "let me know how"],
}

# fmt: on
