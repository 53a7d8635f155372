"""Benchmark: a newsletter digest sent by a real Celery worker, against raw smtplib.

    .venv/bin/python bench/newsletter_digest.py            (10,000 then 100,000)
    .venv/bin/python bench/newsletter_digest.py --sizes 2000

What it does, all on this machine's loopback:

1. drops and recreates its own PostgreSQL database (bench_newsletter), migrates
   it, and loads six published items in two categories and the subscribers (a
   third each: every topic, "Update" only, "Management info" only);
2. starts Postfix's `smtp-sink` (C; installed from Debian's postfix package
   when missing, with no Postfix daemon configured or left running), which
   accepts and discards every message, fast enough not to be the bottleneck;
3. for each size: the ceiling first, raw smtplib sending one pre-built digest's
   bytes to every address over one connection; then a real worker
   (`celery -A portal_site worker`, prefork, DEBUG off) through Redis: from
   building the digest until every delivery is marked sent, the building of
   the Delivery rows included;
4. prints messages per second, the ratio worker/raw, and the worker's peak
   memory (the largest VmHWM of its processes);
5. the batch path: the same digests through an email service's batch API
   (EMAIL_PROVIDER=mailgun, NEWSLETTER_BATCH_SIZE recipients a call) to a
   stand-in for Mailgun's sending API on loopback (tests/email_service_standin.py,
   which checks the format and counts; no service is reachable from here):
   messages per second and API calls;
6. then the admin CSV import of 50,000 new rows through the same worker: the
   dry run (a verdict per row) and, once confirmed, the import, each timed
   from queueing its task until the job says it is finished.

Targets (issues 3 and 20): ratio >= 0.6; peak worker memory under 300 MB and
flat from 10,000 to 100,000 subscribers; (issue 13) the 50,000-row import, dry
run and import together, in under 60 s. The exit status is 1 when one is
missed. Needs PostgreSQL (BENCH_DATABASE_URL) and Redis (BENCH_REDIS_URL, a
database number of its own: the benchmark empties it).
"""

import argparse
import datetime
import os
import re
import secrets
import shutil
import signal
import smtplib
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import free_port, recreate_database  # noqa: E402

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/bench_newsletter"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/6"
TARGET_RATIO = 0.6
MAX_PEAK_MB = 300
FLAT_TOLERANCE = 1.25  # 100,000's peak may be at most this times 10,000's
MAX_IMPORT_SECONDS = 60


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes", default="10000,100000", help="subscriber counts, ascending [10000,100000]"
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        default=os.cpu_count(),
        help="worker processes; Celery's default, the number of CPUs [%(default)s]",
    )
    parser.add_argument("--chunk-size", type=int, default=500, help="deliveries per task [500]")
    parser.add_argument(
        "--batch-size",
        type=int,
        default=500,
        help="recipients per API call on the batch path; 0 skips the batch path [500]",
    )
    parser.add_argument(
        "--max-per-second",
        type=int,
        default=0,
        help="NEWSLETTER_MAX_PER_SECOND for the workers (the shared limit in Redis) [0: none]",
    )
    parser.add_argument(
        "--import-rows",
        type=int,
        default=50_000,
        help="rows of the admin CSV import measured after the digests; 0 skips it [50000]",
    )
    return parser.parse_args()


# --- environment ---------------------------------------------------------------------------


def environment(database_url, redis_url, smtp_port, chunk_size):
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in {"CELERY_BROKER_URL", "EMAIL_HOST_USER", "EMAIL_HOST_PASSWORD"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="portal_site.settings",
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        SITE_URL="https://news.example.org",
        LOG_LEVEL="WARNING",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp_port),
        NEWSLETTER_CHUNK_SIZE=str(chunk_size),
        CACHE_KEY_PREFIX="bench",
        DEFAULT_FROM_EMAIL="Claims Portal <news@news.example.org>",
    )
    return env


# --- the SMTP sink -------------------------------------------------------------------------


