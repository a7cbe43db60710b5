"""The probe Lambda: times secret and parameter retrieval for one strategy, every store it supports.

Importable as `functions.probe` (repository, tests) and as `probe` (root of the deployed zip, handler
`probe.handler.handler`); modules inside use relative imports only.
"""
