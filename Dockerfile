# The mock server and the conformance suite in one image, installed with the versions CI
# verified (.ci/constraints.txt). docs/ci-step.md shows how to run either.
#   docker build -t workflow-api-contracts .
#   docker run --rm -p 8080:8080 workflow-api-contracts                     # mockserver serve
#   docker run --rm workflow-api-contracts conformance run phinite --base-url ...
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
COPY . .
RUN pip install -c .ci/constraints.txt . \
    && useradd --create-home --uid 10001 mock

# Not root; the SQLite state file lands in the user's home.
USER mock
WORKDIR /home/mock
EXPOSE 8080
CMD ["mockserver", "serve", "--host", "0.0.0.0", "--port", "8080"]
