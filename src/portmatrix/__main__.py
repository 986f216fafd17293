"""``python -m portmatrix`` works exactly like the ``portmatrix`` script."""

from portmatrix.cli import main

if __name__ == "__main__":  # not again in the worker processes ingest spawns
    main(prog_name="portmatrix")
