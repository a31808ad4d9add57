"""The compatibility matrix: the rule, the corrections, lookups outside the data, the
decision and the words the user sees, strict version parsing."""

from __future__ import annotations

import pytest

from temporal_acceptance.compat import matrix
from temporal_acceptance.compat.decision import FORCE_FLAG, Outcome, decide
from temporal_acceptance.compat.matrix import Support, lookup, recommended_postgres
from temporal_acceptance.core.errors import UserError
from temporal_acceptance.core.versions import DEFAULT_TEMPORAL_VERSION as DEFAULT
from temporal_acceptance.core.versions import (
    major_from_server_version,
    major_from_server_version_num,
    parse_postgres_major,
    temporal_series,
)

# ---------------------------------------------------------------- the data


def test_every_cell_has_a_reason_and_a_source() -> None:
    assert len(matrix.MATRIX) == len(matrix.TEMPORAL_SERIES) * len(matrix.POSTGRES_MAJORS)
    for cell in matrix.MATRIX.values():
        assert cell.reason
        assert cell.sources
        assert all(source.url for source in cell.sources)


@pytest.mark.parametrize("major", [13, 14, 15, 16])
def test_majors_temporal_tests_are_supported_on_every_line(major: int) -> None:
    for series in matrix.TEMPORAL_SERIES:
        cell = matrix.MATRIX[(series, major)]
        assert cell.support is Support.SUPPORTED
        assert matrix.TEMPORAL_DOCS in cell.sources


def test_end_of_life_major_outside_the_tested_set_is_unsupported() -> None:
    cell = lookup("1.30.8", 12)
    assert cell.support is Support.UNSUPPORTED
    assert "end of life since 2024-11-21" in cell.reason
    assert matrix.POSTGRES_POLICY in cell.sources


def test_end_of_life_majors_temporal_still_tests_stay_supported_with_a_note() -> None:
    cell = lookup("1.29.1", 13)
    assert cell.support is Support.SUPPORTED
    assert "end of life since 2025-11-13" in cell.note


def test_newer_majors_are_untested_by_the_rule() -> None:
    cell = matrix._by_rule("1.29", 18)
    assert cell.support is Support.UNTESTED
    assert "newer than the majors" in cell.reason


def test_corrections_come_from_observations_and_override_the_rule() -> None:
    assert matrix.CORRECTIONS, "the 2026-12-01 observations corrected 17/18 on 1.29–1.32"
    for key, cell in matrix.CORRECTIONS.items():
        assert matrix.MATRIX[key] is cell
        assert cell.sources[0].title.startswith("observed by this suite on ")
        assert matrix._by_rule(*key).support is not cell.support
    assert lookup("1.29.1", 17) is matrix.CORRECTIONS[("1.29", 17)]
    assert matrix._by_rule("1.29", 17).support is Support.UNTESTED  # the rule, before it
    assert lookup("1.33.0", 17).support is Support.UNTESTED  # never observed: untested


def test_a_temporal_line_outside_the_matrix_is_untested() -> None:
    cell = lookup("1.33.0", 16)
    assert cell.support is Support.UNTESTED
    assert "Temporal 1.33 is not in the compatibility matrix" in cell.reason


def test_an_end_of_life_postgres_is_unsupported_on_any_temporal_line() -> None:
    assert lookup("1.40.0", 12).support is Support.UNSUPPORTED


def test_postgres_older_than_the_schema_allows_is_unsupported() -> None:
    cell = lookup("1.30.8", 11)
    assert cell.support is Support.UNSUPPORTED
    assert "needs PostgreSQL 12 or later" in cell.reason


def test_postgres_newer_than_the_matrix_is_untested() -> None:
    cell = lookup("1.30.8", 19)
    assert cell.support is Support.UNTESTED
    assert "newer than any major the matrix covers (12–18)" in cell.reason


def test_lookup_is_strict_about_the_temporal_version() -> None:
    with pytest.raises(UserError, match="is not of the form X.Y.Z"):
        lookup("1.30", 16)


def test_recommendation_is_the_default_major_when_supported() -> None:
    assert recommended_postgres("1.30") == 16
    assert recommended_postgres("9.99") == 16  # unknown line: the suite's default


def test_recommendation_falls_back_to_the_newest_supported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(matrix, "DEFAULT_POSTGRES_MAJOR", 12)
    assert recommended_postgres("1.30") == 18


# ---------------------------------------------------------------- decisions and words


