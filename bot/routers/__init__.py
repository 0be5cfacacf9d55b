"""One router per file (each module: handlers + make_router(); lead_card also make_input_router() for the
card's typed answers); bot.app includes them in one written order."""
