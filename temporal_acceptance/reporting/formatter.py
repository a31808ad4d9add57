"""The Allure formatter behave runs by default (see [tool.behave] in pyproject.toml).

It is allure-behave's AllureFormatter with four changes, each for a reason found in
allure-behave 2.16.2 itself:

- Scenarios inside a `Rule:` are reported. Upstream wraps only `feature.scenarios`, which
  holds no rule's scenarios, so every gate written as a Rule vanished from the report (and a
  rule scenario with a table crashed the listener, allure-python issue 886).
- Labels: epic = phase, feature, story = the Rule (the gate), severity = P-level, computed
  by reporting.labels from the plain tags. Upstream's listener has no hook for
  allure.dynamic labels, so they are set where the test result is created.
- The results folder is emptied when the formatter is built. behave builds formatters after
  parsing the features and before `before_all`; AllureFileLogger creates the folder then and
  writes each result as its scenario ends, never opening the output as a stream. Emptying it
  here is therefore the first thing of a run that reports, and happens only when this
  formatter is on. Only files Allure and this module write are removed.
- Everything written to the folder passes through redaction of every registered secret,
  including failure messages and tracebacks the attach helpers never see.

At the end of the run it writes environment.properties, executor.json and categories.json.
"""

from __future__ import annotations

import contextlib
import json
import os
import uuid
from pathlib import Path
from typing import Any

import allure_commons
from allure_behave.formatter import AllureFormatter
from allure_behave.listener import AllureListener
from allure_behave.utils import TEST_PLAN_SKIP_REASON, scenario_status, scenario_status_details
from allure_commons import hookimpl
from allure_commons.logger import AllureFileLogger
from allure_commons.model2 import Label, StatusDetails
from allure_commons.utils import now as allure_clock_ms
from attr import asdict

from temporal_acceptance.core.evidence import clean
from temporal_acceptance.reporting.labels import labels_for
from temporal_acceptance.reporting.metadata import write_metadata

# What a results folder holds: Allure's own files and the metadata this package writes.
RESULT_FILE_PATTERNS = (
    "*-result.json",
    "*-container.json",
    "*-attachment*",
    "*.tmp",
    "environment.properties",
    "executor.json",
    "categories.json",
)


def empty_results_dir(results_dir: Path) -> int:
    """Remove the files a previous run left; return how many. Other files stay."""
    if not results_dir.is_dir():
        return 0
    removed = 0
    for pattern in RESULT_FILE_PATTERNS:
        for path in results_dir.glob(pattern):
            if path.is_file():
                path.unlink()
                removed += 1
    return removed


def _redacted(value: Any) -> Any:
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, list):
        return [_redacted(item) for item in value]
    if isinstance(value, dict):
        return {key: _redacted(item) for key, item in value.items()}
    return value


class RedactingFileLogger(AllureFileLogger):
    """AllureFileLogger that removes every registered secret before anything is written."""

    def _report_item(self, item: Any) -> None:
        data = _redacted(asdict(item, filter=lambda _, v: v or v is False))
        path = self._report_dir / item.file_pattern.format(prefix=uuid.uuid4())
        tmp = path.with_name(path.name + ".tmp")
        with open(tmp, "w", encoding="utf8") as handle:
            json.dump(data, handle, ensure_ascii=False)
        os.replace(tmp, path)

    @hookimpl
    def report_attached_data(self, body: str | bytes, file_name: str) -> None:
        if isinstance(body, str):
            body = clean(body)
        else:
            # A binary body (a screenshot) has no text to redact and stays as it is.
            with contextlib.suppress(UnicodeDecodeError):
                body = clean(body.decode("utf-8")).encode("utf-8")
        super().report_attached_data(body, file_name)  # type: ignore[no-untyped-call]


def skip_message(scenario: Any) -> str:
    """What the report and the console say about a scenario skipped during the run."""
    reason = str(getattr(scenario, "skip_reason", "") or "").strip()
    return f"skipped: {reason}" if reason else "skipped (no reason given)"


