"""Settings: one frozen object built once from the environment.

Nothing else in onlive reads ``os.environ``. Every variable, its default and
its meaning is listed in the README's Configuration section.
"""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from orchestrator.errors import ConfigError
from orchestrator.version import LIVEKIT_VERSION

MAX_TOKEN_TTL = 15 * 60
#: Where Debian's ``postgresql`` package installs the server binaries.
POSTGRES_LIB = Path("/usr/lib/postgresql")
_ORG_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")


def _default_postgres_bin() -> Path:
    """The newest PostgreSQL server Debian installed (``/usr/lib/postgresql/N/bin``)."""
    found = sorted((int(d.name), d / "bin") for d in POSTGRES_LIB.glob("*")
                   if d.name.isdigit() and (d / "bin" / "postgres").exists())
    return found[-1][1] if found else POSTGRES_LIB / "15" / "bin"


DEFAULT_POSTGRES_BIN = _default_postgres_bin()


def _default_livekit_bin() -> str:
    return str(Path.home() / ".cache" / "onlive" / f"livekit-v{LIVEKIT_VERSION}" / "livekit-server")


#: What ``ONLIVE_EVENT_LOOP`` may name (``orchestrator.root.dev.run_worker``).
EVENT_LOOPS = ("uvloop", "asyncio")


