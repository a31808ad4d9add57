"""Go-built binaries: temporal-server, temporal-sql-tool and the Temporal UI server.

Each comes from the Go module proxy with `go install module/cmd@version`, built once into
`<cache>/<tool>-<version>/<tool>` and reused afterwards. An environment variable can point
at an existing binary instead, in which case nothing is built.

The Go toolchain is chosen per module version from its own go.mod (`go` and `toolchain`
lines): the machine's Go when it is new enough, else exactly the version the module asks
for, which the go command fetches once from the module proxy (golang.org/toolchain) and
keeps in its module cache (e.g. temporal-server 1.32.2 needs Go 1.26.10).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from temporal_acceptance.core.errors import UserError
from temporal_acceptance.core.progress import Say, format_elapsed, stderr_say, ticking
from temporal_acceptance.provision.cache import (
    entry_dir,
    is_executable,
    locked,
    read_manifest,
    write_manifest,
)

GO_INSTALL_HINT = (
    "install Go 1.25 or newer (Debian: apt-get install golang-go, or the go.dev tarball) "
    "or point {env} at an existing binary"
)


@dataclass(frozen=True)
class GoTool:
    """A binary built from a Go package at a version."""

    name: str
    package: str
    version: str
    env_override: str
    tags: tuple[str, ...] = ()

    @property
    def module(self) -> str:
        return self.package.split("/cmd/")[0]

    def cached_binary(self, cache_dir: Path) -> Path:
        return entry_dir(cache_dir, self.name, self.version) / self.name


def temporal_server(version: str) -> GoTool:
    # Upstream release builds use this tag; it leaves out optional gRPC modules.
    return GoTool(
        "temporal-server",
        "go.temporal.io/server/cmd/server",
        version,
        "TACC_TEMPORAL_SERVER_BIN",
        ("disable_grpc_modules",),
    )


def temporal_sql_tool(version: str) -> GoTool:
    return GoTool(
        "temporal-sql-tool",
        "go.temporal.io/server/cmd/tools/sql",
        version,
        "TACC_TEMPORAL_SQL_TOOL_BIN",
        ("disable_grpc_modules",),
    )


def ui_server(version: str) -> GoTool:
    return GoTool(
        "temporal-ui-server",
        "github.com/temporalio/ui-server/v2/cmd/server",
        version,
        "TACC_UI_SERVER_BIN",
    )


LOCAL_TOOLCHAIN = "local"
_GO_LINE = re.compile(r"^go\s+(\d+\.\d+(?:\.\d+)?)\s*(?://.*)?$", re.MULTILINE)
_TOOLCHAIN_LINE = re.compile(r"^toolchain\s+go(\d+\.\d+(?:\.\d+)?)\S*\s*$", re.MULTILINE)


def go_version_key(version: str) -> tuple[int, int, int]:
    """'1.26' → (1, 26, 0), '1.26.10' → (1, 26, 10): Go's own ordering of releases."""
    parts = [int(part) for part in version.split(".")]
    return (parts[0], parts[1], parts[2] if len(parts) > 2 else 0)


def required_go(go_mod: str) -> str | None:
    """The Go a module needs, from its go.mod: the higher of the `go` and `toolchain` lines
    (None when it names neither)."""
    found = _GO_LINE.findall(go_mod) + _TOOLCHAIN_LINE.findall(go_mod)
    return max(found, key=go_version_key) if found else None


def toolchain_for(required: str | None, local: str) -> str:
    """GOTOOLCHAIN for a build: 'local' when the machine's Go satisfies the module, else
    the exact release it names (go1.26.10), which the go command fetches once."""
    if required is None or local == "unknown":
        return LOCAL_TOOLCHAIN
    if go_version_key(local) >= go_version_key(required):
        return LOCAL_TOOLCHAIN
    return "go" + ".".join(map(str, go_version_key(required)))


def module_go_mod(go: str, module: str, version: str, env: Mapping[str, str]) -> str:
    """The go.mod of `module@version` (from the module proxy; only the .mod file is read)."""
    result = subprocess.run(
        [go, "list", "-m", "-json", f"{module}@v{version}"],
        capture_output=True,
        text=True,
        env={**env, "GOTOOLCHAIN": LOCAL_TOOLCHAIN, "GOFLAGS": "-mod=mod"},
        cwd=tempfile.gettempdir(),
        check=False,
    )
    try:
        info = json.loads(result.stdout)
        return Path(info["GoMod"]).read_text()
    except (json.JSONDecodeError, KeyError, OSError) as exc:
        raise UserError(
            f"could not read the go.mod of {module}@v{version}: "
            f"{_last_meaningful_line(result.stderr)}",
            "check the version exists and the Go module proxy is reachable (GOPROXY)",
        ) from exc


def choose_toolchain(go: str, module: str, version: str, env: Mapping[str, str]) -> str:
    """The GOTOOLCHAIN value that builds `module@version` (see toolchain_for)."""
    return toolchain_for(required_go(module_go_mod(go, module, version, env)), go_version(go))


def go_build_env(
    gobin: Path, base: Mapping[str, str], toolchain: str = LOCAL_TOOLCHAIN
) -> dict[str, str]:
    env = dict(base)
    env.update(
        {
            "GOBIN": str(gobin),
            # Static binaries, as upstream ships them; also needed for FROM-scratch images.
            "CGO_ENABLED": "0",
            # Exactly the toolchain chosen from the module's go.mod, never a newer one.
            "GOTOOLCHAIN": toolchain,
            "GOFLAGS": (env.get("GOFLAGS", "") + " -trimpath").strip(),
        }
    )
    return env


