"""The stores the emulator serves, named as the whole observatory names them (boto3's service names too).

The layer is self-contained, so it keeps its own copy of this part of the vocabulary;
`tests/unit/test_vocabulary.py` checks that it agrees with the probe's and the collector's.
"""

from __future__ import annotations

from typing import Literal, get_args

Store = Literal["secretsmanager", "ssm"]

STORES: tuple[Store, ...] = get_args(Store)
