# The two commands of the README. Both set up whatever is missing first.
.PHONY: demo test bootstrap bootstrap-test

bootstrap:
	@bash scripts/bootstrap.sh

bootstrap-test:
	@bash scripts/bootstrap.sh --test

demo: bootstrap
	.venv/bin/newswire demo $(ARGS)

test: bootstrap-test
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/python -m pytest $(ARGS)