def go_install_command(go: str, tool: GoTool) -> list[str]:
    command = [go, "install"]
    if tool.tags:
        command += ["-tags", ",".join(tool.tags)]
    return [*command, f"{tool.package}@v{tool.version}"]


# `go install` progress, not the reason it failed (e.g. temporal-server 1.31.4, whose log
# ends in "go: downloading …" lines while the error is a 403 from the module proxy).
_GO_PROGRESS = ("go: downloading ", "go: finding ", "go: extracting ")


def _last_meaningful_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    lines = [line for line in lines if not line.startswith(_GO_PROGRESS)]
    errors = [
        line
        for line in lines
        if "requires go" in line or line.startswith("go: ") or "Forbidden" in line
    ]
    return (errors or lines or ["(no output)"])[-1]


def ensure_go_binary(
    tool: GoTool,
    cache_dir: Path,
    env: Mapping[str, str] | None = None,
    say: Say = stderr_say,
) -> Path:
    """Return a runnable binary for `tool`: the override, the cached build, or a new build."""
    env = os.environ if env is None else env
    override = env.get(tool.env_override)
    if override:
        path = Path(override).expanduser()
        if not is_executable(path):
            raise UserError(
                f"{tool.env_override}={override} is not an executable file",
                f"point {tool.env_override} at a {tool.name} binary or unset it to build one",
            )
        return path
    target = tool.cached_binary(cache_dir)
    if is_executable(target):
        return target
    go = shutil.which("go", path=env.get("PATH"))
    if go is None:
        raise UserError(
            f"Go is not installed and {tool.name} {tool.version} is not cached in {cache_dir}",
            GO_INSTALL_HINT.format(env=tool.env_override),
        )
    with locked(cache_dir, f"{tool.name}-{tool.version}"):
        if is_executable(target):  # another run built it while we waited
            return target
        _build(go, tool, target, env, say)
    return target


def _build(go: str, tool: GoTool, target: Path, env: Mapping[str, str], say: Say) -> None:
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o755)
    log_path = target.parent / "build.log"
    started = time.monotonic()
    toolchain = choose_toolchain(go, tool.module, tool.version, env)
    local = go_version(go)
    using = (
        f"Go {local}"
        if toolchain == LOCAL_TOOLCHAIN
        else f"Go {toolchain[2:]}, which the module requires (fetched once from the module proxy)"
    )
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".gobin-") as gobin:
        what = f"building {tool.name} {tool.version} ({tool.package}) with {using}"
        with ticking(what, say), log_path.open("w") as log:
            result = subprocess.run(
                go_install_command(go, tool),
                env=go_build_env(Path(gobin), env, toolchain),
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=gobin,
                check=False,
            )
            if result.returncode != 0:  # inside, so the progress line says "failed"
                log.flush()
                detail = _last_meaningful_line(log_path.read_text(errors="replace"))
                raise UserError(
                    f"building {tool.name} {tool.version} failed: {detail}",
                    f"see {log_path}; pick another version or point {tool.env_override} "
                    "at a binary",
                )
        built = Path(gobin) / Path(tool.package).name
        os.chmod(built, 0o755)  # noqa: S103 (run by others, e.g. the PostgreSQL account)
        built.replace(target)
    seconds = time.monotonic() - started
    manifest = {
        "tool": tool.name,
        "package": tool.package,
        "version": tool.version,
        "go": local if toolchain == LOCAL_TOOLCHAIN else toolchain[2:],
        "toolchain": toolchain,
        "build_seconds": round(seconds, 1),
    }
    write_manifest(target.parent, manifest)
    say(f"  cached {tool.name} at {target} ({format_elapsed(seconds)})")


def go_version(go: str) -> str:
    out = subprocess.run([go, "version"], capture_output=True, text=True, check=False).stdout
    match = re.search(r"go(\d+\.\d+(?:\.\d+)?)", out)
    return match[1] if match else "unknown"


def module_source_dir(go: str, module: str, version: str, env: Mapping[str, str]) -> Path:
    """Where the Go module cache holds `module@version` (downloading it if needed)."""
    toolchain = choose_toolchain(go, module, version, env)
    result = subprocess.run(
        [go, "mod", "download", "-json", f"{module}@v{version}"],
        capture_output=True,
        text=True,
        env={**env, "GOTOOLCHAIN": toolchain, "GOFLAGS": "-mod=mod"},
        cwd=tempfile.gettempdir(),
        check=False,
    )
    try:
        info = json.loads(result.stdout)
    except json.JSONDecodeError as exc:
        raise UserError(
            f"could not locate {module}@v{version} in the Go module cache: "
            f"{_last_meaningful_line(result.stderr)}",
            "check the Go module proxy is reachable (GOPROXY)",
        ) from exc
    if "Dir" not in info:
        raise UserError(
            f"could not download {module}@v{version}: {info.get('Error', 'no Dir reported')}",
            "check the version exists on the Go module proxy",
        )
    return Path(info["Dir"])


def cached_manifest(tool: GoTool, cache_dir: Path) -> dict[str, object]:
    return read_manifest(tool.cached_binary(cache_dir).parent)
