"""The probe image's script (images/health-probe/probe.py) against a local HTTP server: it
passes only when every URL answers 2xx, and names each one that does not."""

from __future__ import annotations

import importlib.util
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from tests.conftest import ROOT

spec = importlib.util.spec_from_file_location("probe", ROOT / "images/health-probe/probe.py")
assert spec is not None and spec.loader is not None
probe = importlib.util.module_from_spec(spec)
spec.loader.exec_module(probe)


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200 if self.path == "/ready" else 503)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    httpd = HTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()


def test_all_ready_passes(server, monkeypatch, capsys):
    monkeypatch.setenv("HEALTH_CHECK_URLS", json.dumps({"a": f"{server}/ready"}))
    monkeypatch.setenv("PROBE_ATTEMPTS", "1")
    assert probe.main() == 0
    assert "ok   a:" in capsys.readouterr().out


def test_a_503_and_a_closed_port_fail_and_are_named(server):
    failed = probe.probe(
        {"a": f"{server}/ready", "b": f"{server}/down", "c": "http://127.0.0.1:1/x"},
        attempts=2,
        delay=0,
        timeout=2,
    )
    assert failed == {"b": 503, "c": 0}


def test_nothing_to_probe_is_a_usage_error(monkeypatch):
    monkeypatch.delenv("HEALTH_CHECK_URLS", raising=False)
    assert probe.main() == 2
