"""The lab endpoint's DynamoDB Query, in time proportional to what it matches, as DynamoDB's is.

moto answers every Query by sorting the whole table (`Table.all_items`), then, for an index, sorting every
item of the partition again, and only then applying the sort-key condition — per page. At 23:30 on a day of
40 probes every 5 minutes (27,000 rows), reading the open hour's 573 rows through the `by_day` index took
2.3 s, for a Query DynamoDB answers from the key range alone; the dashboard's late-day first load was bound by
it (`python -m bench dashboard`).

`install()` makes `Table.query` start from the items its key condition selects — the partition, and the
sort-key range when the condition has one — instead of the sorted table: the table's own partition taken by
its hash key, an index's found in one unsorted pass, the sort-key bounds cast once per Query. moto does
everything else as before on that shorter list (its own hash and range checks again, the order, pages, limits,
filters, projections), so the items returned are the same; only work on items the key condition excludes is
skipped. The candidates are handed over per thread (the endpoint serves requests on a thread pool), and every
other caller of `all_items` (Scan, exports, backups) is unchanged. Checked against moto's own answers in
tests/functional/lab_endpoint/test_dynamodb_query.py.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

_local = threading.local()
_installed: dict[str, Callable[..., Any]] = {}


def install() -> None:
    """Patch moto's `Table.query` and `Table.all_items` (idempotent)."""
    from moto.dynamodb.models.table import Table

    if _installed:
        return
    _installed["query"], _installed["all_items"] = Table.query, Table.all_items
    Table.query = _query  # type: ignore[method-assign]
    Table.all_items = _all_items  # type: ignore[method-assign]


def uninstall() -> None:
    """moto's own `Table.query` and `Table.all_items` again."""
    from moto.dynamodb.models.table import Table

    if _installed:
        Table.query = _installed.pop("query")  # type: ignore[method-assign]
        Table.all_items = _installed.pop("all_items")  # type: ignore[method-assign]


def _query(
    self: Any, hash_key: Any, range_comparison: Any, range_objs: Any, *args: Any, **kwargs: Any
) -> Any:
    forward = (args[2] if len(args) > 2 else kwargs.get("scan_index_forward", True)) is not False
    index_name = args[4] if len(args) > 4 else kwargs.get("index_name")
    selector = _selector(self, hash_key, range_comparison, range_objs, index_name, forward, kwargs)
    _local.selected = (self, selector)
    try:
        return _installed["query"](self, hash_key, range_comparison, range_objs, *args, **kwargs)
    finally:
        _local.selected = None


def _all_items(self: Any) -> Any:
    selected = getattr(_local, "selected", None)
    if selected is not None and selected[0] is self and selected[1] is not None:
        return selected[1]()
    return _installed["all_items"](self)


def _selector(
    table: Any,
    hash_key: Any,
    range_comparison: Any,
    range_objs: Any,
    index_name: Any,
    forward: bool,
    kwargs: dict[str, Any],
) -> Callable[[], list[Any]] | None:
    """What `all_items` returns inside this Query, or None (moto's own sorted table) for a key condition this
    module does not read: the partition's items the sort-key condition matches, and the first ones past them
    in the Query's direction (moto's loop meets them next: when the page is full there, it hands back a
    LastEvaluatedKey, as DynamoDB does when its Limit is reached)."""
    if index_name:
        hash_conditions = kwargs.get("hash_key_conditions")
        if not hash_conditions:
            return None  # moto then matches every item: leave it to moto
        index = table.get_index(index_name)
        range_keys = [k["AttributeName"] for k in index.schema if k["KeyType"] == "RANGE"]
        range_conditions = kwargs.get("range_key_conditions") or []
        if len(range_keys) > 1 or len(range_conditions) > 1:
            range_attr = None  # a multi-attribute sort key: select on the partition only
        elif range_conditions:
            range_attr = range_conditions[0][0]  # the attribute moto compares
        else:
            range_attr = range_keys[0] if range_keys else None

        def partition_items() -> list[Any]:  # one pass; as moto's: without the attribute, not in the index
            return [
                item
                for hash_set in table.items.values()
                for item in (hash_set.values() if table.range_key_attr else (hash_set,))
                if all(bool(item.attrs.get(k)) and item.attrs[k] == v for k, v in hash_conditions)
            ]
    else:
        range_attr = table.range_key_attr

        def partition_items() -> list[Any]:  # the table's own partition, held under its hash key
            held = table.items.get(hash_key)  # .get: table.items is a defaultdict; never add a key here
            if held is None:
                return []
            return list(held.values()) if table.range_key_attr else [held]

    def selected() -> list[Any]:
        partition = partition_items()
        if not (range_comparison and range_attr):
            return partition
        from moto.dynamodb.comparisons import get_comparison_func

        # what DynamoType.compare does per item, with the bounds cast once per Query, not once per item
        compare = get_comparison_func(range_comparison)
        bounds = [bound.cast_value for bound in range_objs]
        matched: list[tuple[Any, Any]] = []  # (sort-key value, item)
        past: list[tuple[Any, Any]] = []
        for item in partition:
            value = item.attrs.get(range_attr)
            if not value:
                continue  # not in the index: moto leaves it out too
            key = value.value if value.type == "S" else value.cast_value  # a string's cast_value is itself
            (matched if compare(key, *bounds) else past).append((key, item))
        if not matched:
            return []  # nothing to page through: moto's loop ends with no LastEvaluatedKey either way
        edge = max(k for k, _ in matched) if forward else min(k for k, _ in matched)
        beyond = [(k, i) for k, i in past if (k > edge if forward else k < edge)]
        chosen = [i for _, i in matched]
        if beyond:  # the first of them in moto's order: every item at the nearest sort-key value
            nearest = (min if forward else max)(k for k, _ in beyond)
            chosen += [i for k, i in beyond if k == nearest]
        return chosen

    return selected
