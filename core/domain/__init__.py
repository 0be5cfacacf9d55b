"""Plain-Python domain of the CRM: no aiogram, no SQLAlchemy, no FastAPI."""
