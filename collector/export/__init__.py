"""Open data: the table's rows and daily digests as Parquet and CSV files anyone can read without this code.

`parquet` writes the files (pure Python: the collector's zip publishes them too); `columns` says what each
column holds, with its unit; `readme` the README an export carries; `files` writes one day; `cli` is
`python -m collector.export`. The compactor's upload of each settled day is `collector.publish`.
"""
