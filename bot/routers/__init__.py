"""One router per file; bot.app includes them in one written order."""
