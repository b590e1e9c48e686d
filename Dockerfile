# syntax=docker/dockerfile:1
# The one image of orderly: `orderly api`, `orderly worker` and `orderly migrate`
# are the same binary with a different command (see docker-compose.temporal.yml).

FROM rust:1-bookworm AS builder
# The Temporal SDK's build scripts run protoc.
RUN apt-get update \
    && apt-get install -y --no-install-recommends protobuf-compiler \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# The target directory is a cache mount, absent from the layer, so the binary
# is copied out in the same step.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p orderly \
    && install -m 0755 target/release/orderly /usr/local/bin/orderly

FROM debian:bookworm-slim
# TLS to SMTP and other HTTPS peers needs the CA bundle; nothing else is linked
# dynamically but glibc (rustls, bundled SQLite).
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --user-group \
        --home-dir /var/lib/orderly --create-home --shell /usr/sbin/nologin orderly
COPY --from=builder /usr/local/bin/orderly /usr/local/bin/orderly
# Numeric, so that orchestrators enforcing "run as non-root" can check it.
USER 10001:10001
WORKDIR /var/lib/orderly
ENV ORDERLY_DATA_DIR=/var/lib/orderly \
    ORDERLY_HTTP_ADDR=0.0.0.0:8080 \
    LOG_FORMAT=json
EXPOSE 8080
ENTRYPOINT ["orderly"]
CMD ["api"]
