# refnet: build with `docker build -t refnet:latest .` (or `docker compose build`).
#
# Build stage: Rust ≥ 1.88 (edition 2024). Dependencies are compiled first against a
# skeleton of the crate, so that layer is reused until Cargo.toml or Cargo.lock change.
FROM rust:1-bookworm AS build
WORKDIR /src

COPY Cargo.toml Cargo.lock build.rs ./
# Cargo.toml declares a [[bench]] and an [[example]]: their files must exist for Cargo to
# read the manifest, so the skeleton has stand-ins for them too. Afterwards the skeleton's
# own fingerprints are removed, so the real sources are compiled whatever their mtimes.
RUN mkdir -p src benches examples \
 && echo 'fn main() {}' > src/main.rs \
 && touch src/lib.rs \
 && echo 'fn main() {}' > benches/bench.rs \
 && echo 'fn main() {}' > examples/fake_s2.rs \
 && cargo build --release --locked --bin refnet \
 && rm -rf src benches examples target/release/.fingerprint/refnet-*

# templates/ is read by askama and migrations/ embedded by sqlx::migrate! at compile time.
COPY src ./src
COPY templates ./templates
COPY migrations ./migrations
COPY benches ./benches
COPY examples ./examples
COPY refnet.example.toml ./
RUN cargo build --release --locked --bin refnet

# Runtime stage: the binary, CA certificates and an unprivileged user.
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 refnet \
 && useradd --system --uid 10001 --gid refnet --create-home --home-dir /home/refnet \
      --shell /usr/sbin/nologin refnet \
 && mkdir /vault \
 && chown refnet:refnet /vault

COPY --from=build /src/target/release/refnet /usr/local/bin/refnet

# A named volume mounted on /vault starts with this folder's owner, so refnet can write it.
# Two malloc arenas instead of glibc's eight per core: memory freed by one thread is
# reused by the others (a 100,000-paper render peaks ~65 MiB lower; BENCHMARKS.md). refnet
# sets the same itself when this is unset; it is spelled out here to be seen.
ENV REFNET_VAULT=/vault \
    REFNET_BIND=0.0.0.0:8080 \
    MALLOC_ARENA_MAX=2
WORKDIR /home/refnet
USER 10001:10001
EXPOSE 8080

ENTRYPOINT ["refnet"]
CMD ["serve"]
