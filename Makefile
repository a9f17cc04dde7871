# The two commands in README.md. Both install what the machine lacks first (scripts/setup is
# idempotent and quick when nothing is missing).

CARGO ?= cargo

.PHONY: all setup build lint test demo

all: test

setup:
	./scripts/setup

build: setup
	$(CARGO) build --workspace --all-targets

lint: setup
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

# The whole suite: unit tests, and integration tests against real PostgreSQL, MariaDB and
# Kafka servers that the testcontainers crate starts as local processes.
test: lint
	$(CARGO) test --workspace

# Local PostgreSQL, MariaDB and Kafka, one connector per database, a stream of changes and the
# events they become.
# Ctrl-C stops it (DEMO_SECONDS=n stops after n seconds).
demo: setup
	$(CARGO) run --quiet -p tributary --example demo
