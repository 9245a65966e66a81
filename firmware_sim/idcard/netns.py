"""Connecting to a TCP port inside another network namespace (that of an isolated pcscd).

setns(2) changes the namespace of the calling thread only, so the socket is made on a short-lived
thread that enters the namespace and ends; the socket keeps its namespace and serves any thread.
Python 3.11 has no os.setns, hence ctypes. Needs root (CAP_SYS_ADMIN).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import socket
import threading
from pathlib import Path

CLONE_NEWNET = 0x40000000


def connect_in_namespace(netns: Path, host: str, port: int, timeout: float) -> socket.socket:
    result: list[socket.socket | BaseException] = []

    def connect() -> None:
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
            descriptor = os.open(netns, os.O_RDONLY)
            try:
                if libc.setns(descriptor, CLONE_NEWNET) != 0:
                    error = ctypes.get_errno()
                    raise OSError(error, f"setns({netns}): {os.strerror(error)}")
            finally:
                os.close(descriptor)
            result.append(socket.create_connection((host, port), timeout=timeout))
        except BaseException as err:  # handed to the caller's thread
            result.append(err)

    worker = threading.Thread(target=connect, name="netns-connect")
    worker.start()
    worker.join()
    outcome = result[0]
    if isinstance(outcome, BaseException):
        raise outcome
    return outcome
