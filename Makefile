# The two commands of the README. Both set up whatever is missing first.
.PHONY: demo test bootstrap

bootstrap:
	@bash scripts/bootstrap.sh

demo: bootstrap
	.venv/bin/newswire demo $(ARGS)

test: bootstrap
	.venv/bin/python -m pytest $(ARGS)
