"""Who logs in to a native deployment's PostgreSQL as what, and bringing its roles in line
at every start (stack/native/roles.py says what they are)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from temporal_acceptance.clients.endpoints import APP_ROLE, TEMPORAL_DATABASE, PostgresAddress
from temporal_acceptance.core.progress import Say
from temporal_acceptance.stack.native import seeded
from temporal_acceptance.stack.native.layout import ADMIN_SECRET, APP_SECRET, Layout
from temporal_acceptance.stack.native.postgres import NativePostgres, PasswordRejected
from temporal_acceptance.stack.native.roles import ADMIN_ROLE, RolePlan, adopt_legacy, ensure_roles


@dataclass
class Access:
    layout: Layout
    postgres: NativePostgres
    host: str
    port: int
    temporal_user: str
    say: Say

    def login(self, user: str) -> PostgresAddress:
        """How to log in as the admin, Temporal's role or the application role."""
        secret = {ADMIN_ROLE: ADMIN_SECRET, APP_ROLE: APP_SECRET}.get(user)
        password = self.layout.secret(secret) if secret else self.layout.password()
        return PostgresAddress(self.host, self.port, user, password)

    def plan(self, admin: PostgresAddress, mutant: str = "") -> RolePlan:
        return RolePlan(
            admin,
            self.temporal_user,
            self.layout.password(),
            APP_ROLE,
            self.layout.secret(APP_SECRET),
            temporal_superuser=mutant == seeded.TEMPORAL_SUPERUSER,
            extra_visibility=(
                seeded.WRONG_VISIBILITY_DATABASE
                if mutant == seeded.VISIBILITY_WRONG_DATABASE
                else ""
            ),
        )

    def settle(self, timeout: float, mutant: str, stop_temporal: Callable[[], None]) -> None:
        """Wait until PostgreSQL answers the admin, adopt a deployment of an earlier version
        (no admin role yet: Temporal's sessions then restart), then roles, databases and
        privileges as roles.py says."""
        admin = self.login(ADMIN_ROLE)
        try:
            self.postgres.wait_ready(admin, self.layout.secret_file(ADMIN_SECRET), timeout)
        except PasswordRejected:
            legacy = self.login(self.temporal_user)
            self.postgres.wait_ready(legacy, self.layout.password_file, 10.0)
            self.say(f"  adopting an earlier version's deployment ({legacy.user} is its superuser)")
            for change in adopt_legacy(legacy, admin.password):
                self.say(f"  roles: {change}")
            stop_temporal()  # its sessions still run as the old role
        for change in ensure_roles(self.plan(admin, mutant)):
            self.say(f"  roles: {change}")
        # ensure_roles never resets a password: Temporal's file must still open its role.
        temporal = self.login(self.temporal_user)
        self.postgres.ping(temporal, self.layout.password_file, TEMPORAL_DATABASE)

    def ping(self) -> bool:
        if self.layout.has_secret(ADMIN_SECRET):
            return self.postgres.ping(self.login(ADMIN_ROLE), self.layout.secret_file(ADMIN_SECRET))
        # an earlier version's deployment, not adopted yet: Temporal's role is its superuser
        return self.postgres.ping(self.login(self.temporal_user), self.layout.password_file)
