"""docker-compose.yml, read as compose reads it (PyYAML; there is no container
engine here): every variable the README documents reaches the services that
read it, every long-running service is health-checked, two of each part, TLS
in front, and its HAProxy and Varnish configurations are valid."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from deploy.run_production import compose_environment, interpolate
from tests.helpers import require

ROOT = Path(__file__).resolve().parents[2]
APP_SERVICES = ["web-1", "web-2", "worker", "beat", "migrate"]

# Variables of the README's "Production" table that no application process
# reads: where compose uses each.
DEPLOYMENT_VARIABLES = {
    "POSTGRES_PASSWORD": [("postgres", "environment")],
    "WEB_CONCURRENCY": [("web-1", "environment"), ("web-2", "environment")],
    "VARNISH_MEMORY": [("cache-1", "environment"), ("cache-2", "environment")],
    "HTTPS_PORT": [("haproxy", "ports")],
    "HTTP_PORT": [("haproxy", "ports")],
    "TLS_CERTIFICATE_DIR": [("haproxy", "volumes"), ("tls", "volumes")],
}


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def readme_variables():
    """{section (## heading): [variable, …]} of every table row of README.md naming a variable."""
    sections, current = {}, None
    for line in (ROOT / "README.md").read_text().splitlines():
        if line.startswith("## "):
            current = line[3:].strip()
        match = re.match(r"^\| `([A-Z][A-Z0-9_]+)` \|", line)
        if match:
            sections.setdefault(current, []).append(match.group(1))
    return sections


def deployment_variables():
    return set(readme_variables().get("Production", []))


def application_variables():
    return {name for section, names in readme_variables().items() if section != "Production"
            for name in names}


def mentions(value, name):
    return re.search(r"\$\{" + name + r"\b", yaml.safe_dump(value)) is not None


def test_the_readme_documents_the_variables():
    assert {"SECRET_KEY", "DATABASE_QUERY_TIMEOUT", "MEDIA_S3_BUCKET"} <= application_variables()
    assert deployment_variables() == set(DEPLOYMENT_VARIABLES)


@pytest.mark.parametrize("service", APP_SERVICES)
def test_every_readme_variable_reaches_the_application(compose, service):
    environment = compose["services"][service]["environment"]
    missing = sorted(application_variables() - set(environment))
    assert not missing, f"{service} is not given {missing}"
    for name, value in environment.items():
        # A variable passed on from the operator's environment keeps its name.
        for used in re.findall(r"\$\{(\w+)", str(value or "")):
            assert used == name or name in {"DATABASE_URL"}, (name, value)


@pytest.mark.parametrize("name", sorted(DEPLOYMENT_VARIABLES))
def test_every_deployment_variable_reaches_its_service(compose, name):
    for service, key in DEPLOYMENT_VARIABLES[name]:
        value = compose["services"][service][key]
        assert (key == "environment" and name in value) or mentions(value, name), (name, service)


def test_the_settings_caches_and_the_tls_proxy_read_reach_them(compose):
    services = compose["services"]
    for cache in ("cache-1", "cache-2"):
        assert "ALLOWED_HOSTS" in services[cache]["environment"]  # the probe's Host
    assert "SITE_URL" in services["haproxy"]["environment"]  # where plain HTTP goes


def test_every_long_running_service_is_health_checked(compose):
    for name, service in compose["services"].items():
        if service.get("restart") == "no":  # one-off: migrate, the certificate
            continue
        assert "healthcheck" in service, f"{name} has no health check"
        assert service["healthcheck"]["test"], name


def test_two_of_each_part_and_beat_active_on_one(compose):
    services = compose["services"]
    assert {"web-1", "web-2", "cache-1", "cache-2"} <= set(services)
    assert services["worker"]["deploy"]["replicas"] == 2
    assert services["beat"]["deploy"]["replicas"] == 2
    assert "--scheduler=redbeat.RedBeatScheduler" in services["beat"]["command"]
    environment = services["worker"]["environment"]
    # Both caches are purged; each names both replicas.
    assert environment["FRONTEND_CACHE_URLS"] == "http://cache-1:8080,http://cache-2:8080"
    for cache in ("cache-1", "cache-2"):
        assert services[cache]["environment"]["VARNISH_LISTEN"] == ":8080"
        assert services[cache]["environment"]["VARNISH_BACKENDS"] == "web-1:8000,web-2:8000"
    haproxy = services["haproxy"]["environment"]
    assert (haproxy["CACHE_1"], haproxy["CACHE_2"]) == ("cache-1:8080", "cache-2:8080")
    # HAProxy, then Varnish, append to X-Forwarded-For.
    assert environment["TRUSTED_PROXY_COUNT"] == "2"
    # Uploads in the shared object storage, never on one replica's disk.
    assert environment["MEDIA_S3_BUCKET"] == "${MEDIA_S3_BUCKET:-media}"
    assert not any("media" in str(volume) for name in ("web-1", "web-2")
                   for volume in services[name].get("volumes", []))


def test_only_the_tls_proxy_is_published_and_it_cannot_purge(compose):
    services = compose["services"]
    published = {name for name, service in services.items() if service.get("ports")}
    assert published == {"haproxy"}
    assert services["haproxy"]["networks"] == ["edge"]
    subnet = compose["networks"]["app"]["ipam"]["config"][0]["subnet"]
    for cache in ("cache-1", "cache-2"):
        assert services[cache]["environment"]["VARNISH_PURGERS"] == subnet
        assert set(services[cache]["networks"]) == {"edge", "app"}
    for name in APP_SERVICES:
        assert services[name]["networks"] == ["app"]


def compose_values(service):
    """A service's environment as compose would make it from a typical .env."""
    given = {
        "SECRET_KEY": "x" * 50, "ALLOWED_HOSTS": "news.example.org",
        "SITE_URL": "https://news.example.org", "POSTGRES_PASSWORD": "p",
        "AWS_ACCESS_KEY_ID": "key", "AWS_SECRET_ACCESS_KEY": "secret",
        "DEFAULT_FROM_EMAIL": "Claims Portal <news@example.org>",
    }
    return compose_environment(service, given)


def test_compose_interpolation_as_run_production_reads_it():
    env = {"SET": "value", "EMPTY": ""}
    assert interpolate("${SET:-d}|${EMPTY:-d}|${EMPTY-d}|${UNSET-d}|$$HOST", env) == (
        "value|d||d|$HOST"
    )
    with pytest.raises(SystemExit, match="say why"):
        interpolate("${EMPTY:?say why}", env)
    web = compose_values("web-1")
    assert web["DEBUG"] == "0" and web["SECURE_SSL_REDIRECT"] == "1"
    assert web["DATABASE_URL"] == "postgres://portal:p@postgres:5432/portal"
    assert web["MEDIA_S3_ENDPOINT_URL"] == "http://s3:8333"
    assert "EMAIL_HOST" not in web  # unset: the site's default, not an empty string


def test_the_haproxy_configuration_is_valid(tmp_path):
    haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"
    require(Path(haproxy).exists(), "needs HAProxy (apt-get install haproxy)")
    subprocess.run(["sh", str(ROOT / "deploy" / "tls-certificate.sh"), str(tmp_path)],
                   env={"PATH": "/usr/bin:/bin", "ALLOWED_HOSTS": "news.example.org"},
                   check=True, capture_output=True)
    environment = compose_values("haproxy")
    environment.update(PATH="/usr/bin:/bin", TLS_CERTIFICATE=str(tmp_path) + "/")
    result = subprocess.run([haproxy, "-c", "-f", str(ROOT / "deploy" / "haproxy.cfg")],
                            env=environment, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    certificate = subprocess.run(
        ["openssl", "x509", "-noout", "-ext", "subjectAltName", "-in",
         str(tmp_path / "selfsigned.pem")], capture_output=True, text=True, check=True,
    ).stdout
    assert "DNS:news.example.org" in certificate and "IP Address:127.0.0.1" in certificate


def test_compose_varnish_configuration_compiles(tmp_path):
    varnishd = shutil.which("varnishd") or "/usr/sbin/varnishd"
    require(Path(varnishd).exists(), "needs Varnish (apt-get install varnish varnish-modules)")
    environment = compose_values("cache-1")
    # Compose's host names resolve only inside its network.
    environment["VARNISH_BACKENDS"] = environment["VARNISH_BACKENDS"].replace("web-", "127.0.0.")
    backend = subprocess.run(["sh", str(ROOT / "varnish" / "backend-vcl.sh")], env=environment,
                             capture_output=True, text=True, check=True).stdout
    assert backend.count("backend web_") == 2
    assert '"Host: news.example.org"' in backend and "/healthz/?check=database" in backend
    assert '"172.30.89.0"/24;' in backend
    (tmp_path / "backend.vcl").write_text(backend)
    result = subprocess.run(
        [varnishd, "-C", "-j", "none", "-n", str(tmp_path / "n"),
         "-p", f"vcl_path={tmp_path}:{ROOT / 'varnish'}", "-f", str(ROOT / "varnish/default.vcl")],
        capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stderr[-2000:]