def find_smtp_sink():
    """Postfix's smtp-sink, installed from Debian's postfix package when
    missing, with debconf's "No configuration": nothing is set up and no
    Postfix daemon runs (stopped if the package started one)."""
    found = shutil.which("smtp-sink") or shutil.which("smtp-sink", path="/usr/sbin")
    if found is None and os.geteuid() == 0 and shutil.which("apt-get"):
        print("bench: installing Debian's postfix (for smtp-sink) with apt-get")
        quiet = {"stdout": subprocess.DEVNULL, "stdin": subprocess.DEVNULL}
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(
            ["debconf-set-selections"],
            input=b"postfix postfix/main_mailer_type select No configuration\n",
            check=False,
        )
        subprocess.run(["apt-get", "update", "-qq"], env=env, check=False, **quiet)
        subprocess.run(["apt-get", "install", "-y", "-qq", "postfix"], env=env, check=False,
                       **quiet)
        if subprocess.run(["postfix", "status"], capture_output=True).returncode == 0:
            subprocess.run(["postfix", "stop"], check=False, **quiet)
        found = shutil.which("smtp-sink", path="/usr/sbin:/usr/bin")
    if found is None:
        sys.exit("bench: smtp-sink (Debian's postfix package) is not installed")
    return found


class SmtpSink:
    """smtp-sink on a loopback port; counts the messages it accepted."""

    def __init__(self, path, port):
        self.output = tempfile.NamedTemporaryFile(prefix="smtp-sink-", suffix=".log")
        user = ["-u", "nobody"] if os.geteuid() == 0 else []
        self.process = subprocess.Popen(
            [path, "-c", *user, f"127.0.0.1:{port}", "256"],
            stdout=self.output, stderr=subprocess.STDOUT, start_new_session=True,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                smtplib.SMTP("127.0.0.1", port, timeout=2).quit()
                break
            except OSError:
                if time.monotonic() > deadline:
                    sys.exit("bench: smtp-sink did not start")
                time.sleep(0.1)
        self.base = self.count()

    def cpu(self):
        return cpu_seconds([self.process.pid])

    def count(self):
        """Messages accepted so far (smtp-sink -c prints mesg=N)."""
        found = re.findall(rb"mesg=(\d+)", Path(self.output.name).read_bytes())
        return int(found[-1]) if found else 0

    def stop(self):
        os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=10)
        self.output.close()


# --- data ----------------------------------------------------------------------------------


def load_items():
    from django.utils import timezone

    from news.models import Category, NewsItem

    update = Category.objects.create(name="Update", slug="update", order=1)
    mi = Category.objects.create(name="Management info", slug="management-info", order=2)
    now = timezone.now()
    for n in range(6):
        NewsItem.objects.create(
            title=f"Insurer Index v{232 + n}" if n % 2 == 0 else f"Management information {n}",
            category=update if n % 2 == 0 else mi,
            date=timezone.localdate(),
            summary="The Claims Portal has been updated. This release covers the Insurer "
            "Index, changes to the process for claims and the management information for "
            "the month, which is now available to download from this page.",
            status=NewsItem.Status.PUBLISHED,
            published_at=now - datetime.timedelta(hours=n + 1),
        )
    return update, mi


def add_subscribers(first, last, update, mi):
    from django.db import transaction
    from django.utils import timezone

    from newsletter.models import Subscriber

    long_ago = timezone.now() - datetime.timedelta(days=60)
    through = Subscriber.topics.through
    with transaction.atomic():
        for start in range(first, last, 10_000):
            subscribers = Subscriber.objects.bulk_create(
                Subscriber(
                    email=f"reader{n:06d}@example.com",
                    status=Subscriber.Status.CONFIRMED,
                    frequency="weekly",
                    confirmed_at=long_ago,
                    digested_until=long_ago,
                )
                for n in range(start, min(start + 10_000, last))
            )
            through.objects.bulk_create(
                through(subscriber_id=s.pk, category_id=(update.pk if n % 3 == 1 else mi.pk))
                for n, s in enumerate(subscribers, start=start)
                if n % 3
            )