def _rule_of(scenario: Any) -> str | None:
    """The title of the Rule a scenario (or an outline's example) sits in."""
    node = getattr(scenario, "parent", None)
    while node is not None:
        if getattr(node, "type", "") == "rule" or getattr(node, "keyword", "") == "Rule":
            return str(node.name)
        node = getattr(node, "parent", None)
    return None


class SprintListener(AllureListener):  # type: ignore[misc]
    """Sets the sprint labels on each test result as it is created; reports a scenario
    skipped while the run ran (a target that cannot be disrupted, ...) with its reason, and
    leaves out scenarios the run's tags or names excluded."""

    current_scenario_uuid: Any

    def __init__(self, config: Any) -> None:
        super().__init__(config)
        self.hide_excluded = True

    def stop_scenario(self, scenario: Any) -> None:
        # allure-behave's own, but a skipped scenario's status details carry its reason
        # (upstream takes them from the first step that did not pass: none for a skip).
        selected = scenario.should_run_with_tags(
            getattr(self.behave_config, "tag_expression", None)
        ) and scenario.should_run_with_name_select(self.behave_config)
        if not selected or scenario.skip_reason == TEST_PLAN_SKIP_REASON:
            self.logger.drop_test(self.current_scenario_uuid)
            self.current_scenario_uuid = None
            return
        self.flush_steps()
        result = self.logger.get_test(self.current_scenario_uuid)
        result.stop = allure_clock_ms()  # type: ignore[no-untyped-call]
        result.status = scenario_status(scenario)
        result.statusDetails = scenario_status_details(scenario)
        if result.status == "skipped":
            result.statusDetails = StatusDetails(message=skip_message(scenario))
        self.logger.close_test(self.current_scenario_uuid)
        self.current_step_uuid = None
        self.group_context.append_test(self.current_scenario_uuid)
        self.group_context.exit()
        self.current_scenario_uuid = None

    def start_scenario(self, scenario: Any) -> None:
        super().start_scenario(scenario)
        test = self.logger.get_test(self.current_scenario_uuid)
        tags = [str(tag) for tag in scenario.effective_tags]
        labels = labels_for(tags, scenario.feature.name, _rule_of(scenario))
        replaced = {name for name, _ in labels.pairs()}
        kept = [label for label in test.labels if label.name not in replaced]
        known_tags = {label.value for label in kept if label.name == "tag"}
        extra_tags = [Label(name="tag", value=t) for t in sorted(set(tags) - known_tags)]
        test.labels = [Label(name=n, value=v) for n, v in labels.pairs()] + kept + extra_tags


class SprintFormatter(AllureFormatter):  # type: ignore[misc]
    """`-f temporal_acceptance.reporting.formatter:SprintFormatter -o <results dir>`."""

    listener: Any
    file_logger: Any

    def __init__(self, stream_opener: Any, config: Any) -> None:
        # `-D allure_results=DIR` moves the results (behave cannot drop a formatter of the
        # configuration from the command line; parallel matrix jobs each need their own).
        chosen = str(config.userdata.get("allure_results", "") or stream_opener.name)
        results_dir = Path(chosen).absolute()
        empty_results_dir(results_dir)
        super().__init__(stream_opener, config)
        for plugin in (self.listener, self.file_logger):
            allure_commons.plugin_manager.unregister(plugin)
        self.listener = SprintListener(config)
        self.file_logger = RedactingFileLogger(str(results_dir))  # type: ignore[no-untyped-call]
        allure_commons.plugin_manager.register(self.listener)
        allure_commons.plugin_manager.register(self.file_logger)
        self.results_dir = results_dir

    def feature(self, feature: Any) -> None:
        # Every runnable scenario, including those in Rules and each outline example.
        self._wrap_scenario(feature.walk_scenarios())

    def close(self) -> None:
        try:
            write_metadata(self.results_dir)
        finally:
            super().close()
