"""Facts about deploying particular versions that are not a matrix cell but decide whether a
deployment can work at all; docs/COMPATIBILITY.md lists them with their source."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DeploymentNote:
    text: str
    source: str


DEPLOYMENT_NOTES = (
    DeploymentNote(
        "Temporal 1.31.3, 1.31.4 and 1.31.5 cannot be built from the Go module proxy: they "
        "require go.temporal.io/auto-scaled-workers v0.0.0-1.31.2 (v0.0.1-1.31.2 for 1.31.5), "
        'which the proxy answers with 403 "This module version is not available". 1.31.2 '
        "requires a pseudo-version the proxy serves, so the 1.31 line is built from 1.31.2.",
        "observed by this suite on 2026-11-25 (go install go.temporal.io/server/cmd/server)",
    ),
    DeploymentNote(
        "Temporal stores each role's membership port in a PostgreSQL SMALLINT column "
        "(cluster_membership.rpc_port), and the suite places membership ports 300 below the "
        "frontend port: a frontend port above 33061 makes temporal-server exit with "
        "'value … is out of range for type smallint'. The settings refuse such a port.",
        "observed by this suite on 2026-11-25; schema/postgresql/v12/temporal/schema.sql",
    ),
    DeploymentNote(
        "The visibility schema creates the btree_gin extension: the PostgreSQL server needs "
        "its contrib modules (the npm builds and Debian's postgresql packages have them).",
        "schema/postgresql/v12/visibility/schema.sql (CREATE EXTENSION btree_gin)",
    ),
)
