"""`lab replay 2022`: `phases.py` deploys the 2022 run's configuration, then today's defaults, each in a lab
of its own, and measures them; `report.py` (pure) sets the rows beside the 2022 tables and writes the
`RESULT` line."""