def reset_subscribers():
    from django.db import connection
    from django.utils import timezone

    from newsletter.models import Subscriber

    Subscriber.objects.update(digested_until=timezone.now() - datetime.timedelta(days=60))
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


# --- the two senders -----------------------------------------------------------------------


def prebuilt_digest_bytes():
    """One subscriber's digest as the worker would send it, rendered in-process."""
    from django.utils import timezone

    from news.selectors import published_since
    from newsletter.emails import DigestRenderer
    from newsletter.models import Digest, Subscriber

    subscriber = Subscriber.objects.order_by("pk").first()  # every topic
    digest = Digest(pk=0, frequency="weekly", period="baseline", until=timezone.now())
    items = published_since(subscriber.digested_until).select_related("category")
    renderer = DigestRenderer(digest, items)
    # The bytes the worker's fast path sends (newsletter.fast_send).
    data = renderer.message_bytes(subscriber, renderer.items_for(subscriber.digested_until, None))
    return renderer.from_email, data


def raw_smtplib(port, count, from_email, data):
    """(seconds, CPU seconds of this process) to send `data` to `count` addresses."""
    cpu = cpu_seconds([os.getpid()])
    started = time.perf_counter()
    connection = smtplib.SMTP("127.0.0.1", port)
    for n in range(count):
        connection.sendmail(from_email, [f"reader{n:06d}@example.com"], data)
    connection.quit()
    return time.perf_counter() - started, cpu_seconds([os.getpid()]) - cpu


def cpu_seconds(pids):
    """User and system CPU time the processes have used, in seconds."""
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def process_tree(pid):
    pids = [pid]
    for task in Path(f"/proc/{pid}/task").iterdir():
        children = (task / "children").read_text().split()
        for child in children:
            pids.extend(process_tree(int(child)))
    return pids


def peak_memory_mb(pids):
    """(largest, total) peak resident memory of the processes, in MB."""
    peaks = []
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except FileNotFoundError:
            continue
        match = re.search(r"^VmHWM:\s+(\d+) kB", status, re.M)
        if match:
            peaks.append(int(match.group(1)) / 1024)
    return max(peaks, default=0.0), sum(peaks)


