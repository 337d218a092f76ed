# The LEFI sandbox as a container: `docker build -t lefi-sandbox .` then
# `docker run -p 8080:8080 lefi-sandbox` (scenario and clock as for `lefi-sim serve`).
# Bound beyond loopback, the admin API needs a token: `-e LEFI_ADMIN_TOKEN=...`, or the one
# printed at start-up (`docker logs`).
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY simulator ./simulator
COPY schemas ./schemas
COPY scenarios ./scenarios
RUN pip install --no-cache-dir . && rm -rf /app/simulator /app/schemas /app/scenarios
EXPOSE 8080
USER nobody
# schemas and the default scenario come from the install (share/lefi-sandbox/)
CMD ["lefi-sim", "serve", "--host", "0.0.0.0", "--port", "8080"]
