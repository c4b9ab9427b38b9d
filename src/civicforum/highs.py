"""A silent HiGHS instance for the engines' linear programs (panel selection, the table bound).

Plain Python, so that engines and Django apps can both use it.
"""

from __future__ import annotations

import os
import sys

import highspy

_banner_shown = False


def quiet_highs() -> highspy.Highs:
    """A silent HiGHS instance: the banner HiGHS prints once per process must not reach the CLI's stdout."""
    global _banner_shown
    if _banner_shown:
        highs = highspy.Highs()
    else:
        sys.stdout.flush()
        saved = os.dup(1)
        try:
            with open(os.devnull, "w") as sink:
                os.dup2(sink.fileno(), 1)
                highs = highspy.Highs()
        finally:
            os.dup2(saved, 1)
            os.close(saved)
        _banner_shown = True
    highs.silent()
    highs.setOptionValue("threads", 1)  # the models are small; a second thread costs more than it gives
    return highs
