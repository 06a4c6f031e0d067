# The two commands a newcomer runs; each script installs what it needs.
.PHONY: demo test

demo:
	bash scripts/demo.sh

test:
	bash scripts/test.sh
