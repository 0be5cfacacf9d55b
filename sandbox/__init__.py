"""The sandbox: try the whole product in a terminal, without Telegram.

* ``sandbox.emulator`` — a Telegram Bot API emulator on 127.0.0.1 (also what tests/bot and bench/bot.py
  run the real bot against);
* ``sandbox.chat`` — the terminal chat that plays the demo users on it;
* ``sandbox.demo`` — the demo users and the team leads' group;
* ``sandbox.app`` — ``run_sandbox``: emulator + bot (+ REST API) + chat, given the product's parts;
* ``sandbox.terminal`` — stdin and the log file.

``cli/sandbox.py`` (``leadcrm sandbox``) assembles the bot, the API and the database and hands them in.
"""
