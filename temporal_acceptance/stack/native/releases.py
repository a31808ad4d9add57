"""The native driver's part of a release change (upgrade, rollback, restore): which
binaries run from the next start on, the schema update while Temporal is stopped, and the
record of what runs. The procedure itself (path, backup, verification) is upgrade's."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from temporal_acceptance.core.errors import UserError
from temporal_acceptance.core.progress import Say
from temporal_acceptance.core.secrets import Secret
from temporal_acceptance.provision.binaries import Binaries, provision_all
from temporal_acceptance.stack.base import Service, Stack
from temporal_acceptance.stack.native.process import ManagedProcess
from temporal_acceptance.stack.native.temporal import NativeTemporal
from temporal_acceptance.stack.native.topology import RoleGroup
from temporal_acceptance.stack.release import SchemaUpdate


class ReleaseChanges(Stack):
    """Provisioning per release and the release-change operations of a native stack."""

    temporal: NativeTemporal
    env: Mapping[str, str]
    say: Say
    _provisioned: dict[tuple[str, str, int], Binaries]

    def _binaries(self) -> Binaries:
        """The binaries of the release in the settings, provisioned once per release."""
        settings = self.settings
        key = (settings.temporal_version, settings.ui_version, settings.postgres_major)
        if key not in self._provisioned:
            self._provisioned[key] = provision_all(settings, self.env, self.say)
        return self._provisioned[key]

    def use_release(self, temporal_version: str, ui_version: str) -> None:
        """Run these releases of Temporal and the UI from the next start on (the data and
        everything else stay as they are); provisions them now, so a build that fails
        fails before anything is stopped."""
        self.settings = replace(
            self.settings, temporal_version=temporal_version, ui_version=ui_version
        )
        self.temporal.release = temporal_version
        self._binaries()

    def update_schemas(self) -> list[SchemaUpdate]:
        """Both schemas brought to the current release's versions with its temporal-sql-tool
        (Temporal must be stopped: upstream updates the schema before the server starts)."""
        if self._process(Service.TEMPORAL).running():
            raise UserError(
                "Temporal is running: its schemas are updated only while it is stopped",
                "stop it first (the upgrade command does)",
            )
        return self.temporal.update_schema(self._password())

    def update_schema_commands(self) -> list[str]:
        return self.temporal.update_schema_commands()

    def record_release(self) -> None:
        """Record the releases now running with the deployment (stack.json)."""
        self._record()

    # -- what the stack provides ---------------------------------------------------
    def _process(self, service: Service) -> ManagedProcess | RoleGroup:
        raise NotImplementedError

    def _password(self) -> Secret:
        raise NotImplementedError

    def _record(self) -> None:
        raise NotImplementedError
