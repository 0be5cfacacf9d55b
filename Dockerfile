# Lead AI CRM: one image for the API, the bot and the CLI (`leadcrm ...`).
# Dependencies come from requirements-runtime.lock (exact versions, sha256-checked), in a layer of their own
# so that a code change does not reinstall them. The embedded PostgreSQL is not installed: the image always
# gets a DATABASE_URL (see docker-compose.yml).
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY requirements-runtime.lock ./
RUN pip install --require-hashes -r requirements-runtime.lock
COPY pyproject.toml README.md ./
COPY core ./core
COPY api ./api
COPY bot ./bot
COPY cli ./cli
COPY sandbox ./sandbox
COPY migrations ./migrations
COPY mappings ./mappings
RUN pip install --no-deps . \
    && useradd --create-home --uid 10001 leadcrm \
    && mkdir -p /app/var && chown leadcrm:leadcrm /app/var

USER leadcrm
# 8000: the REST API; 8081: the bot's webhook (leadcrm bot --webhook); 9100: the bot's /metrics (METRICS_PORT)
EXPOSE 8000 8081 9100
ENV API_HOST=0.0.0.0 API_PORT=8000
CMD ["leadcrm", "api"]
