"""Allow ``python -m hardhull``."""

from hardhull.cli.main import main

main()
