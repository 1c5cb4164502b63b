"""moto's HTTP server with the exact emulator installed in the same process.

Any SDK or the AWS CLI pointed at :attr:`EmulatorServer.endpoint_url` gets cwquery's answers::

    with EmulatorServer(port=0) as server:
        logs = boto3.client("logs", endpoint_url=server.endpoint_url, region_name="us-east-1")

:func:`serve` runs one in the foreground until SIGINT or SIGTERM (``cwquery emulator``).
"""

from __future__ import annotations

import signal
import socket
import threading
from collections.abc import Callable
from types import FrameType, TracebackType
from typing import Any

from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.moto_server.threaded_moto_server import ThreadedMotoServer

from cwquery.emulator.errors import EmulatorError
from cwquery.emulator.patch import install, is_installed, uninstall

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 4566
DEFAULT_REGION = "us-east-1"


class EmulatorServer:
    """A moto server (in a thread) answering with cwquery's filter patterns.

    ``port=0`` picks a free port; read the real one from :attr:`port` after :meth:`start`.
    """

    def __init__(self, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> None:
        self.host = host
        self._requested_port = port
        self._server: ThreadedMotoServer | None = None
        self._installed_here = False

    @property
    def port(self) -> int:
        """The port the server listens on (the requested one until started)."""
        if self._server is None:
            return self._requested_port
        return self._server.get_host_and_port()[1]

    @property
    def endpoint_url(self) -> str:
        """``http://host:port`` for ``endpoint_url=`` / ``--endpoint-url``."""
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> EmulatorServer:
        """Install the patch and start listening.

        Raises:
            EmulatorError: the address cannot be bound.
        """
        if self._server is not None:
            return self
        self._installed_here = not is_installed()
        install()
        try:
            _check_bindable(self.host, self._requested_port)
        except OSError as err:
            self._release()
            raise EmulatorError(
                f"cannot listen on {self.host}:{self._requested_port}: {err}"
            ) from err
        server = ThreadedMotoServer(ip_address=self.host, port=self._requested_port, verbose=False)
        server.start()
        self._server = server
        return self

    def stop(self) -> None:
        """Stop listening and restore moto if this server installed the patch."""
        server, self._server = self._server, None
        if server is not None:
            server.stop()
        self._release()

    def _release(self) -> None:
        if self._installed_here:
            uninstall()
            self._installed_here = False

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def _check_bindable(host: str, port: int) -> None:
    """Fail early on an address in use: moto's server thread would die without telling."""
    if port == 0:
        return
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))


def logs_backend(region: str = DEFAULT_REGION, account: str = DEFAULT_ACCOUNT_ID) -> Any:
    """moto's logs backend that a server request with default credentials reaches."""
    from moto.logs.models import logs_backends

    return logs_backends[account][region]


def serve(
    server: EmulatorServer,
    *,
    on_ready: Callable[[EmulatorServer], None] | None = None,
    stop: threading.Event | None = None,
) -> None:
    """Start ``server``, call ``on_ready``, and block until SIGINT/SIGTERM (or ``stop`` is set);
    then stop the server. Signal handlers are installed only in the main thread."""
    stop = stop or threading.Event()
    previous: dict[signal.Signals, Any] = {}

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.signal(signum, request_stop)
    try:
        server.start()
        if on_ready is not None:
            on_ready(server)
        while not stop.wait(0.2):
            pass
    finally:
        server.stop()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
