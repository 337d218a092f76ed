# The LEFI sandbox as a container. Build and run:
#   docker build -t lefi-sandbox .
#   docker run -p 8080:8080 lefi-sandbox
#   docker run -p 8080:8080 -v "$PWD/my-scenarios:/scenarios:ro" lefi-sandbox \
#       lefi-sim serve --host 0.0.0.0 --port 8080 --scenario /scenarios/my.yaml
# The install is the README's "Local install" step for step (tests/test_install.py runs
# those steps in a fresh virtual environment): a venv, then `pip install .` into it.
# Bound to 0.0.0.0, the admin API needs a token: `-e LEFI_ADMIN_TOKEN=...`, or the one
# printed at start-up (`docker logs`); its health endpoint answers without one (liveness).
FROM python:3.11-slim

RUN useradd --create-home --uid 10001 lefi
WORKDIR /src
COPY pyproject.toml README.md ./
COPY simulator ./simulator
COPY schemas ./schemas
COPY scenarios ./scenarios
COPY docs ./docs
RUN python -m venv /opt/lefi \
    && /opt/lefi/bin/pip install --no-cache-dir . \
    && rm -rf /src
ENV PATH=/opt/lefi/bin:$PATH PYTHONUNBUFFERED=1
WORKDIR /home/lefi
USER lefi

# your scenario files: mount a folder here and pass --scenario /scenarios/<file>
VOLUME ["/scenarios"]
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/_admin/health', timeout=2)"
CMD ["lefi-sim", "serve", "--host", "0.0.0.0", "--port", "8080"]
