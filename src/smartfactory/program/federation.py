"""Federation without raw data: signed KPI summaries from a factory to a programme server.

Factory side: :func:`build_summary` turns the factory store into additive buckets per site ×
local day (the KPI engine's sums, and completed orders), keeps only the fields of the
indicators the company consented to share (:data:`INDICATORS`), and :func:`sign` signs the
body with the company's Ed25519 key. :func:`publish` posts it with the company's token.

Programme side: :func:`receive` checks, in order, the token (which company), the signature
(the company's registered public key), the time stamp (± ``max_skew_s``), the nonce (never
seen) and the sequence number (above the last one), and that every field belongs to an
indicator the body says was consented; only then are the buckets stored. A summary never
carries a raw record, and a field that is not a known bucket is refused, so none can be
stored.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import secrets
import time
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb

from ..errors import ConfigError, FederationError
from ..kpi.engine import KpiQuery, compute
from ..store.db import Store
from .registry import normalise_brn
from .schema import SUMMARY_FIELDS, ProgramDB

logger = logging.getLogger(__name__)

SCHEMA = "smartfactory.program.summary/1"

#: what a company can consent to share → the bucket fields it needs (additive sums)
INDICATORS: dict[str, tuple[str, ...]] = {
    "productivity": ("gq", "apt_s", "asut_s", "adet_s"),
    "quality": ("pq", "sq", "rq"),
    "oee": ("period_s", "pbt_s", "apt_s", "ideal_s", "pq", "gq"),
    "delivery": (
        "orders_done",
        "orders_on_time",
        "orders_with_due",
        "orders_with_lead",
        "lead_time_s",
    ),
    "maintenance": ("apt_s", "adet_s", "adot_s", "failures"),
}
assert all(f in SUMMARY_FIELDS for fs in INDICATORS.values() for f in fs)


def fields_for(indicators: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """The bucket fields of the consented indicators (an unknown indicator is an error)."""
    unknown = [i for i in indicators if i not in INDICATORS]
    if unknown:
        raise ConfigError(f"unknown indicator(s) {unknown}; choose from {list(INDICATORS)}")
    return tuple(f for f in SUMMARY_FIELDS if any(f in INDICATORS[i] for i in indicators))


# -- factory side --------------------------------------------------------------------------


@dataclass(frozen=True)
class SiteLink:
    """A factory site (its ISA-95 enterprise and site) and its name in the programme."""

    enterprise: str
    site: str
    program_site: str


@dataclass(frozen=True)
class Consent:
    """A factory's federation config (TOML): who it is, where it publishes, what it shares."""

    company_id: str
    server: str
    token: str
    key: Path
    indicators: tuple[str, ...]
    sites: tuple[SiteLink, ...] = field(default_factory=tuple)

    @classmethod
    def load(cls, path: Path) -> Consent:
        """Read ``federation.toml``; relative key paths are relative to the file."""
        try:
            data = tomllib.loads(Path(path).read_text("utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"cannot read federation config {path}: {exc}") from exc
        missing = [k for k in ("company_id", "server", "indicators", "sites") if k not in data]
        if missing:
            raise ConfigError(f"federation config {path} lacks {', '.join(missing)}")
        token = data.get("token") or os.environ.get("SMARTFACTORY_PROGRAM_TOKEN", "")
        if not token:
            raise ConfigError(
                f"federation config {path}: set token (or SMARTFACTORY_PROGRAM_TOKEN)"
            )
        key = Path(data.get("key", "federation.key"))
        indicators = tuple(data["indicators"])
        fields_for(indicators)
        return cls(
            company_id=normalise_brn(data["company_id"]),
            server=str(data["server"]).rstrip("/"),
            token=token,
            key=key if key.is_absolute() else Path(path).parent / key,
            indicators=indicators,
            sites=tuple(
                SiteLink(s["enterprise"], s["site"], s.get("program_site", s["site"]))
                for s in data["sites"]
            ),
        )


def generate_key(path: Path) -> str:
    """Write a new Ed25519 private key (PEM, readable by the owner only); return the public
    key (PEM) to register with the programme server."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    if path.exists():
        raise ConfigError(f"{path} exists; remove it first to make a new key")
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
    return public_key_of(path)


def _private_key(path: Path) -> Any:
    from cryptography.hazmat.primitives import serialization

    try:
        return serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read the signing key {path}: {exc}") from exc


def public_key_of(path: Path) -> str:
    from cryptography.hazmat.primitives import serialization

    return (
        _private_key(path)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def canonical(body: dict[str, Any]) -> bytes:
    """The bytes that are signed: sorted keys, no spaces, UTF-8."""
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sign(body: dict[str, Any], key_path: Path) -> dict[str, Any]:
    """The envelope to post: the body and its Ed25519 signature (base64)."""
    signature = _private_key(key_path).sign(canonical(body))
    return {"body": body, "signature": base64.b64encode(signature).decode()}


def site_day_buckets(
    store: Store, enterprise: str, site: str, start: datetime, end: datetime
) -> list[dict[str, Any]]:
    """Additive buckets of one site per local day in [start, end): the KPI engine's sums and
    the orders completed that day (on time against their due date, and their lead time from
    received, or planned start where receipt is unknown, to completion)."""
    machines = tuple(
        r["machine"]
        for r in store.rows(
            "SELECT machine FROM equipment WHERE enterprise = ? AND site = ?", [enterprise, site]
        )
    )
    days: dict[date, dict[str, Any]] = {}
    if machines:
        kpi = compute(
            store, KpiQuery(by=("site",), grain="day", start=start, end=end, machines=machines)
        )
        for r in kpi.to_pylist():
            days[r["day"]] = {f: float(r[f] or 0) for f in SUMMARY_FIELDS if f in r}
    tz = store.timezone_of_site(enterprise, site)
    sites_of_enterprise = store.scalar(
        "SELECT count(*) FROM sites WHERE enterprise = ?", [enterprise]
    )
    # an order is the site's if its line is on the site, or the enterprise has one site
    own = "TRUE" if (sites_of_enterprise or 0) <= 1 else "o.line IN (SELECT line FROM e)"
    for r in store.rows(
        f"""WITH e AS (SELECT line FROM equipment WHERE enterprise = $ent AND site = $site)
        SELECT CAST(timezone($tz, o.actual_end) AS DATE) AS day,
               count(*) AS orders_done,
               count(*) FILTER (WHERE o.due IS NOT NULL AND o.actual_end <= o.due)
                 AS orders_on_time,
               count(*) FILTER (WHERE o.due IS NOT NULL) AS orders_with_due,
               count(coalesce(o.received, o.planned_start)) AS orders_with_lead,
               coalesce(sum(epoch(o.actual_end) - epoch(coalesce(o.received, o.planned_start))),
                        0) AS lead_time_s
        FROM orders o
        WHERE o.actual_end >= $lo AND o.actual_end < $hi AND ({own})
        GROUP BY 1""",
        {"ent": enterprise, "site": site, "tz": tz, "lo": start, "hi": end},
    ):
        row = days.setdefault(r["day"], {})
        for f in INDICATORS["delivery"]:
            row[f] = float(r[f] or 0)
    return [
        {"day": d.isoformat(), **{f: v.get(f, 0.0) for f in SUMMARY_FIELDS}}
        for d, v in sorted(days.items())
    ]


def build_summary(
    store: Store,
    consent: Consent,
    link: SiteLink,
    start: datetime,
    end: datetime,
    *,
    seq: int | None = None,
    nonce: str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The body of a summary: only the consented indicators' fields, never a record."""
    keep = fields_for(consent.indicators)
    rows = [
        {"day": r["day"], **{f: r[f] for f in keep}}
        for r in site_day_buckets(store, link.enterprise, link.site, start, end)
    ]
    return {
        "schema": SCHEMA,
        "company_id": consent.company_id,
        "site": link.program_site,
        "consent": sorted(consent.indicators),
        "seq": seq if seq is not None else time.time_ns() // 1000,
        "nonce": nonce or secrets.token_hex(16),
        "ts": (now or datetime.now(UTC)).isoformat(),
        "rows": rows,
    }


def publish(
    store: Store, consent: Consent, start: datetime, end: datetime, *, timeout: float = 30
) -> list[dict[str, Any]]:
    """Build, sign and post one summary per linked site; return the server's answers."""
    import httpx

    answers = []
    with httpx.Client(timeout=timeout) as client:
        for link in consent.sites:
            env = sign(build_summary(store, consent, link, start, end), consent.key)
            r = client.post(
                f"{consent.server}/api/program/summaries",
                json=env,
                headers={"Authorization": f"Bearer {consent.token}"},
            )
            if r.status_code != 200:
                raise FederationError(
                    "refused", f"the programme server answered {r.status_code}: {r.text}"
                )
            answers.append(r.json())
    return answers


# -- programme side ------------------------------------------------------------------------


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def enrol(db: ProgramDB, company_id: str, public_key_pem: str) -> str:
    """Let a registered company publish: store its public key; return its new token (shown
    once; only its hash is kept)."""
    from cryptography.hazmat.primitives import serialization

    cid = normalise_brn(company_id)
    if not db.scalar("SELECT count(*) FROM companies WHERE company_id = ?", [cid]):
        raise ConfigError(f"company {cid} is not registered")
    try:
        serialization.load_pem_public_key(public_key_pem.encode())
    except ValueError as exc:
        raise ConfigError(f"not a PEM public key: {exc}") from exc
    token = "sfp_" + secrets.token_urlsafe(32)
    db.con.execute(
        "INSERT OR REPLACE INTO federation_members VALUES (?, ?, ?, "
        "coalesce((SELECT last_seq FROM federation_members WHERE company_id = ?), 0))",
        [cid, _digest(token), public_key_pem, cid],
    )
    return token


def _member(db: ProgramDB, token: str) -> dict[str, Any]:
    digest = _digest(token)
    for r in db.rows("SELECT * FROM federation_members"):
        if hmac.compare_digest(r["token_sha256"], digest):
            return r
    raise FederationError("unauthorised", "a valid company token is required")


def _verify(public_pem: str, envelope: dict[str, Any]) -> None:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import serialization

    key = serialization.load_pem_public_key(public_pem.encode())
    try:
        signature = base64.b64decode(str(envelope.get("signature", "")), validate=True)
        key.verify(signature, canonical(envelope["body"]))  # type: ignore[union-attr,call-arg]
    except (InvalidSignature, ValueError, TypeError) as exc:
        raise FederationError(
            "forged", "the signature does not verify with the company's registered key"
        ) from exc


def _check_fields(body: dict[str, Any]) -> tuple[str, ...]:
    consent = body.get("consent")
    if not isinstance(consent, list) or not all(isinstance(c, str) for c in consent):
        raise FederationError("bad_summary", "consent must be a list of indicator names")
    try:
        allowed = fields_for(consent)
    except ConfigError as exc:
        raise FederationError("bad_summary", str(exc)) from exc
    rows = body.get("rows")
    if not isinstance(rows, list):
        raise FederationError("bad_summary", "rows must be a list")
    for i, row in enumerate(rows):
        if not isinstance(row, dict) or "day" not in row:
            raise FederationError("bad_summary", f"row {i} is not a bucket with a day")
        for k, v in row.items():
            if k == "day":
                continue
            if k not in SUMMARY_FIELDS:
                raise FederationError(
                    "unknown_field", f"row {i}: {k!r} is not a KPI bucket (raw data is refused)"
                )
            if k not in allowed:
                raise FederationError(
                    "not_consented",
                    f"row {i}: {k} belongs to no indicator the company consented to "
                    f"({', '.join(consent) or 'none'})",
                )
            if not isinstance(v, int | float) or v < 0:
                raise FederationError("bad_summary", f"row {i}: {k} must be a number ≥ 0")
    return allowed


def receive(
    db: ProgramDB,
    token: str,
    envelope: dict[str, Any],
    *,
    now: datetime | None = None,
    max_skew_s: float = 300,
) -> dict[str, Any]:
    """Verify and store a summary; raise :class:`FederationError` saying why it is refused."""
    member = _member(db, token)
    body = envelope.get("body") if isinstance(envelope, dict) else None
    if not isinstance(body, dict) or body.get("schema") != SCHEMA:
        raise FederationError("bad_summary", f"the envelope carries no {SCHEMA} body")
    if body.get("company_id") != member["company_id"]:
        raise FederationError("wrong_company", "the summary names another company than the token")
    if not member["public_key"]:
        raise FederationError("forged", "the company has no registered public key")
    _verify(member["public_key"], envelope)
    now = now or datetime.now(UTC)
    try:
        ts = datetime.fromisoformat(str(body["ts"]))
        seq, nonce = int(body["seq"]), str(body["nonce"])
    except (KeyError, ValueError, TypeError) as exc:
        raise FederationError("bad_summary", f"ts, seq and nonce are required: {exc}") from exc
    if ts.tzinfo is None or abs((now - ts).total_seconds()) > max_skew_s:
        raise FederationError(
            "stale", f"time stamp {body['ts']} is more than {max_skew_s:.0f} s from {now}"
        )
    if db.scalar(
        "SELECT count(*) FROM federation_nonces WHERE company_id = ? AND nonce = ?",
        [member["company_id"], nonce],
    ):
        raise FederationError("replayed", f"nonce {nonce} has been received before")
    if seq <= int(member["last_seq"] or 0):
        raise FederationError(
            "replayed", f"sequence {seq} is not above the last one received ({member['last_seq']})"
        )
    allowed = _check_fields(body)
    site = str(body.get("site", ""))
    if not db.scalar(
        "SELECT count(*) FROM sites WHERE company_id = ? AND site = ?",
        [member["company_id"], site],
    ):
        raise FederationError("unknown_site", f"{site!r} is not a registered site of the company")
    try:
        _store_rows(db, member["company_id"], site, body["rows"], allowed, seq, nonce, now)
    except (duckdb.ConstraintException, duckdb.TransactionException) as exc:
        # a concurrent summary of the same company took the nonce or a higher sequence
        raise FederationError("replayed", f"another summary came first: {exc}") from exc
    return {"company_id": member["company_id"], "site": site, "days": len(body["rows"])}


def _store_rows(
    db: ProgramDB,
    company_id: str,
    site: str,
    rows: list[dict[str, Any]],
    allowed: tuple[str, ...],
    seq: int,
    nonce: str,
    now: datetime,
) -> None:
    """Store the day rows, the nonce and the sequence in one transaction (the sequence moves
    only forward even when two summaries race)."""
    cols = ", ".join(SUMMARY_FIELDS)
    marks = ", ".join("?" for _ in SUMMARY_FIELDS)
    with db.transaction():
        (moved,) = db.con.execute(
            "UPDATE federation_members SET last_seq = ? WHERE company_id = ? AND last_seq < ?",
            [seq, company_id, seq],
        ).fetchall()[0]
        if not moved:
            raise FederationError("replayed", f"sequence {seq} is not above the last one")
        db.con.execute("INSERT INTO federation_nonces VALUES (?, ?, ?)", [company_id, nonce, now])
        for row in rows:
            db.con.execute(
                f"INSERT OR REPLACE INTO summaries (company_id, site, day, {cols}, seq) "
                f"VALUES (?, ?, ?, {marks}, ?)",
                [
                    company_id,
                    site,
                    date.fromisoformat(row["day"]),
                    *(float(row[f]) if f in allowed else None for f in SUMMARY_FIELDS),
                    seq,
                ],
            )
