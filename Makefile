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

demo: setup
	@echo "make demo: the demo arrives with the runtime (issue: 'The runtime: sidecar binary, ...')."
	@echo "Until then, 'make test' shows the real servers starting and working."
	@exit 2
