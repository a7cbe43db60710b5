"""`python -m lab`'s command line: `parser.py` parses it and hands each command to its home, `commands.py`
holds `run`, `invoke`, `status` and `down`, `console.py` is what every command prints to. (`up` is
`lab/up.py`, `replay` is `lab/replay/`.)"""
