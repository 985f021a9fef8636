"""Starts the built service (``node dist/cli.js serve``) on a free port for the tests."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Dict, Optional

ROOT = Path(__file__).resolve().parents[3]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Service:
    def __init__(self, env: Optional[Dict[str, str]] = None) -> None:
        node = shutil.which("node")
        if node is None:
            raise RuntimeError("node is not on PATH")
        cli = ROOT / "dist" / "cli.js"
        if not cli.exists():
            raise RuntimeError("build the service first (npm run build)")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # Toolsets in memory: test services never share a store (nor read one a user left).
        full_env = {"PATH": os.environ.get("PATH", ""), "RLAR_THREADS": "2", "RLAR_LOG_LEVEL": "warn", "RLAR_DATA_DIR": ":memory:", **(env or {})}
        full_env.update({"PORT": str(self.port), "HOST": "127.0.0.1"})
        self.process = subprocess.Popen([node, str(cli), "serve"], cwd=ROOT, env=full_env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.time() + 20
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the service exited: {self.process.stderr.read().decode()}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("the service did not start")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        if self.process.stderr:
            self.process.stderr.close()
