"""The words both scorers' stored reasons use (``ai_reason`` in English, ``ai_reason_ru`` in Russian): the
recommendations and the Russian names of stages, sources and the default business domains (the bot's catalogue
words them the same way; a value not here, a team's own domain say, is shown as stored). The reasons are stored
data in two languages by design (README, Domain rules); this is their one vocabulary."""

from __future__ import annotations

REC_EN = {
    "transfer_to_sales": "transfer to sales",
    "continue_qualification": "continue qualification",
    "drop_lead": "drop the lead",
}
REC_RU = {
    "transfer_to_sales": "передать в продажи",
    "continue_qualification": "продолжить квалификацию",
    "drop_lead": "отказаться от лида",
}
SOURCE_RU = {"partner": "партнёр", "scanner": "сканер", "manual": "вручную"}
STAGE_RU = {
    "new": "новый",
    "contacted": "контакт установлен",
    "qualified": "квалифицирован",
    "transferred": "передан в продажи",
    "lost": "потерян",
}
DOMAIN_RU = {
    "fintech": "финтех",
    "ecommerce": "электронная коммерция",
    "edtech": "образование",
    "healthcare": "здравоохранение",
    "real_estate": "недвижимость",
    "logistics": "логистика",
    "saas": "SaaS",
    "manufacturing": "производство",
}


def ru_plural(n: int, one: str, few: str, many: str) -> str:
    """The Russian form for a count: 1 день, 2 дня, 5 дней, 11 дней, 21 день."""
    n = abs(n)
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many
