"""The pipeline board, a Telegram Mini App served by the API (BOARD_API.md is the contract with its frontend):
``mount.install`` adds ``/app/`` (the static page) and ``/app/api/`` (its JSON; ``auth``, ``route``, ``texts``,
``routers``). A presentation layer like the bot: routers unpack, call one ``core.services`` function (the bot's
own) and render with ``texts`` in the bot's words."""
