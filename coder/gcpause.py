"""Pause Python's cyclic garbage collector around bulk construction of acyclic objects.

Building hundreds of thousands of small containers (row tuples, coding
dicts) triggers the collector over and over, and each full pass walks every
live container of a large corpus: on a million words that was a quarter of a
rules-only coding run.  The objects built there hold no reference cycles, so
reference counting frees them all the same; the collector is only paused,
and resumed (if it was running) on the way out, exception or not.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Iterator

__all__ = ["gc_paused"]


@contextmanager
def gc_paused() -> Iterator[None]:
    """``with gc_paused(): ...`` runs the block with the cyclic collector disabled."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
