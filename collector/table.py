"""Re-export module, kept so `collector.table` stays importable: the table lives in the `datastore` package.

Schema `datastore.schema`, item codec `datastore.codec`, writes `datastore.writes`, reads `datastore.reads`,
digest items `datastore.digest_table`. New code imports those modules; nothing is defined here.
"""

from __future__ import annotations

from datastore.clients import resolve as _resolve  # noqa: F401  (the old private names, for callers that used them)
from datastore.codec import *  # noqa: F403
from datastore.codec import from_item as _decode  # noqa: F401
from datastore.codec import number_text as _num  # noqa: F401
from datastore.digest_table import *  # noqa: F403
from datastore.reads import *  # noqa: F403
from datastore.schema import *  # noqa: F403
from datastore.writes import *  # noqa: F403
