"""PostgreSQL implementations of the services' repository ports (``core.services.ports``), one module per
aggregate. Repositories map rows to domain objects and never commit."""
