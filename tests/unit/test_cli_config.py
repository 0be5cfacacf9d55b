"""A bad setting stops any leadcrm command with one clear line naming the variable, not a traceback."""

from __future__ import annotations

import pytest

from cli.main import main


def test_a_bad_setting_is_named_with_what_it_should_be(monkeypatch, tmp_path, capsys) -> None:
    monkeypatch.chdir(tmp_path)  # no .env here
    monkeypatch.setenv("TEAM_LEADS_LANGUAGE", "de")
    monkeypatch.setenv("DB_POOL_SIZE", "ten")
    assert main(["model"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("leadcrm: configuration error:")
    assert "TEAM_LEADS_LANGUAGE: Input should be 'ru' or 'en'" in err
    assert "DB_POOL_SIZE: Input should be a valid integer" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(("raw", "language"), [("en", "en"), (" EN ", "en"), ("ru", "ru")])
def test_team_leads_language_accepts_ru_and_en_in_any_case(monkeypatch, tmp_path, raw, language) -> None:
    from core.config import Settings

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TEAM_LEADS_LANGUAGE", raw)
    assert Settings().team_leads_language == language


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({}, "WEBHOOK_URL"),
        ({"WEBHOOK_URL": "https://crm.example.com/telegram"}, "WEBHOOK_SECRET"),
        ({"WEBHOOK_URL": "https://crm.example.com/telegram", "WEBHOOK_SECRET": "has spaces"}, "WEBHOOK_SECRET"),
    ],
)
def test_webhook_mode_without_its_url_or_a_valid_secret_stops_before_anything_starts(
    monkeypatch, tmp_path, capsys, env, named
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BOT_TOKEN", "123:abc")
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://nobody@127.0.0.1:1/none")  # never reached
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert main(["bot", "--webhook"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("leadcrm: configuration error:") and named in err
    assert "has spaces" not in err and "Traceback" not in err


def test_bot_mode_webhook_in_the_environment_means_the_same_as_the_flag(monkeypatch, tmp_path, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BOT_TOKEN", "123:abc")
    monkeypatch.setenv("BOT_MODE", " Webhook ")
    assert main(["bot"]) == 2
    assert "WEBHOOK_URL" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("raw", "weekday"),
    [("1", 1), ("7", 7), ("mon", 1), ("Friday", 5), (" SUN ", 7), ("off", None), ("none", None)],
)
def test_the_weekly_summary_day_is_an_iso_weekday_a_day_name_or_off(monkeypatch, tmp_path, raw, weekday) -> None:
    from core.config import Settings

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("WEEKLY_SUMMARY_WEEKDAY", raw)
    assert Settings().weekly_summary_weekday == weekday


@pytest.mark.parametrize("raw", ["0", "8", "someday"])
def test_a_weekly_summary_day_out_of_the_week_stops_the_command(monkeypatch, tmp_path, capsys, raw) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("WEEKLY_SUMMARY_WEEKDAY", raw)
    assert main(["model"]) == 2
    assert "WEEKLY_SUMMARY_WEEKDAY" in capsys.readouterr().err
