"""Ending a process that used the Temporal SDK.

The SDK's Rust (Tokio) threads can touch the interpreter while it finalizes, which aborts a
process that had finished cleanly ("Fatal Python error: PyGILState_Release", SIGABRT; see
temporalio/sdk-python#300, seen here on the worker's SIGTERM stop). Once the work is done
and the output flushed there is nothing left to finalize, so leave without finalizing.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import NoReturn


def exit_now(code: int) -> NoReturn:
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    os._exit(code)
