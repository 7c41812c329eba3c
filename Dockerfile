# The onion service's image (docker-compose.yml, tor; built with `target: tor`): Debian's tor,
# run as Debian's tor user. Its keys live in the tor_keys volume, which takes this folder's owner
# and mode when it is first made. First, so that the application stays the default build.
FROM debian:bookworm-slim AS tor
RUN apt-get update \
 && apt-get install -y --no-install-recommends tor \
 && rm -rf /var/lib/apt/lists/* \
 && install -d -o debian-tor -g debian-tor -m 0700 /var/lib/tor /var/lib/tor/casework
USER debian-tor
CMD ["tor", "-f", "/etc/tor/torrc"]

# Casework application image: web (gunicorn), worker and beat run from it.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    DJANGO_SETTINGS_MODULE=config.settings.production \
    STATIC_ROOT=/app/static CASEWORK_VAR_DIR=/app/var
RUN apt-get update \
 && apt-get install -y --no-install-recommends libmagic1 poppler-utils gettext \
    age postgresql-client libreoffice-writer-nogui \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY . .
# Static files need settings to load; throw-away values are used for this one build step only.
RUN K="$(python -c 'import secrets; print(secrets.token_urlsafe(32))')" \
 && F="$(python -c 'import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())')" \
 && SECRET_KEY="$K" FIELD_ENCRYPTION_KEYS="$F" BLIND_INDEX_KEYS="$K" ACCESS_CODE_KEY="$K" TOKEN_HASH_KEY="$K" \
    CASEWORK_VAR_DIR=/tmp/build python manage.py collectstatic --noinput
RUN useradd --system --uid 10001 casework && mkdir -p /app/var && chown casework /app/var
USER casework
EXPOSE 8000
CMD ["gunicorn", "-c", "config/gunicorn.py", "config.wsgi"]
