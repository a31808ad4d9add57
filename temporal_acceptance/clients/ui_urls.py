"""The Temporal UI's addresses, built from nothing but its base URL (Endpoints.ui_url), so
the same gates run against any target whose UI URL is known."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from temporal_acceptance.core.errors import UserError

HISTORY_TAB = "history"


def _segment(value: str) -> str:
    return quote(value, safe="")


def visibility_query(workflow_id: str) -> str:
    """The list filter a person types to find one workflow: WorkflowId="<id>"."""
    escaped = workflow_id.replace("\\", "\\\\").replace('"', '\\"')
    return f'WorkflowId="{escaped}"'


@dataclass(frozen=True)
class UiUrls:
    base_url: str
    namespace: str

    def __post_init__(self) -> None:
        parts = urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise UserError(
                f"the Temporal UI URL {self.base_url!r} is not an http(s) URL",
                "set TACC_UI_URL=http://host:port (or the UI port of the stack)",
            )
        object.__setattr__(self, "base_url", self.base_url.rstrip("/"))

    def home(self) -> str:
        return f"{self.base_url}/"

    def namespace_path(self) -> str:
        return f"/namespaces/{_segment(self.namespace)}"

    def workflows(self, workflow_id: str = "") -> str:
        """The namespace's workflow list, filtered on one workflow id when given."""
        url = f"{self.base_url}{self.namespace_path()}/workflows"
        if workflow_id:
            url += "?query=" + quote(visibility_query(workflow_id), safe="")
        return url

    def workflow_path(self, workflow_id: str, run_id: str) -> str:
        """The path every page of one run starts with (links are compared against it)."""
        return f"{self.namespace_path()}/workflows/{_segment(workflow_id)}/{_segment(run_id)}"

    def workflow(self, workflow_id: str, run_id: str, tab: str = HISTORY_TAB) -> str:
        return f"{self.base_url}{self.workflow_path(workflow_id, run_id)}/{tab}"

    def is_workflow_page(self, url: str, workflow_id: str, run_id: str) -> bool:
        """Whether `url` (absolute, or a link's href) shows that run of that workflow."""
        path = urlsplit(url).path
        return path.startswith(self.workflow_path(workflow_id, run_id) + "/")
