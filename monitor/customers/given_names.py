"""Given names that are the same name: diminutives, and the forms one name takes across languages.

Customers sign complaints the way they are called, not the way the CRM files them:
«Саша» for Александр, "Vanya" for Иван, «Женя» for Евгений or Евгения, "Bob" for
Robert, and the same person is «Олександр» in Ukrainian, «Аляксандр» in Belarusian
and "Alexander" in German. Each line of `_TABLE` is one such group: the first word
names the group, every word is a form people use (native script or a usual Latin
spelling; each is folded to ASCII by monitor.core.text before use).

A form may belong to several groups («Саша» is Александр and Александра, "Alex"
Alexander and Alexey): `groups_of()` returns all of them, and two words are the same
given name when their groups meet. Only words listed here are treated so: a word
that is not in the table is compared by spelling (monitor.customers.keys).

The table is deliberately small and ordinary (ru, uk, be, en, de, hy): a cognate is
listed only where people really write one for the other (Иван/Ivan, not Иван/John).
"""

from __future__ import annotations

from functools import lru_cache

from monitor.core.text import fold_word

__all__ = ["given_forms", "groups_of", "is_given_name"]

_TABLE = """
Александр Саша Саня Санёк Шура Шурик Олександр Сашко Аляксандр Алесь Alexander Alexandr Aleksandr Alex Sasha Sascha Sanya Oleksandr Aliaksandr Ալեքսանդր
Александра Саша Шура Олександра Аляксандра Alexandra Aleksandra Sasha Sandra Alex
Алексей Лёша Лёха Алёша Олексій Льоша Аляксей Alexey Aleksey Alexei Aleksei Alex Lyosha Alyosha Oleksii
Анатолий Толя Толик Анатолій Анатоль Anatoly Anatoliy Anatolii
Андрей Андрюша Андрюха Андрій Андрэй Andrey Andrei Andriy Andrii Andrew Andreas Andi Andy Անդրեյ
Антон Тоша Антоній Anton Antony Anthony Tony
Артём Артем Тёма Артемій Арцём Artyom Artem Artiom Artemiy
Аркадий Аркаша Arkady Arkadiy
Борис Боря Барыс Boris Barys
Вадим Вадик Вадзім Vadim Vadym
Валентин Валя Валік Valentin Valentyn
Валерий Валера Валерій Валерый Valery Valeriy Valerii
Василий Вася Василь Васіль Vasily Vasiliy Vasyl Vasil
Виктор Витя Віктар Віктор Victor Viktor Վիկտոր
Виталий Виталик Віталій Vitaly Vitaliy Vitalii
Владимир Вова Володя Вовка Володимир Уладзімір Владзімір Vladimir Volodymyr Uladzimir Vova Volodya Վլադիմիր
Владислав Влад Уладзіслаў Vladislav Vladyslav Vlad
Вячеслав Слава Славик В'ячеслав Вячаслаў Vyacheslav Viacheslav Slava
Геннадий Гена Геннадій Генадзь Gennady Gennadiy Gena
Георгий Жора Гоша Георгій Юрый Георг Геворг George Georg Georgy Georgiy Gevorg Գևորգ
Егор Егорка Ягор Yegor Egor
Григорий Гриша Григорій Рыгор Grigory Grigoriy Hryhoriy Grigor Grisha Գրիգոր
Даниил Данила Даня Данило Daniil Danila Danylo Daniel Dan Danny
Денис Дениска Дзяніс Denis Dennis Denys
Дмитрий Дима Митя Димон Дмитро Дзмітрый Dmitry Dmitriy Dmitrii Dmitri Dmytro Dzmitry Dima
Евгений Женя Женька Євген Яўген Evgeny Evgeniy Yevgeny Yevgen Yevhen Eugene Zhenya Jenya
Иван Ваня Ванька Ванечка Іван Ivan Vanya Իվան
Игорь Игорёк Ігор Ігар Igor Ihor
Илья Илюша Ілля Ілья Ilya Ilia Ilja Illia
Кирилл Киря Кирило Кірыл Kirill Kyrylo Kiril
Константин Костя Костянтин Канстанцін Konstantin Kostiantyn Kostya Constantin Constantine
Леонид Лёня Леонід Леанід Leonid
Максим Макс Максім Maxim Maksim Maksym Max
Матвей Мотя Матвій Matvey Matvei Matthew Matthias Matt
Михаил Миша Михайло Міхаіл Михась Mikhail Mykhailo Michael Michail Mike Misha Micha
Никита Никитос Мікіта Микита Nikita Mykyta
Николай Коля Микола Мікалай Nikolai Nikolay Mykola Kolya Nicholas Nick Nikolaus Klaus Claus
Олег Олежка Алег Oleg Oleh Aleh
Павел Паша Павлик Павло Павал Pavel Pavlo Paul Pasha
Пётр Петя Петро Пятро Petr Pyotr Peter Petro Petros Петрос Պետրոս
Роман Рома Раман Roman Roma
Сергей Серёжа Серёга Сергій Сяргей Sergey Sergei Serhiy Serhii Siarhei Serge Seryozha Սերգեյ
Станислав Стас Слава Станіслав Stanislav Stas
Степан Стёпа Сцяпан Stepan Stefan Stephan Ստեփան
Тарас Taras
Тимофей Тима Тимофій Timofey Timofei Tymofii Timothy Tim
Фёдор Федя Федір Fyodor Fedor Fedir Theodor
Эдуард Эдик Едуард Eduard Edward Ed Eddie
Юрий Юра Юрій Юрась Yuri Yury Yuriy Yurii Iurii
Ярослав Ярик Слава Яраслаў Yaroslav Iaroslav
Иосиф Осип Йосип Joseph Josef Joe
Марк Markus Marcus Mark
Арам Aram Արամ
Армен Armen Արմեն
Ашот Ashot Աշոտ
Арсен Arsen Արսեն
Гор Gor Գոռ
Давид Давит Давід David Dave Davit Դավիթ
Нарек Narek Նարեկ
Ованес Оганес Hovhannes Hovo Ovanes Հովհաննես
Тигран Tigran Տիգրան
Айк Hayk Haik Հայկ
Карен Karen Կարեն
Рубен Ruben Ռուբեն
Арутюн Harutyun Arutyun Հարություն
Вардан Vardan Վարդան
Левон Levon Լևոն
Саргис Sargis Սարգիս
Самвел Samvel Սամվել
Thomas Tom Tommy Томас Томаш
Robert Bob Bobby Rob Robbie Роберт
William Will Bill Billy Willi Wilhelm
Richard Rick Rich Dick Ричард
James Jim Jimmy Jamie
Christopher Chris Christoph Кристоф
Jonathan Jon
John Johnny Jack Jon Джон
Johannes Johann Hans Hannes Ганс Иоганн
Benjamin Ben Benny
Samuel Sam Sammy
Jürgen Juergen Jurgen Юрген Jörg Joerg
Wolfgang Wolf Вольфганг
Friedrich Fritz Фридрих
Heinrich Heinz Henry Harry Генрих
Joachim Achim
Ulrich Uli
Dieter Dietrich Дитер
Günter Guenter Gunter Günther
Oliver Olli Ollie Оливер
Patrick Pat Patrik
Sebastian Basti Seb Себастьян
Tobias Tobi
Lukas Lucas Luke Лукас
Florian Flo
Maximilian Max Maxi
Анастасия Настя Настёна Анастасія Настасся Anastasia Anastasiya Anastasiia Nastya Nastia
Анна Аня Анечка Ганна Ганна Hanna Hannah Ann Anna Anne Annie Anya Աննա
Алёна Алена Альона Alyona Alena Aliona
Валентина Валя Valentina Valentyna
Вера Верочка Віра Vera Vira
Виктория Вика Вікторія Вікторыя Victoria Viktoria Viktoriya Vika
Галина Галя Галина Галіна Galina Halyna Halina Galya
Дарья Даша Дарина Дар'я Дар'я Дар’я Daria Darya Dariia Dasha
Евгения Женя Євгенія Яўгенія Evgenia Evgeniya Yevgenia Eugenia Zhenya
Екатерина Катя Катерина Кацярына Ekaterina Yekaterina Kateryna Katsiaryna Katya Katia Kate Katie Katherine Catherine Katharina Kathrin Katrin Katja
Елена Лена Олена Алена Элен Elena Yelena Olena Alena Lena Helen Helena Helene
Елизавета Лиза Єлизавета Елізавета Yelizaveta Elizaveta Elizabeth Elisabeth Liza Lisa Liz Lizzy Beth Betty Elise
Ирина Ира Ірина Ірына Irina Iryna Ira Irene
Кристина Крис Крістіна Kristina Christina Christine Kristin Tina
Ксения Ксюша Оксана Ксенія Аксана Ksenia Kseniya Kseniia Oksana Aksana Ksusha Ksyusha
Людмила Люда Люся Людміла Lyudmila Ludmila Liudmyla Liudmila Mila
Маргарита Рита Margarita Margarethe Margarete Margaret Grete Gretchen Maggie Rita
Мария Маша Маруся Марія Марыя Мариам Maria Mariya Mariia Mary Masha Marie Mariam Մարիամ
Марина Marina Maryna
Надежда Надя Надія Надзея Nadezhda Nadiya Nadia Nadya
Наталья Наташа Наталия Наталія Наталля Natalia Natalya Natalie Natasha Nataliya
Ольга Оля Олечка Вольга Olga Olha Volha Olya
Светлана Света Святлана Світлана Svetlana Sviatlana Svitlana Sveta
Софья София Соня Софія Софія Sofia Sofiya Sophia Sophie Sonya Sonja
Татьяна Таня Тетяна Тацяна Tatiana Tatyana Tetiana Tatsiana Tanya Tania
Юлия Юля Юлія Юлія Yulia Yuliya Yuliia Julia Julie Iuliia
Варвара Варя Barbara Varvara Barbie
Сюзанна Susanne Susanna Susan Susi Sue
Stefanie Steffi Stephanie Стефания
Gabriele Gabi Gabriela Габриэла
Ани Ani Անի
Лилит Lilit Լիլիթ
Анаит Anahit Անահիտ
Гаяне Gayane Գայանե
Армине Armine Արմինե
Нарине Narine Նարինե
"""


@lru_cache(maxsize=1)
def _index() -> dict[str, frozenset[str]]:
    """Folded form → the groups it belongs to (a group is named by its first word, folded)."""
    index: dict[str, set[str]] = {}
    for line in _TABLE.strip().splitlines():
        forms = [fold_word(word) for word in line.split()]
        group = forms[0]
        for form in forms:
            if form:
                index.setdefault(form, set()).add(group)
    return {form: frozenset(groups) for form, groups in index.items()}


def given_forms() -> dict[str, frozenset[str]]:
    """Every folded form in the table → its groups."""
    return _index()


def groups_of(folded: str) -> frozenset[str]:
    """The given-name groups of a folded word ("vanya" → {"ivan"}, "sasha" → {"aleksandr", "aleksandra"}); empty if none."""
    return _index().get(folded, frozenset())


def is_given_name(folded: str) -> bool:
    return folded in _index()
