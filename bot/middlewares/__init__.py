"""Dispatcher middlewares: locale (bot.i18n), the per-update unit of work + authentication (db)."""
