"""One router per file (each module: handlers + make_router()); bot.app includes them in one written order."""
