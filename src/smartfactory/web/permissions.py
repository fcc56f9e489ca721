"""Who may do what: one table from role to actions, checked in one dependency
(:func:`smartfactory.web.security.require`).

Every route names the one action it needs; a route that names none is refused to everyone
(``tests/test_web_authz.py`` walks every route and fails on a route without a rule). A new
role (the programme issue's ``program_officer``) is one new row here plus the scope its users
get (see :mod:`smartfactory.store.tenant`).
"""

from __future__ import annotations

from dataclasses import dataclass

#: what each action allows
ACTIONS: dict[str, str] = {
    "home": "open the home page (the floor, or the programme dashboard for an agency's roles)",
    "view": "see dashboards, KPIs, orders, lot trace and quality pages of one's company",
    "view_rejects": "see rejected records (dead letters) and import reports",
    "import": "upload CSV / Excel files",
    "ingest": "post live machine data (gateways)",
    "view_settings": "see the equipment tree, products, shift calendars and connectors",
    "edit_settings": "change products' ideal cycle times and shift calendars",
    "manage_users": "add and remove users of one's company, issue API tokens",
    "view_program": "see support programmes: roll-ups, companies, projects and consented "
    "KPI summaries (a program officer only the programmes and regions assigned)",
    "manage_program": "move projects through their life cycle and record maturity assessments",
}

#: the programme side's actions: only the programme roles hold them, and nothing else
PROGRAM_ACTIONS = frozenset({"view_program", "manage_program"})

ROLES: dict[str, frozenset[str]] = {
    "admin": frozenset(ACTIONS) - PROGRAM_ACTIONS,
    "manager": frozenset(
        {"home", "view", "view_rejects", "import", "ingest", "view_settings", "edit_settings"}
    ),
    "operator": frozenset({"home", "view", "view_rejects", "import", "ingest"}),
    "viewer": frozenset({"home", "view"}),
    #: not a user's role: what a gateway token may do (``smartfactory gateway add``)
    "gateway": frozenset({"ingest"}),
    #: an agency's officer: the programmes and regions assigned (``officer_scopes``), no
    #: factory data at all (decision 0011)
    "program_officer": PROGRAM_ACTIONS | {"home"},
    #: the ministry's / agency's view: every programme and region
    "program_admin": PROGRAM_ACTIONS | {"home"},
}

#: roles a person of a company can be given (the gateway role belongs to gateway tokens)
USER_ROLES: tuple[str, ...] = ("admin", "manager", "operator", "viewer")
#: roles of the programme side: users that belong to no company
PROGRAM_ROLES: tuple[str, ...] = ("program_officer", "program_admin")


@dataclass(frozen=True)
class Principal:
    """Who is asking: a signed-in user, a user's API token, or a gateway token.

    ``enterprise`` is the tenant whose data the principal sees (None only for a gateway
    registered without one, which may post for any company but reads nothing).
    """

    name: str
    role: str
    enterprise: str | None
    via: str  # "session" | "token" | "gateway"
    display_name: str | None = None

    def may(self, action: str) -> bool:
        return action in ROLES.get(self.role, frozenset())
