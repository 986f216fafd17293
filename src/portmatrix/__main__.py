"""``python -m portmatrix`` works exactly like the ``portmatrix`` script."""

from portmatrix.cli import main

main(prog_name="portmatrix")
