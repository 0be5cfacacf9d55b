"""The 1 M-lead data set of ``bench/search.py``: SQL that builds it inside PostgreSQL (no rows through Python).

Names are a first and a last name drawn from Russian ones, half in Cyrillic and half transliterated (so many
leads share a name, as in life: ~1 M leads over 70 × 140 × 2 names), companies a word and a legal form (60 %
of leads), e-mails ``first.last<n>@<domain>`` over ten domains weighted towards gmail/yandex/mail.ru (60 %),
a mobile phone each (85 %, typed as ``+7 9xx xxx-xx-xx``), a Telegram username (20 %). ``random()`` is seeded,
so every run builds the same set.
"""

from __future__ import annotations


def _words(text: str) -> list[str]:
    return text.split()


FIRST = _words(
    "Ivan Petr Sergey Andrey Dmitry Alexey Mikhail Nikolay Pavel Oleg Igor Yury Roman Denis Maxim Artem Kirill "
    "Egor Anton Viktor Vladimir Boris Gleb Ilya Konstantin Leonid Stepan Timur Fedor Grigory Anna Maria Elena "
    "Olga Natalia Irina Tatiana Svetlana Ekaterina Yulia Anastasia Daria Polina Sofia Ksenia Vera Nadezhda "
    "Lyudmila Galina Marina Alina Victoria Valentina Larisa Zoya Inna Kristina Alla Diana Eva Lidia Margarita "
    "Nina Oksana Raisa Ulyana Yana Zhanna Arina Vasilisa"
)
FIRST_RU = _words(
    "Иван Пётр Сергей Андрей Дмитрий Алексей Михаил Николай Павел Олег Игорь Юрий Роман Денис Максим Артём "
    "Кирилл Егор Антон Виктор Владимир Борис Глеб Илья Константин Леонид Степан Тимур Фёдор Григорий Анна "
    "Мария Елена Ольга Наталья Ирина Татьяна Светлана Екатерина Юлия Анастасия Дарья Полина София Ксения Вера "
    "Надежда Людмила Галина Марина Алина Виктория Валентина Лариса Зоя Инна Кристина Алла Диана Ева Лидия "
    "Маргарита Нина Оксана Раиса Ульяна Яна Жанна Арина Василиса"
)
LAST = _words(
    "Petrov Ivanov Sidorov Smirnov Kuznetsov Popov Vasiliev Sokolov Mikhailov Novikov Fedorov Morozov Volkov "
    "Alekseev Lebedev Semenov Egorov Pavlov Kozlov Stepanov Nikolaev Orlov Andreev Makarov Nikitin Zakharov "
    "Zaitsev Soloviev Borisov Yakovlev Grigoriev Romanov Vorobiev Sergeev Kuzmin Frolov Aleksandrov Dmitriev "
    "Korolev Gusev Kiselev Ilyin Maksimov Polyakov Sorokin Vinogradov Kovalev Belov Medvedev Antonov Tarasov "
    "Zhukov Baranov Filippov Komarov Davydov Belyaev Gerasimov Bogdanov Osipov Sidorenko Matveev Titov Markov "
    "Mironov Krylov Kulikov Karpov Vlasov Melnikov Denisov Gavrilov Tikhonov Kazakov Afanasiev Danilov "
    "Savelyev Timofeev Fomin Chernov Abramov Martynov Efimov Fedotov Shcherbakov Nazarov Kalinin Isaev "
    "Chernyshev Bykov Maslov Rodionov Konovalov Lazarev Voronin Klimov Filatov Ponomarev Golubev Kudryavtsev "
    "Prokhorov Naumov Potapov Zhuravlev Ovchinnikov Trofimov Leonov Sobolev Ermakov Kolesnikov Goncharov "
    "Emelyanov Nikiforov Grachev Kotov Grishin Efremov Arkhipov Gromov Kirillov Malyshev Panov Moiseev "
    "Rumyantsev Akimov Kondratiev Biryukov Gorbunov Anisimov Eremin Tikhomirov Galkin Lukyanov Mikheev "
    "Skvortsov Yudin Belousov Nesterov"
)
LAST_RU = _words(
    "Петров Иванов Сидоров Смирнов Кузнецов Попов Васильев Соколов Михайлов Новиков Фёдоров Морозов Волков "
    "Алексеев Лебедев Семёнов Егоров Павлов Козлов Степанов Николаев Орлов Андреев Макаров Никитин Захаров "
    "Зайцев Соловьёв Борисов Яковлев Григорьев Романов Воробьёв Сергеев Кузьмин Фролов Александров Дмитриев "
    "Королёв Гусев Киселёв Ильин Максимов Поляков Сорокин Виноградов Ковалёв Белов Медведев Антонов Тарасов "
    "Жуков Баранов Филиппов Комаров Давыдов Беляев Герасимов Богданов Осипов Сидоренко Матвеев Титов Марков "
    "Миронов Крылов Куликов Карпов Власов Мельников Денисов Гаврилов Тихонов Казаков Афанасьев Данилов "
    "Савельев Тимофеев Фомин Чернов Абрамов Мартынов Ефимов Федотов Щербаков Назаров Калинин Исаев Чернышёв "
    "Быков Маслов Родионов Коновалов Лазарев Воронин Климов Филатов Пономарёв Голубев Кудрявцев Прохоров "
    "Наумов Потапов Журавлёв Овчинников Трофимов Леонов Соболев Ермаков Колесников Гончаров Емельянов "
    "Никифоров Грачёв Котов Гришин Ефремов Архипов Громов Кириллов Малышев Панов Моисеев Румянцев Акимов "
    "Кондратьев Бирюков Горбунов Анисимов Ерёмин Тихомиров Галкин Лукьянов Михеев Скворцов Юдин Белоусов "
    "Нестеров"
)
COMPANY = _words(
    "Северсталь Ромашка Вектор Альфа Горизонт Меридиан Прогресс Восток Техно Гранит Сибирь Волга Нева Урал "
    "Каскад Орион Зенит Атлант Спектр Луч Polaris Northwind Contoso Globex Initech Umbrella Acme Stark Wayne "
    "Hooli Vandelay Soylent Cyberdyne Tyrell Wonka Aperture Massive Dynamic Monarch Gringotts Oscorp Pied "
    "Piper Бизнес Логистик Инвест Строй Торг Снаб Агро Медиа Софт Трейд"
)
FORM = _words("ООО АО ИП ПАО LLC Ltd GmbH Inc Group Холдинг")
DOMAIN = _words(
    "gmail.com gmail.com gmail.com yandex.ru yandex.ru mail.ru mail.ru outlook.com bk.ru inbox.ru rambler.ru "
    "list.ru icloud.com company.ru"
)


