"""Two reads at once: one in the calling thread, the other in a thread of its own that runs in the Streamlit
session's context when there is one (so its `st.cache_data` spinner shows).

While the table answers one read, this process decodes the other: late in the day, 90 days × 40 probes on the
lab's endpoint, today and the closed days took 2.7 s one after the other and 1.6 s side by side (measured).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

Here = TypeVar("Here")
There = TypeVar("There")


def side_by_side(here: Callable[[], Here], there: Callable[[], There]) -> tuple[Here, There]:
    """`here()` in this thread and `there()` in another, at the same time; `here`'s error, if any, is the one
    raised (put the read that fails first on an unreachable table here), else `there`'s."""
    context = _script_context()
    with ThreadPoolExecutor(max_workers=1) as pool:
        there_result = pool.submit(_in_context, context, there)
        here_result = here()
        return here_result, there_result.result()


def _script_context() -> Any:
    """The running Streamlit script's context, or None (the bench, tests, no Streamlit)."""
    try:
        from streamlit.runtime.scriptrunner import get_script_run_ctx
    except ImportError:
        return None
    return get_script_run_ctx(suppress_warning=True)


def _in_context(context: Any, read: Callable[[], There]) -> There:
    if context is not None:
        from streamlit.runtime.scriptrunner import add_script_run_ctx

        add_script_run_ctx(threading.current_thread(), context)
    return read()