def start_worker(env, concurrency):
    return subprocess.Popen(
        [
            str(Path(sys.executable).parent / "celery"),
            "-A",
            "portal_site",
            "worker",
            "--pool=prefork",
            f"--concurrency={concurrency}",
            "--without-gossip",
            "--without-mingle",
            "--loglevel=WARNING",
            f"--hostname=bench-{os.getpid()}@%h",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )


def wait_for_worker(app, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if app.control.ping(timeout=0.5):
            return
    sys.exit("bench: the worker did not start")


def worker_run(env, concurrency):
    from newsletter import digests, schedules, tasks
    from newsletter.models import Delivery
    from portal_site.celery import app

    worker = start_worker(env, concurrency)
    try:
        wait_for_worker(app)
        digest = schedules.forced_digest("weekly")
        cpu = cpu_seconds(process_tree(worker.pid))
        started = time.perf_counter()
        tasks.build_and_send(digest.pk)
        peak = total = 0.0
        open_rows = Delivery.objects.filter(
            digest=digest, status__in=[Delivery.Status.PENDING, Delivery.Status.SENDING]
        )
        # Cheap checks (an index lookup), so that watching does not slow the worker.
        while open_rows.exists() or not Delivery.objects.filter(digest=digest).exists():
            time.sleep(0.2)
            largest, together = peak_memory_mb(process_tree(worker.pid))
            peak, total = max(peak, largest), max(total, together)
            if time.perf_counter() - started > 3600:
                sys.exit(f"bench: worker run did not finish: {digests.Progress.of(digest)}")
        elapsed = time.perf_counter() - started
        cpu = cpu_seconds(process_tree(worker.pid)) - cpu
        largest, together = peak_memory_mb(process_tree(worker.pid))
        peak, total = max(peak, largest), max(total, together)
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=60)
    return elapsed, digests.Progress.of(digest).by_status, peak, total, cpu


def import_run(env, concurrency, rows):
    """(dry-run seconds, import seconds, added) of a CSV import of `rows` new rows."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from newsletter import imports
    from newsletter.models import Subscriber, SubscriberImport
    from newsletter.tasks import check_import, run_import
    from portal_site.celery import app

    lines = ["email,frequency,topics"] + [
        f"import{n:06d}@example.org,{'weekly' if n % 2 else 'monthly'},{'update' if n % 3 else ''}"
        for n in range(rows)
    ]
    upload = SimpleUploadedFile("bench.csv", "\n".join(lines).encode(), content_type="text/csv")
    before = Subscriber.objects.count()
    worker = start_worker(env, concurrency)
    try:
        wait_for_worker(app)
        job = imports.create(upload)
        started = time.perf_counter()
        check_import.delay(job.pk)
        wait_for_import(job, SubscriberImport.Status.CHECKED)
        checked = time.perf_counter() - started
        assert imports.confirm(job)
        started = time.perf_counter()
        run_import.delay(job.pk)
        wait_for_import(job, SubscriberImport.Status.DONE)
        imported = time.perf_counter() - started
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=60)
    return checked, imported, Subscriber.objects.count() - before


def wait_for_import(job, status, timeout=600):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job.refresh_from_db(fields=["status", "error"])
        if job.status == status:
            return
        time.sleep(0.1)
    sys.exit(f"bench: the import is still {job.status} after {timeout}s")


def batch_environment(env, standin, batch_size):
    """The worker's environment for the batch path: Anymail's Mailgun backend
    pointed at the stand-in."""
    return {
        **env,
        "EMAIL_PROVIDER": "mailgun",
        "EMAIL_PROVIDER_API_KEY": standin.api_key,
        "EMAIL_PROVIDER_API_URL": standin.api_url,
        "NEWSLETTER_BATCH_SIZE": str(batch_size),
    }


def main():
    args = parse_args()
    sizes = sorted(int(size) for size in args.sizes.split(","))
    database_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)
    redis_url = os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL)
    sink_path = find_smtp_sink()
    port = free_port()
    env = environment(database_url, redis_url, port, args.chunk_size)
    if args.max_per_second:
        env["NEWSLETTER_MAX_PER_SECOND"] = str(args.max_per_second)
    os.environ.update(env)

    import redis

    redis.Redis.from_url(redis_url).flushdb()
    recreate_database(database_url)

    import django

    django.setup()
    from django.core.management import call_command

    from tests.email_service_standin import MailgunStandIn

    call_command("migrate", verbosity=0)
    update, mi = load_items()

    sink = SmtpSink(sink_path, port)
    standin = MailgunStandIn(personalise=False).start() if args.batch_size else None
    results, batch_results = [], []
    loaded = 0
    try:
        for size in sizes:
            add_subscribers(loaded, size, update, mi)
            loaded = size
            reset_subscribers()
            from_email, data = prebuilt_digest_bytes()
            before, sink_cpu = sink.count(), sink.cpu()
            raw_seconds, raw_cpu = raw_smtplib(port, size, from_email, data)
            time.sleep(0.5)  # smtp-sink prints its counters as sessions end
            raw_sink_cpu = sink.cpu() - sink_cpu
            assert sink.count() - before == size, "the sink lost messages"
            before, sink_cpu = sink.count(), sink.cpu()
            # Every subscriber has something new: a third each of all, Update, MI.
            seconds, counts, peak, total, cpu = worker_run(env, args.concurrency)
            time.sleep(0.5)
            received, sink_cpu = sink.count() - before, sink.cpu() - sink_cpu
            raw_rate, rate = size / raw_seconds, size / seconds
            results.append((size, rate, raw_rate, peak))
            print(
                f"bench: {size:>7,} subscribers: worker {seconds:6.1f}s = {rate:6.0f} msg/s; "
                f"raw smtplib {raw_seconds:6.1f}s = {raw_rate:6.0f} msg/s; "
                f"ratio {rate / raw_rate:.2f}; worker peak memory {peak:.0f} MB a process, "
                f"{total:.0f} MB all {args.concurrency + 1} processes; "
                f"smtp-sink received {received:,}; deliveries {counts}\n"
                f"bench: {size:>7,} CPU a message: worker {cpu / size * 1e6:.0f} us "
                f"(smtp-sink {sink_cpu / size * 1e6:.0f} us); raw smtplib "
                f"{raw_cpu / size * 1e6:.0f} us (smtp-sink {raw_sink_cpu / size * 1e6:.0f} us)",
                flush=True,
            )
            if standin is None:
                continue
            reset_subscribers()
            calls = len(standin.calls)
            seconds, counts, peak, _, cpu = worker_run(
                batch_environment(env, standin, args.batch_size), args.concurrency
            )
            calls = standin.calls[calls:]
            batch_results.append((size, seconds, len(calls), peak))
            print(
                f"bench: {size:>7,} subscribers through the batch API (stand-in): "
                f"{seconds:6.1f}s = {size / seconds:6.0f} msg/s in {len(calls):,} calls "
                f"of up to {max(calls, default=0)} recipients; worker peak memory "
                f"{peak:.0f} MB, CPU {cpu / size * 1e6:.0f} us a message; "
                f"refused calls {len(standin.refused)}; deliveries {counts}",
                flush=True,
            )
    finally:
        sink.stop()
        if standin is not None:
            standin.stop()

    import_result = None
    if args.import_rows:
        checked, imported, added = import_run(env, args.concurrency, args.import_rows)
        import_result = (checked, imported, added)
        print(
            f"bench: import of {args.import_rows:,} rows: dry run {checked:.1f}s, "
            f"import {imported:.1f}s, together {checked + imported:.1f}s "
            f"= {args.import_rows / (checked + imported):,.0f} rows/s; {added:,} added",
            flush=True,
        )

    print(
        f"\nbench: message size {len(data):,} bytes; worker --concurrency={args.concurrency}, "
        f"chunks of {args.chunk_size}; the ceiling sends the same bytes over one connection "
        f"to the same smtp-sink; NEWSLETTER_MAX_PER_SECOND={args.max_per_second or 'none'}."
    )
    failed = False
    for size, rate, raw_rate, peak in results:
        ratio = rate / raw_rate
        ok = ratio >= TARGET_RATIO and peak < MAX_PEAK_MB
        failed |= not ok
        print(
            f"  {size:>7,}: ratio {ratio:.2f} (target >= {TARGET_RATIO}), "
            f"peak {peak:.0f} MB (target < {MAX_PEAK_MB}) {'ok' if ok else 'MISSED'}"
        )
    if len(results) > 1:
        flat = results[-1][3] <= results[0][3] * FLAT_TOLERANCE
        failed |= not flat
        print(
            f"  memory {results[0][3]:.0f} MB -> {results[-1][3]:.0f} MB: "
            f"{'flat' if flat else 'NOT flat'}"
        )
    for size, seconds, calls, _ in batch_results:
        print(f"  batch path {size:>7,}: {size / seconds:,.0f} msg/s, {calls:,} API calls")
    if import_result is not None:
        checked, imported, added = import_result
        ok = checked + imported < MAX_IMPORT_SECONDS and added == args.import_rows
        failed |= not ok
        print(
            f"  import: {checked + imported:.1f}s for {added:,} of {args.import_rows:,} rows "
            f"(target < {MAX_IMPORT_SECONDS}s, all added) {'ok' if ok else 'MISSED'}"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
