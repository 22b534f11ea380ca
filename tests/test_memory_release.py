"""gate.memory.release: returns freed heap pages between stages and never changes a result."""

import platform
import sys

import numpy as np

from gate import memory


def test_release_finds_malloc_trim_on_glibc_and_is_safe_to_repeat():
    """On glibc the process's own malloc_trim is found (elsewhere there is none and release does
    nothing); releasing twice, with live arrays around, leaves their values as they were."""
    glibc = sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"
    assert (memory._malloc_trim() is not None) == glibc
    live = np.arange(1_000_000, dtype=np.int64)
    freed = np.ones(4_000_000)
    del freed
    memory.release()
    memory.release()
    assert int(live.sum()) == 999_999 * 1_000_000 // 2
