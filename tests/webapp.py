"""A small two-company plant for the web tests: real files imported into a real DuckDB file,
a user of every role in each company, and an API token for each user."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from smartfactory.ingest.importer import import_files
from smartfactory.store.db import Store
from smartfactory.web.auth import add_token, add_user
from smartfactory.web.gateways import add_gateway
from smartfactory.web.permissions import USER_ROLES

TENANTS = ("acme", "beta")
#: what belongs to each company: machines, a line, an order, a lot
OWN = {
    "acme": {
        "machine": "acme.M1",
        "line": "acme.L1",
        "site": "p1",
        "order": "O-A1",
        "lot": "LOT-A1",
    },
    "beta": {
        "machine": "beta.B1",
        "line": "beta.L9",
        "site": "b1",
        "order": "O-B1",
        "lot": "LOT-B1",
    },
}

FILES = {
    "equipment.csv": "enterprise,site,area,line,machine,timezone\n"
    "acme,p1,moulding,acme.L1,acme.M1,Asia/Seoul\nacme,p1,moulding,acme.L1,acme.M2,Asia/Seoul\n"
    "beta,b1,press,beta.L9,beta.B1,Asia/Seoul\n",
    "products.csv": "product,ideal_cycle_s,name\nPA,60,Cap\nPB,30,Bracket\n",
    "orders.csv": "order,product,quantity,due,planned_start,planned_end,line\n"
    "O-A1,PA,200,2025-03-05T18:00,2025-03-03T08:00,2025-03-04T18:00,acme.L1\n"
    "O-B1,PB,100,2025-03-02T18:00,2025-03-03T08:00,2025-03-03T18:00,beta.L9\n",
    "lots.csv": "lot,product,machine,order,created,supplier\n"
    "LOT-A1,PA,acme.M1,O-A1,2025-03-03T10:00,\nRM-A,resin,,,2025-03-01T00:00,Resin Co\n"
    "LOT-B1,PB,beta.B1,O-B1,2025-03-03T10:00,\n",
    "genealogy.csv": "parent_lot,child_lot,quantity\nRM-A,LOT-A1,50\n",
    "states.csv": "machine,start,end,state,reason\n"
    "acme.M1,2025-03-03T00:00,2025-03-03T08:00,planned_down,no shift\n"
    "acme.M1,2025-03-03T08:00,2025-03-03T09:00,running,\n"
    "acme.M1,2025-03-03T09:00,2025-03-03T09:30,down,jam\n"
    "acme.M1,2025-03-03T09:30,2025-03-03T12:00,running,\n"
    "acme.M2,2025-03-03T08:00,2025-03-03T12:00,idle,no order\n"
    "beta.B1,2025-03-03T08:00,2025-03-03T12:00,running,\n",
    "counts.csv": "machine,ts,product,good,scrap,order,lot\n"
    "acme.M1,2025-03-03T10:00,PA,90,10,O-A1,LOT-A1\nacme.M1,2025-03-03T12:00,PA,100,0,O-A1,LOT-A1\n"
    "beta.B1,2025-03-03T12:00,PB,400,20,O-B1,LOT-B1\n",
}


def password(role: str, tenant: str) -> str:
    return f"pw-{role}-{tenant}-123"


@dataclass
class Plant:
    db: Path
    tokens: dict[tuple[str, str], str] = field(default_factory=dict)
    gateways: dict[str, str] = field(default_factory=dict)

    def auth(self, role: str, tenant: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[(role, tenant)]}"}


def csrf_of(html: str) -> str:
    """The session's CSRF token from a page's form."""
    return html.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]


def build(folder: Path) -> Plant:
    """Import the files, add the users, tokens and a gateway per company."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in FILES.items():
        p = folder / name
        p.write_text(text, "utf-8")
        paths.append(p)
    plant = Plant(folder / "web.duckdb")
    with Store(plant.db) as s:
        reports = import_files(s, paths)
        assert all(r.ok and not r.as_dict()["rejected"] for r in reports), [
            r.as_dict() for r in reports
        ]
        for tenant in TENANTS:
            for role in USER_ROLES:
                name = f"{role}@{tenant}"
                add_user(s, name, password(role, tenant), enterprise=tenant, role=role)
                plant.tokens[(role, tenant)] = add_token(s, name, "tests")
            plant.gateways[tenant] = add_gateway(s, f"gw-{tenant}", tenant)
    return plant
