# The two commands a newcomer runs (each script installs what it needs), and the release build.
.PHONY: demo test dist verify-dist lint-workflows

demo:
	bash scripts/demo.sh

test:
	bash scripts/test.sh

# dist/: per Linux target (x86_64 and arm64, glibc 2.17 and musl) an abi3 wheel and an npm
# platform package, plus the sdist and the main npm package. `make dist TARGETS="..."` builds
# only the Rust targets named.
dist:
	bash scripts/dist.sh $(TARGETS)

# Installs dist/ without Rust and runs it: natively on x86_64, under qemu-user on arm64, static
# checks of the musl binaries, the errors on platforms without a binary.
verify-dist:
	bash scripts/verify-dist.sh

lint-workflows:
	bash scripts/lint-workflows.sh