@dataclass(frozen=True, slots=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8080
    public_url: str = ""  # derived from host:port when empty
    state_dir: Path = Path(".state")
    secret: str = field(default="", repr=False)  # signs join tickets and credentials
    # redis://onlive:PASSWORD@host:port/0; None: ``onlive dev`` starts redis-server
    redis_url: str | None = field(default=None, repr=False)
    redis_port: int = 6390
    # postgresql://...; None: ``onlive dev`` starts postgres in STATE_DIR/postgres
    database_url: str | None = field(default=None, repr=False)
    postgres_port: int = 5440
    postgres_bin: Path = DEFAULT_POSTGRES_BIN  # the directory of initdb and postgres
    database_pool_size: int = 10
    # The organisation CLI commands act on when they are given no --org.
    org: str = "default"
    livekit_url: str | None = None  # ws://...; None: ``onlive dev`` starts livekit-server
    livekit_api_key: str = ""
    livekit_api_secret: str = field(default="", repr=False)
    livekit_port: int = 7880
    livekit_udp_port: int = 7882
    livekit_bin: Path = Path(_default_livekit_bin())
    # Short: a token for a room someone was moved out of opens it only this long.
    token_ttl: int = 2 * 60
    ticket_ttl: int = 12 * 60 * 60
    anonymity_threshold: int = 5
    allowed_origins: tuple[str, ...] = ()
    log_level: str = "INFO"
    log_json: bool = True
    # The worker's event loop: uvloop (libuv, in C) or Python's own asyncio loop.
    event_loop: str = "uvloop"
    # A pass's timer lease: its lifetime and how often its holder renews it. A
    # killed worker's deadlines fire at most lease_ms + 0.1 s late (scheduler.py).
    lease_ms: int = 700
    lease_renew_ms: int = 200
    # SIGTERM: stop intake, answer what is in flight, tell clients to reconnect
    # elsewhere, hand leases over, close; the process exits within this many seconds.
    shutdown_grace: float = 4.0
    # How long an archived pass's live keys stay in Redis (seconds); 0 keeps them.
    pass_retention: int = 7 * 24 * 3600
    # Pairing meetings kept per program in Redis (the archive keeps them all).
    history_max: int = 50_000
    # Alert and audit streams keep entries this many days (and at most 10,000).
    stream_retention_days: int = 90
    echo_capacity: int = 4
    echo_idle_timeout: float = 30.0
    echo_max_duration: float = 90.0  # an echo test ends after this many seconds, whatever
    # The echo peer gathers only 127.0.0.1 candidates (a loopback deployment).
    media_loopback: bool = True
    # The addresses the echo peer binds and offers as ICE candidates, for browsers
    # elsewhere (like LiveKit's rtc.node_ip); empty: as media_loopback says.
    media_ips: tuple[str, ...] = ()
    # smtp://[user:password@]host:port (smtps:// for TLS, smtp+starttls://); None: mail
    # waits in the outbox (``onlive dev`` runs a local mail sink and sets it).
    smtp_url: str | None = field(default=None, repr=False)
    mail_from: str = "onlive <onlive@localhost>"
    # A LiveKit webhook created longer ago than this is refused as a replay.
    webhook_max_age: int = 300
    # Limits per worker: a socket must join a namespace (show a valid credential)
    # within auth_timeout seconds; a credential may hold this many connections;
    # events a second (and burst) per connection and per credential.
    auth_timeout: float = 5.0
    connections_per_credential: int = 5
    event_rate: float = 5.0
    event_burst: int = 40
    credential_event_rate: float = 10.0
    credential_event_burst: int = 80
    # Staff single sign-on with OpenID Connect; no issuer: staff use the CLI's links only.
    oidc_issuer: str | None = None
    oidc_client_id: str = ""
    oidc_client_secret: str = field(default="", repr=False)
    # Roles come from a claim listing onlive's role names, or from groups mapped to roles.
    oidc_role_claim: str = "roles"
    oidc_group_claim: str = "groups"
    oidc_group_roles: tuple[tuple[str, str], ...] = ()
    # The organisation whose admin and leadership pages signed-in staff open.
    oidc_org: str = ""
    session_ttl: int = 8 * 60 * 60

    def __post_init__(self) -> None:
        if not 1 <= self.port <= 65535:
            raise ConfigError(f"ONLIVE_PORT must be 1-65535, not {self.port}")
        if not 60 <= self.token_ttl <= MAX_TOKEN_TTL:
            raise ConfigError(f"ONLIVE_TOKEN_TTL must be 60-{MAX_TOKEN_TTL} seconds, "
                              f"not {self.token_ttl}")
        if not 10 <= self.echo_max_duration <= 600:
            raise ConfigError("ONLIVE_ECHO_MAX_DURATION must be 10-600 seconds, "
                              f"not {self.echo_max_duration:g}")
        if self.event_loop not in EVENT_LOOPS:
            raise ConfigError(f"ONLIVE_EVENT_LOOP must be {' or '.join(EVENT_LOOPS)}, "
                              f"not {self.event_loop!r}")
        if self.echo_capacity < 1:
            raise ConfigError("ONLIVE_ECHO_CAPACITY must be at least 1")
        if self.anonymity_threshold < 2:
            raise ConfigError("ONLIVE_ANONYMITY_THRESHOLD must be at least 2")
        if not 1 <= self.postgres_port <= 65535:
            raise ConfigError(f"ONLIVE_POSTGRES_PORT must be 1-65535, not {self.postgres_port}")
        if not 2 <= self.database_pool_size <= 100:
            raise ConfigError("ONLIVE_DATABASE_POOL_SIZE must be 2-100, "
                              f"not {self.database_pool_size}")
        if self.database_url is not None and not self.database_url.startswith(
                ("postgresql://", "postgres://")):
            raise ConfigError("ONLIVE_DATABASE_URL must be a postgresql:// URL")
        if not _ORG_ID.fullmatch(self.org):
            raise ConfigError(f"ONLIVE_ORG must be 1-40 lower-case letters, digits or '-', "
                              f"not {self.org!r}")
        if self.smtp_url is not None and not self.smtp_url.startswith(
                ("smtp://", "smtps://", "smtp+starttls://")):
            raise ConfigError("ONLIVE_SMTP_URL must be an smtp://, smtps:// or "
                              "smtp+starttls:// URL")
        for address in self.media_ips:
            try:
                ipaddress.IPv4Address(address)
            except ValueError:
                raise ConfigError("ONLIVE_MEDIA_IPS takes IPv4 addresses separated by commas, "
                                  f"not {address!r}") from None
        if not 200 <= self.lease_ms <= 60_000:
            raise ConfigError(f"ONLIVE_LEASE_MS must be 200-60000, not {self.lease_ms}")
        if not 20 <= self.lease_renew_ms <= self.lease_ms // 2:
            raise ConfigError(f"ONLIVE_LEASE_RENEW_MS must be 20 to half of ONLIVE_LEASE_MS "
                              f"({self.lease_ms // 2}), not {self.lease_renew_ms}")
        if not 0.5 <= self.shutdown_grace <= 120:
            raise ConfigError(f"ONLIVE_DRAIN_TIMEOUT must be 0.5-120 seconds, "
                              f"not {self.shutdown_grace:g}")
        if self.pass_retention < 0:
            raise ConfigError("ONLIVE_PASS_RETENTION must be 0 (keep) or more seconds")
        if self.history_max < 1000:
            raise ConfigError(f"ONLIVE_HISTORY_MAX must be at least 1000, not {self.history_max}")
        if self.stream_retention_days < 1:
            raise ConfigError("ONLIVE_STREAM_RETENTION_DAYS must be at least 1")
        if not 0.5 <= self.auth_timeout <= 60:
            raise ConfigError(f"ONLIVE_AUTH_TIMEOUT must be 0.5-60 seconds, not {self.auth_timeout}")
        if not 1 <= self.connections_per_credential <= 1000:
            raise ConfigError("ONLIVE_CONNECTIONS_PER_CREDENTIAL must be 1-1000, "
                              f"not {self.connections_per_credential}")
        if min(self.event_rate, self.credential_event_rate) <= 0 \
                or min(self.event_burst, self.credential_event_burst) < 1:
            raise ConfigError("ONLIVE_EVENT_RATE and ONLIVE_CREDENTIAL_EVENT_RATE must be "
                              "positive and their bursts at least 1")
        if not 10 <= self.webhook_max_age <= 3000:
            raise ConfigError("ONLIVE_WEBHOOK_MAX_AGE must be 10-3000 seconds, "
                              f"not {self.webhook_max_age}")
        if self.oidc_issuer is not None:
            if not self.oidc_issuer.startswith(("https://", "http://127.0.0.1",
                                                "http://localhost")):
                raise ConfigError("ONLIVE_OIDC_ISSUER must be an https:// URL (http only on "
                                  "loopback)")
            if not self.oidc_client_id or not self.oidc_client_secret:
                raise ConfigError("single sign-on needs ONLIVE_OIDC_CLIENT_ID and "
                                  "ONLIVE_OIDC_CLIENT_SECRET")
        staff = {"facilitator", "admin", "ops", "leadership"}
        for group, role in self.oidc_group_roles:
            if role not in staff:
                raise ConfigError(f"ONLIVE_OIDC_GROUP_ROLES maps {group!r} to {role!r}; a role "
                                  f"is one of {sorted(staff)}")
        if not 300 <= self.session_ttl <= 7 * 24 * 3600:
            raise ConfigError("ONLIVE_SESSION_TTL must be 300-604800 seconds")
        if self.livekit_api_secret and len(self.livekit_api_secret) < 32:
            raise ConfigError("the LiveKit API secret must have at least 32 characters")

    @property
    def base_url(self) -> str:
        return self.public_url or f"http://{self.host}:{self.port}"

    @property
    def origins(self) -> tuple[str, ...]:
        return self.allowed_origins or (self.base_url,)

    @property
    def secure_cookies(self) -> bool:
        """Cookies are Secure unless the pages are served over plain http on loopback."""
        return not self.base_url.startswith(("http://127.0.0.1", "http://localhost"))

    @property
    def livekit_http_url(self) -> str:
        url = self.livekit_url or f"ws://127.0.0.1:{self.livekit_port}"
        return url.replace("ws://", "http://", 1).replace("wss://", "https://", 1)

    @property
    def webhook_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/webhooks/livekit"

    def with_services(self, *, redis_url: str, livekit_url: str, api_key: str,
                      api_secret: str, database_url: str | None = None) -> Settings:
        """A copy pointing at services that were started for us."""
        return replace(self, redis_url=redis_url, livekit_url=livekit_url,
                       livekit_api_key=api_key, livekit_api_secret=api_secret,
                       database_url=database_url or self.database_url)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env

        def num(name: str, default: int) -> int:
            raw = env.get(name)
            if raw is None or raw == "":
                return default
            try:
                return int(raw)
            except ValueError:
                raise ConfigError(f"{name} must be a whole number, not {raw!r}") from None

        def dec(name: str, default: float, what: str = "a number") -> float:
            raw = env.get(name)
            if raw is None or raw == "":
                return default
            try:
                return float(raw)
            except ValueError:
                raise ConfigError(f"{name} must be {what}, not {raw!r}") from None

        def seconds(name: str, default: float) -> float:
            return dec(name, default, "a number of seconds")

        state_dir = Path(env.get("ONLIVE_STATE_DIR", ".state"))
        secret = env.get("ONLIVE_SECRET") or _installation_secret(state_dir)
        origins = tuple(o.strip() for o in env.get("ONLIVE_ALLOWED_ORIGINS", "").split(",")
                        if o.strip())
        return cls(
            host=env.get("ONLIVE_HOST", "127.0.0.1"),
            port=num("ONLIVE_PORT", 8080),
            public_url=env.get("ONLIVE_PUBLIC_URL", "").rstrip("/"),
            state_dir=state_dir,
            secret=secret,
            redis_url=env.get("ONLIVE_REDIS_URL") or None,
            redis_port=num("ONLIVE_REDIS_PORT", 6390),
            database_url=env.get("ONLIVE_DATABASE_URL") or None,
            postgres_port=num("ONLIVE_POSTGRES_PORT", 5440),
            postgres_bin=Path(env.get("ONLIVE_POSTGRES_BIN") or DEFAULT_POSTGRES_BIN),
            database_pool_size=num("ONLIVE_DATABASE_POOL_SIZE", 10),
            org=env.get("ONLIVE_ORG") or "default",
            livekit_url=env.get("ONLIVE_LIVEKIT_URL") or None,
            livekit_api_key=env.get("ONLIVE_LIVEKIT_API_KEY", ""),
            livekit_api_secret=env.get("ONLIVE_LIVEKIT_API_SECRET", ""),
            livekit_port=num("ONLIVE_LIVEKIT_PORT", 7880),
            livekit_udp_port=num("ONLIVE_LIVEKIT_UDP_PORT", 7882),
            livekit_bin=Path(env.get("ONLIVE_LIVEKIT_BIN", _default_livekit_bin())),
            token_ttl=num("ONLIVE_TOKEN_TTL", 2 * 60),
            ticket_ttl=num("ONLIVE_TICKET_TTL", 12 * 60 * 60),
            anonymity_threshold=num("ONLIVE_ANONYMITY_THRESHOLD", 5),
            allowed_origins=origins,
            log_level=env.get("ONLIVE_LOG_LEVEL", "INFO").upper(),
            log_json=env.get("ONLIVE_LOG_FORMAT", "json") != "text",
            event_loop=env.get("ONLIVE_EVENT_LOOP", "uvloop").strip().lower(),
            echo_capacity=num("ONLIVE_ECHO_CAPACITY", 4),
            lease_ms=num("ONLIVE_LEASE_MS", 700),
            lease_renew_ms=num("ONLIVE_LEASE_RENEW_MS", 200),
            shutdown_grace=seconds("ONLIVE_DRAIN_TIMEOUT", 4.0),
            pass_retention=num("ONLIVE_PASS_RETENTION", 7 * 24 * 3600),
            history_max=num("ONLIVE_HISTORY_MAX", 50_000),
            stream_retention_days=num("ONLIVE_STREAM_RETENTION_DAYS", 90),
            echo_idle_timeout=float(num("ONLIVE_ECHO_IDLE_TIMEOUT", 30)),
            echo_max_duration=float(num("ONLIVE_ECHO_MAX_DURATION", 90)),
            smtp_url=env.get("ONLIVE_SMTP_URL") or None,
            mail_from=env.get("ONLIVE_MAIL_FROM") or "onlive <onlive@localhost>",
            oidc_issuer=(env.get("ONLIVE_OIDC_ISSUER") or "").rstrip("/") or None,
            oidc_client_id=env.get("ONLIVE_OIDC_CLIENT_ID", ""),
            oidc_client_secret=env.get("ONLIVE_OIDC_CLIENT_SECRET", ""),
            oidc_role_claim=env.get("ONLIVE_OIDC_ROLE_CLAIM") or "roles",
            oidc_group_claim=env.get("ONLIVE_OIDC_GROUP_CLAIM") or "groups",
            oidc_group_roles=_pairs(env.get("ONLIVE_OIDC_GROUP_ROLES", "")),
            oidc_org=env.get("ONLIVE_OIDC_ORG") or env.get("ONLIVE_ORG") or "default",
            session_ttl=num("ONLIVE_SESSION_TTL", 8 * 60 * 60),
            media_ips=tuple(a.strip() for a in env.get("ONLIVE_MEDIA_IPS", "").split(",")
                            if a.strip()),
            webhook_max_age=num("ONLIVE_WEBHOOK_MAX_AGE", 300),
            auth_timeout=dec("ONLIVE_AUTH_TIMEOUT", 5.0),
            connections_per_credential=num("ONLIVE_CONNECTIONS_PER_CREDENTIAL", 5),
            event_rate=dec("ONLIVE_EVENT_RATE", 5.0),
            event_burst=num("ONLIVE_EVENT_BURST", 40),
            credential_event_rate=dec("ONLIVE_CREDENTIAL_EVENT_RATE", 10.0),
            credential_event_burst=num("ONLIVE_CREDENTIAL_EVENT_BURST", 80),
            media_loopback=env.get("ONLIVE_MEDIA_LOOPBACK",
                                   "1" if env.get("ONLIVE_HOST", "127.0.0.1") == "127.0.0.1"
                                   else "0") == "1",
        )


def _pairs(text: str) -> tuple[tuple[str, str], ...]:
    """``a=b,c=d`` as pairs; a group name may hold any character but ``,`` and ``=``."""
    out = []
    for item in (i.strip() for i in text.split(",") if i.strip()):
        group, eq, role = item.rpartition("=")
        if not eq or not group.strip():
            raise ConfigError(f"ONLIVE_OIDC_GROUP_ROLES takes GROUP=ROLE pairs, not {item!r}")
        out.append((group.strip(), role.strip()))
    return tuple(out)


def _installation_secret(state_dir: Path) -> str:
    """The signing secret of this installation, created once with mode 0600."""
    path = state_dir / "secret"
    if path.exists():
        return path.read_text().strip()
    state_dir.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(value)
    return value
