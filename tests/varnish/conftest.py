"""Debian's Varnish with the repository's VCL (varnish/default.vcl) in front of
a live server of the site, through a switchable TCP relay that stands for the
application going down."""

import glob
import http.client
import os
import shutil
import signal
import socket
import socketserver
import subprocess
import threading
import time
import urllib.parse
from pathlib import Path

import pytest

from tests.faults.conftest import (  # noqa: F401 (fixtures: gunicorn with production settings)
    collected_static,
    postgres_server,
    site_database,
    start_site,
)
from tests.helpers import free_port, require

VCL_DIR = Path(__file__).resolve().parents[2] / "varnish"
VARNISHD = shutil.which("varnishd") or "/usr/sbin/varnishd"


def xkey_installed():
    """varnish-modules' xkey, which default.vcl imports."""
    return bool(glob.glob("/usr/lib/*/varnish/vmods/libvmod_xkey.so"))


def fetch(url, method="GET", headers=None, body=None, source="127.0.0.1"):
    """(status, headers, body) of one request, without following redirects;
    `source` is the client's address (any of 127.0.0.0/8 on loopback)."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(
        parts.hostname, parts.port, timeout=10, source_address=(source, 0)
    )
    path = parts.path + ("?" + parts.query if parts.query else "")
    connection.request(method, path, body=body, headers=headers or {})
    response = connection.getresponse()
    result = response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    connection.close()
    return result


class Relay(socketserver.ThreadingTCPServer):
    """Forwards connections to the live server while `up`; refuses them otherwise."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, target):
        self.target = target
        self.up = True
        self.open_connections = self.most_open_connections = 0
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), RelayHandler)

    def count(self, change):
        with self.lock:
            self.open_connections += change
            self.most_open_connections = max(self.most_open_connections, self.open_connections)


class RelayHandler(socketserver.BaseRequestHandler):
    def handle(self):
        if not self.server.up:
            return  # close at once: the backend is down
        self.server.count(+1)
        try:
            self.relay()
        finally:
            self.server.count(-1)

    def relay(self):
        upstream = socket.create_connection(self.server.target)

        def pump(source, sink):
            try:
                while data := source.recv(65536):
                    sink.sendall(data)
            except OSError:
                pass
            finally:
                try:
                    sink.shutdown(socket.SHUT_WR)
                except OSError:
                    pass

        other = threading.Thread(target=pump, args=(upstream, self.request), daemon=True)
        other.start()
        pump(self.request, upstream)
        other.join(30)
        upstream.close()


class Varnish:
    """varnishd with the repository's VCL; freeze() stops it answering
    (SIGSTOP to its processes) with its cache kept, as a stalled node."""

    def __init__(self, workdir, backend_port, port=None):
        workdir.mkdir(parents=True, exist_ok=True)
        self.workdir = workdir
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        (workdir / "backend.vcl").write_text(
            "backend default {\n"
            f'  .host = "127.0.0.1"; .port = "{backend_port}";\n'
            '  .probe = { .url = "/healthz/"; .interval = 1s; .timeout = 1s;'
            " .window = 2; .threshold = 1; .initial = 1; }\n"
            "}\n"
            'acl purgers { "127.0.0.1"; }\n'
        )
        self.process = subprocess.Popen(
            [
                VARNISHD, "-F", "-j", "none", "-n", str(workdir / "n"),
                "-a", f"127.0.0.1:{self.port}", "-T", "none",
                "-p", f"vcl_path={workdir}:{VCL_DIR}", "-f", str(VCL_DIR / "default.vcl"),
                "-s", "malloc,64m",
            ],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("varnishd exited: " + self.process.stdout.read().decode())
            try:
                fetch(self.url + "/robots.txt")
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("varnishd did not answer")

    def counter(self, name):
        out = subprocess.run(
            ["varnishstat", "-n", str(self.workdir / "n"), "-1", "-f", name],
            capture_output=True, text=True, check=True,
        ).stdout
        return int(out.split()[1])

    def objects(self):
        """How many objects Varnish holds."""
        return self.counter("MAIN.n_object")

    def freeze(self):
        os.killpg(self.process.pid, signal.SIGSTOP)

    def thaw(self):
        os.killpg(self.process.pid, signal.SIGCONT)

    def stop(self):
        self.thaw()
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()


@pytest.fixture
def relay(live_server):
    host, port = live_server.url.removeprefix("http://").split(":")
    server = Relay((host, int(port)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def start_varnish(tmp_path, settings):
    """start_varnish(backend_port): a Varnish node of this test's own."""
    require(Path(VARNISHD).exists() and xkey_installed(),
            "needs Varnish: apt-get install varnish varnish-modules")
    settings.ALLOWED_HOSTS = ["*"]
    nodes = []

    def start(backend_port):
        nodes.append(Varnish(tmp_path / f"varnish-{len(nodes)}", backend_port))
        return nodes[-1]

    yield start
    for node in nodes:
        node.stop()


@pytest.fixture
def varnish(relay, start_varnish):
    return start_varnish(relay.server_address[1])
