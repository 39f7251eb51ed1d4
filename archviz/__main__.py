"""`python -m archviz` is the `archviz` command."""

from .cli import main

main()
