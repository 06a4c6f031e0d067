# The two commands a newcomer runs (each script installs what it needs), and the release build.
.PHONY: demo test dist verify-dist

demo:
	bash scripts/demo.sh

test:
	bash scripts/test.sh

# dist/: the manylinux2014 abi3 wheel and sdist, and the npm tarball with a glibc 2.17 binary.
dist:
	bash scripts/dist.sh

# Installs dist/ without Rust and runs the example from Python, CommonJS, ESM and TypeScript.
verify-dist:
	bash scripts/verify-dist.sh