def test_supported_pair_proceeds_without_a_warning() -> None:
    decision = decide("1.30.8", 16)
    assert decision.outcome is Outcome.SUPPORTED
    assert decision.allowed
    assert decision.warning is None
    assert decision.message().startswith("compatibility: Temporal 1.30.8 on PostgreSQL 16 is ")


def test_supported_message_carries_the_end_of_life_note() -> None:
    assert "note: PostgreSQL 13 is end of life" in decide("1.30.8", 13).message()


def test_untested_pair_warns_and_says_what_to_use_instead() -> None:
    decision = decide("1.33.0", 18)
    assert decision.outcome is Outcome.UNTESTED
    assert decision.allowed
    assert decision.warning == decision.message()
    assert decision.warning.startswith("warning: Temporal 1.33.0 on PostgreSQL 18 is untested")
    assert f"use Temporal {DEFAULT} with PostgreSQL 16" in decision.warning


def test_unsupported_pair_is_refused_with_one_line_naming_the_fix() -> None:
    decision = decide("1.30.8", 12)
    assert decision.outcome is Outcome.REFUSED
    assert not decision.allowed
    assert decision.warning is None
    refusal = decision.refusal()
    assert refusal.exit_code == 2
    assert "\n" not in refusal.line()
    assert refusal.problem.startswith("Temporal 1.30.8 on PostgreSQL 12 is unsupported — ")
    assert "use PostgreSQL 16" in refusal.fix
    assert FORCE_FLAG in refusal.fix
    assert decision.message() == refusal.line()


def test_forced_unsupported_pair_proceeds_with_a_recorded_warning() -> None:
    decision = decide("1.31.2", 12, force=True)
    assert decision.outcome is Outcome.FORCED
    assert decision.allowed
    assert decision.warning is not None
    assert f"because {FORCE_FLAG} was given" in decision.warning
    assert "recording this warning with the deployment" in decision.warning
    record = decision.as_record()
    assert record["outcome"] == "forced"
    assert record["forced"] is True
    assert record["warning"] == decision.warning
    assert record["sources"]
    assert all("<http" in s for s in record["sources"])


def test_forcing_a_supported_pair_changes_nothing() -> None:
    assert decide("1.30.8", 16, force=True).outcome is Outcome.SUPPORTED


def test_unknown_temporal_line_is_pointed_at_the_default_release() -> None:
    assert decide("1.33.0", 16).advice() == f"use Temporal {DEFAULT} with PostgreSQL 16"


# ---------------------------------------------------------------- version parsing


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("16.4", "names a minor release, not a major"),
        ("sixteen", "is not a number"),
        ("", "is not a number"),
        ("-16", "is not a number"),
        ("9.6", "outside the range the suite can provision (12–18)"),
        ("11", "outside the range the suite can provision"),
        ("16.4.1", "is not a number"),
    ],
)
def test_requested_postgres_versions_are_parsed_strictly(text: str, message: str) -> None:
    with pytest.raises(UserError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_postgres_major(text)


def test_a_requested_major_is_accepted_with_spaces() -> None:
    assert parse_postgres_major(" 17 ") == 17


@pytest.mark.parametrize(
    ("value", "major"), [("160014", 16), (180004, 18), ("90624", 9), (" 120022 ", 12)]
)
def test_server_version_num(value: str | int, major: int) -> None:
    assert major_from_server_version_num(value) == major


@pytest.mark.parametrize("value", ["16", "1600140", "016001", "16.14", "", "abc", "-16001"])
def test_malformed_server_version_num(value: str) -> None:
    with pytest.raises(ValueError, match="server_version_num"):
        major_from_server_version_num(value)


@pytest.mark.parametrize(
    ("text", "major"),
    [
        ("16.14", 16),
        ("15.18 (Debian 15.18-0+deb12u1)", 15),
        ("18beta1", 18),
        ("19devel", 19),
        ("9.6.24", 9),
    ],
)
def test_server_version_text(text: str, major: int) -> None:
    assert major_from_server_version(text) == major


@pytest.mark.parametrize("text", ["", "PostgreSQL 16", "v16", "16.x", "sixteen"])
def test_malformed_server_version_text(text: str) -> None:
    with pytest.raises(ValueError, match="server_version"):
        major_from_server_version(text)


def test_temporal_series_is_strict() -> None:
    assert temporal_series("v1.31.2") == "1.31"
    with pytest.raises(UserError):
        temporal_series("1.31")
