"""`python -m lab`'s command line: `parser.py` parses it, checks arguments and variables before anything
starts and hands each command to its home, `outcome.py` turns every command's errors into one line and a
status, `commands.py` holds `run`, `invoke`, `status` and `down`, `console.py` is what every command prints
to. (`up` is `lab/up.py`, `replay` is `lab/replay/`.)"""