def _array(words: list[str]) -> str:
    return "ARRAY[" + ", ".join("'" + w.replace("'", "''") + "'" for w in words) + "]"


# One row per lead: the picks as integers, then the values built from them. g is the lead's id.
PICKS_SQL = f"""
CREATE UNLOGGED TABLE bench_people AS
SELECT g AS id,
       1 + floor(random() * {len(FIRST)})::int AS f,
       1 + floor(random() * {len(LAST)})::int AS l,
       random() < 0.5 AS cyr,
       1 + floor(random() * {len(COMPANY)})::int AS c,
       1 + floor(random() * {len(FORM)})::int AS cf,
       random() < 0.6 AS has_company,
       random() < 0.6 AS has_email,
       random() < 0.85 AS has_phone,
       random() < 0.2 AS has_telegram,
       1 + floor(random() * {len(DOMAIN)})::int AS d,
       floor(random() * 1000)::int AS n,
       9000000000 + (g * 7919 + floor(random() * 7919)::bigint) % 1000000000 AS phone
FROM generate_series(1, CAST(:leads AS bigint)) g
"""
SEED_SQL = "SELECT setseed(0.42)"

LEADS_SQL = f"""
INSERT INTO leads (id, name, company, contact, source, stage, owner_id, business_domain, created_at, updated_at,
                   stage_entered_at, assigned_at, version)
SELECT p.id,
       CASE WHEN p.cyr THEN ({_array(FIRST_RU)})[p.f] || ' ' || ({_array(LAST_RU)})[p.l]
            ELSE ({_array(FIRST)})[p.f] || ' ' || ({_array(LAST)})[p.l] END,
       CASE WHEN p.has_company THEN ({_array(FORM)})[p.cf] || ' ' || ({_array(COMPANY)})[p.c] END,
       CASE WHEN p.has_phone THEN '+7 ' || substr(p.phone::text, 1, 3) || ' ' || substr(p.phone::text, 4, 3)
                                  || '-' || substr(p.phone::text, 7, 2) || '-' || substr(p.phone::text, 9, 2)
            WHEN p.has_email THEN lower(({_array(FIRST)})[p.f] || '.' || ({_array(LAST)})[p.l]) || p.n
                                  || '@' || ({_array(DOMAIN)})[p.d] END,
       (ARRAY['partner', 'scanner', 'manual'])[1 + p.id % 3]::lead_source,
       (ARRAY['new', 'contacted', 'qualified', 'transferred', 'lost'])[1 + p.id % 5]::lead_stage,
       CAST(:first_owner AS bigint) + p.id % CAST(:owners AS int),
       'fintech',
       now() - (CAST(:leads AS bigint) - p.id) * interval '30 seconds',
       now() - (CAST(:leads AS bigint) - p.id) * interval '30 seconds',
       now(), now(), 1
FROM bench_people p
"""
CONTACTS_SQL = f"""
INSERT INTO lead_contacts (lead_id, kind, value, normal)
SELECT p.id, 'phone',
       '+7 ' || substr(p.phone::text, 1, 3) || ' ' || substr(p.phone::text, 4, 3) || '-'
       || substr(p.phone::text, 7, 2) || '-' || substr(p.phone::text, 9, 2),
       '+7' || p.phone
FROM bench_people p WHERE p.has_phone
UNION ALL
SELECT p.id, 'email', e.address, e.address
FROM bench_people p,
     LATERAL (SELECT lower(({_array(FIRST)})[p.f] || '.' || ({_array(LAST)})[p.l]) || p.n || '@'
                     || ({_array(DOMAIN)})[p.d] AS address) e
WHERE p.has_email
UNION ALL
SELECT p.id, 'telegram', t.username, t.username
FROM bench_people p,
     LATERAL (SELECT lower(({_array(FIRST)})[p.f]) || '_' || lower(({_array(LAST)})[p.l]) || p.n AS username) t
WHERE p.has_telegram
"""
