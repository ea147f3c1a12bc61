"""`python -m streams.cli`: the `newswire` command."""

import sys

from streams.cli.main import main

sys.exit(main())
