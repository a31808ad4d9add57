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
        'which the proxy answers with 403 "This module version is not available" — '
        "rechecked on 2026-12-01 with Go 1.26.10, after the proxy began serving the version "
        "1.32 needs (v0.2.1-1.32.0.158.0). 1.31.2 requires a pseudo-version the proxy serves, "
        "so the 1.31 line is built and deployed from 1.31.2.",
        "observed by this suite on 2026-11-25 and 2026-12-01 (go install "
        "go.temporal.io/server/cmd/server@v1.31.5)",
    ),
    DeploymentNote(
        "Temporal 1.30.9, 1.31.5 and 1.32.2 require Go 1.26.10 (their go.mod); the suite "
        "builds each release with the Go its go.mod names, which the go command fetches once "
        "from the module proxy (golang.org/toolchain) when the machine's Go is older.",
        "go.mod of go.temporal.io/server v1.30.9, v1.31.5 and v1.32.2; provision/gobuild.py",
    ),
    DeploymentNote(
        "Temporal 1.29 has no --config-file flag (it exits with 'flag provided but not "
        "defined: -config-file'): it reads <root>/<config>/<env>.yaml, so the suite starts it "
        "with --root, --config and --env; 1.30 and later take --config-file.",
        "observed by this suite on 2026-12-01; cmd/server/main.go at v1.29.2 and v1.30.8",
    ),
    DeploymentNote(
        "A release refuses to start on a schema older than its own and exits with 'sql schema "
        "version compatibility check failed: version mismatch for keyspace/database: ...': "
        "upgrade one minor line at a time, both schemas first (docs/UPGRADES.md). Schema "
        "versions (temporal / visibility): 1.29 1.18 / 1.9, 1.30 1.18 / 1.13, 1.31 and 1.32 "
        "1.19 / 1.14.",
        "common/persistence/schema/version.go and schema/postgresql/v12/version.go of each release",
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
