# replywatch: API (and optionally the poller) in one slim image.
#   docker build -t replywatch .
#   docker run -p 8000:8000 -v $PWD/sources.yaml:/config/sources.yaml:ro -v replywatch-data:/data replywatch
#   docker exec <container> replywatch tokens create --name you --role admin     # the first API token
# Scheduled reports go to /data/reports (the data volume); the watch list stays read-only.
# Sources with `fetch: browser` need the [browser] extra and Debian's chromium in the image:
#   docker build --build-arg BROWSER=1 -t replywatch .
# (Playwright drives that chromium; it never downloads a browser of its own.)
FROM python:3.11-slim

ARG BROWSER=0

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    REPLYWATCH_CONFIG=/config/sources.yaml \
    REPLYWATCH_DATABASE_URL=sqlite:////data/replywatch.db \
    REPLYWATCH_LOG_FORMAT=json \
    REPLYWATCH_REPORTS_DIR=/data/reports

WORKDIR /app
COPY pyproject.toml README.md ./
COPY monitor ./monitor
COPY sources ./sources
COPY api ./api
COPY web ./web
COPY migrations ./migrations
RUN if [ "$BROWSER" = "1" ]; then \
        apt-get update \
        && apt-get install -y --no-install-recommends chromium fonts-dejavu-core \
        && rm -rf /var/lib/apt/lists/* \
        && pip install ".[browser]"; \
    else \
        pip install .; \
    fi \
    && useradd --system --uid 10001 --home-dir /data replywatch \
    && mkdir -p /data/reports /config \
    && chown -R replywatch /data
COPY sources.yaml /config/sources.yaml

USER replywatch
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz').status != 200)"
CMD ["replywatch", "serve", "--host", "0.0.0.0", "--port", "8000", "--worker"]
