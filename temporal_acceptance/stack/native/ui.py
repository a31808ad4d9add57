"""The Temporal UI server as a native process, pointed at the frontend."""

from __future__ import annotations

import urllib.error
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from temporal_acceptance.clients.ui_http import ui_healthy
from temporal_acceptance.core.logs import tail
from temporal_acceptance.core.waiting import wait_until
from temporal_acceptance.stack.native.layout import Layout
from temporal_acceptance.stack.native.process import ManagedProcess

UI_ENV = "acceptance"


def render_ui_config(host: str, port: int, frontend: str, namespace: str) -> dict[str, Any]:
    return {
        "temporalGrpcAddress": frontend,
        "host": host,
        "port": port,
        "enableUi": True,
        "defaultNamespace": namespace,
        "refreshInterval": "1m",
        "showTemporalSystemNamespace": False,
        # No outbound calls from a test deployment: the machine may have no internet.
        "disableNewsFetch": True,
        "notifyOnNewVersion": False,
        "auth": {"enabled": False},
        # Plain HTTP on loopback: the session cookie must not require TLS.
        "cors": {"cookieInsecure": True},
    }


class NativeUi:
    def __init__(
        self,
        binary: Callable[[], Path],
        layout: Layout,
        host: str,
        port: int,
        frontend: str,
        namespace: str,
    ) -> None:
        self.binary = binary  # provisioned lazily: stop/status never need it
        self.layout = layout
        self.host = host
        self.port = port
        self.frontend = frontend
        self.namespace = namespace
        self.process = ManagedProcess("ui", layout.pid("ui"), layout.log("ui"))

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def write_config(self) -> None:
        config_dir = self.layout.ui_dir / "config"
        config_dir.mkdir(parents=True, exist_ok=True)
        config = render_ui_config(self.host, self.port, self.frontend, self.namespace)
        (config_dir / f"{UI_ENV}.yaml").write_text(yaml.safe_dump(config, sort_keys=False))

    def start(self, timeout: float = 30.0) -> None:
        self.write_config()
        self.process.start(
            [str(self.binary()), "--root", str(self.layout.ui_dir), "--env", UI_ENV, "start"],
            cwd=self.layout.ui_dir,
        )
        wait_until(
            self.healthy,
            what=f"the Temporal UI at {self.url}/healthz to answer OK",
            timeout=timeout,
            errors=(OSError, urllib.error.URLError, ValueError, RuntimeError),
            hint=lambda: f"tail of {self.process.log_file}:\n{tail(self.process.log_file)}",
        )

    def healthy(self) -> bool:
        self.process.require_running()
        return ui_healthy(self.url)

    def stop(self) -> None:
        self.process.stop(timeout=15.0)

    def kill(self) -> None:
        self.process.kill()
