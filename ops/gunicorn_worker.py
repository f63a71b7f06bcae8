"""gunicorn's threaded worker, recycled without dropping a client's request.

Stock ``gthread`` recycles a worker after ``max_requests`` by leaving its event loop at once: connections it
holds open for keep-alive, and connections it accepted but had not read yet, are closed when the process
exits. A client that had just sent a request on one of them (a browser or the load test reusing its
connection) gets "connection reset" — the 0 / 7 / 2 errors of issue #25, one burst per recycle.

This worker drains instead: once it has served its ``max_requests`` it stops accepting connections (the
other workers take them), answers every request still arriving on its open connections with
``Connection: close``, lets idle keep-alive connections expire as at any other time, and exits when it holds
no connection — or after ``graceful_timeout`` at the latest.

It also closes an expired keep-alive connection only if its client has not sent anything on it: stock gthread
closes it even when a request is already waiting in the socket (the client reused the connection just as the
``keepalive`` seconds ran out, likelier the busier the machine), and a socket closed with unread data answers
the client with a reset.
"""

from __future__ import annotations

import socket
import sys
import time

from gunicorn.workers.gthread import ThreadWorker


class DrainingThreadWorker(ThreadWorker):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # The stock worker stops dead when self.nr reaches self.max_requests (jitter included); keep that
        # number for the drain and never let the stock check fire.
        self.recycle_after = self.max_requests
        self.max_requests = sys.maxsize
        self.drain_deadline: float | None = None

    def notify(self) -> None:
        """Called by the event loop at least once a second: start or finish the drain."""
        super().notify()
        if self.drain_deadline is None:
            if self.nr >= self.recycle_after:
                self.start_drain()
        elif self.nr_conns <= 0 or time.monotonic() > self.drain_deadline:
            self.alive = False

    def start_drain(self) -> None:
        self.log.info("Draining worker %s after %s requests before it is recycled", self.pid, self.nr)
        self.drain_deadline = time.monotonic() + self.cfg.graceful_timeout
        self.max_keepalived = 0  # every response from now on says Connection: close
        with self._lock:
            for sock in self.sockets:
                self.poller.unregister(sock)

    def murder_keepalived(self) -> None:
        """Close keep-alive connections idle for ``keepalive`` seconds, except those with a request waiting
        (the event loop hands those to a thread on its next turn)."""
        now = time.time()
        with self._lock:
            expired = [conn for conn in self._keep if conn.timeout <= now]
        for conn in expired:
            if _request_waiting(conn.sock):
                continue
            with self._lock:
                try:
                    self._keep.remove(conn)
                except ValueError:  # its request arrived meanwhile and is being handled
                    continue
                try:
                    self.poller.unregister(conn.sock)
                except (OSError, KeyError, ValueError):
                    pass
            self.nr_conns -= 1
            conn.close()


def _request_waiting(sock: socket.socket) -> bool:
    """Whether the client sent bytes not read yet (False when it closed the connection or nothing came)."""
    try:
        return bool(sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT))
    except OSError:  # BlockingIOError: nothing waiting; others: the connection is gone
        return False
