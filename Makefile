# The two commands of the README. Both install what is missing first.
.PHONY: dev test setup

dev:
	scripts/dev.sh

test:
	scripts/test.sh

setup:
	scripts/setup.sh
