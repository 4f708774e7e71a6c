"""systemd notify protocol (I/O: one datagram to ``$NOTIFY_SOCKET``), no library.

``notify("READY=1")`` → bool (sent or not). Outside systemd (no ``$NOTIFY_SOCKET``) every call
is a cheap no-op returning False, so the daemon calls these unconditionally.
Protocol: sd_notify(3) — newline-separated ``KEY=VALUE`` in one AF_UNIX SOCK_DGRAM datagram;
a socket path starting with ``@`` is in the Linux abstract namespace (leading NUL byte).
"""

from __future__ import annotations

import os
import socket

#: Send timeout for the datagram (seconds): systemd reads it at once; never block the loop.
NOTIFY_SEND_TIMEOUT_S = 1.0
#: Ping the watchdog this many times per WatchdogSec (sd_watchdog_enabled(3) advises ≥ 2).
WATCHDOG_PINGS_PER_PERIOD = 2
USEC_PER_S = 1_000_000


def _address(path: str) -> str | bytes:
    return b"\0" + path[1:].encode() if path.startswith("@") else path


def notify(state: str) -> bool:
    """Send ``state`` (e.g. ``"READY=1\\nSTATUS=polling"``) to systemd; False if not sent."""
    path = os.environ.get("NOTIFY_SOCKET")
    if not path or path[0] not in "/@":
        return False
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.settimeout(NOTIFY_SEND_TIMEOUT_S)
            sock.connect(_address(path))
            sock.sendall(state.encode())
    except OSError:
        return False
    return True


def ready(status_text: str | None = None) -> bool:
    """Start-up finished (``Type=notify``)."""
    return notify("READY=1" + (f"\nSTATUS={status_text}" if status_text else ""))


def status(text: str) -> bool:
    """One-line status shown by ``systemctl status`` (newlines would end the field)."""
    return notify("STATUS=" + text.replace("\n", " "))


def watchdog() -> bool:
    """Keep-alive ping; call only when the main loop made progress (PROC-02)."""
    return notify("WATCHDOG=1")


def stopping() -> bool:
    """Shutdown began (PROC-01)."""
    return notify("STOPPING=1")


def watchdog_interval_s() -> float | None:
    """Seconds between pings (WatchdogSec / ``WATCHDOG_PINGS_PER_PERIOD``), or None when the
    watchdog is off or meant for another process (``WATCHDOG_PID`` ≠ our pid)."""
    usec = os.environ.get("WATCHDOG_USEC")
    pid = os.environ.get("WATCHDOG_PID")
    if not usec:
        return None
    try:
        if pid and int(pid) != os.getpid():
            return None
        value = int(usec)
    except ValueError:
        return None
    if value <= 0:
        return None
    return value / USEC_PER_S / WATCHDOG_PINGS_PER_PERIOD
