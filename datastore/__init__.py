"""The observatory's data layer: every format the measurements are kept in, each with one owner.

One module per concern, imported by the collector and compactor Lambdas (whose zip carries this package), the
dashboard, the lab, tools, bench and tests; collector/README.md describes the table and the digests in full.
Nothing here imports pandas or numpy at import time (only `reads.rows_to_frame` does, lazily), so the
Lambdas' zip stays lean.

| module | owns |
|---|---|
| `vocabulary` | the closed vocabulary (`Literal` types) of records and rows |
| `clients` | lazily created boto3 clients; which endpoint and which table (from the environment) |
| `schema` | the table: its columns and dtypes, its keys and index, `table_definition`, `create_table` |
| `codec` | one row <-> one DynamoDB item (keys, packed attributes, warm samples) |
| `writes` | `write_rows`: idempotent, all-or-nothing writes of one record's rows |
| `reads` | `read_rows`, `iter_day_rows`, `iter_hour_rows`: rows back as the typed DataFrame or one by one |
| `sketch` | the quantile sketch (DDSketch bins at 1 %) and its wire form |
| `digest` | the digest of one probe and bucket, per store and metric; merge (a week: the merge of its days) |
| `digesting` | rows of a day (or hour) folded into one digest per probe |
| `digest_wire` | the digest wire format (short keys): encoded and decoded here only |
| `digest_table` | digests in the table: items, shards, `write_digests`, `read_digests`, `digested_days` |
| `digest_hours` | hourly digests of today: `write_hour_digests`, `read_hour_wires`, `digested_hours` |
"""
