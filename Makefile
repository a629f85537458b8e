# The two commands of the README. Both install what is missing first.
.PHONY: dev test setup lock

dev:
	scripts/dev.sh

test:
	scripts/test.sh

setup:
	scripts/setup.sh

# Pin the Python dependencies with hashes after changing pyproject.toml (scripts/lock.sh).
lock:
	scripts/lock.sh
