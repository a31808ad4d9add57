from __future__ import annotations

import pytest

from temporal_acceptance.core.errors import UserError
from temporal_acceptance.core.versions import (
    Version,
    major_from_server_version_num,
    parse_postgres_major,
    parse_temporal_version,
    schema_version_key,
)


@pytest.mark.parametrize(("text", "expected"), [("1.30.8", "1.30.8"), ("v1.29.2", "1.29.2")])
def test_temporal_versions_parse(text: str, expected: str) -> None:
    assert str(parse_temporal_version(text)) == expected


@pytest.mark.parametrize("text", ["1.30", "latest", "1.30.8-rc1", "", "v1..2"])
def test_malformed_temporal_versions_are_refused(text: str) -> None:
    with pytest.raises(UserError, match="is not of the form X.Y.Z"):
        parse_temporal_version(text)


def test_version_orders_numerically_and_knows_its_series() -> None:
    assert Version(1, 9, 0) < Version(1, 30, 0)
    assert parse_temporal_version("1.30.8").series == "1.30"
    assert parse_temporal_version("1.30.8").tag == "v1.30.8"


@pytest.mark.parametrize(("text", "major"), [("16", 16), (12, 12), (" 18 ", 18)])
def test_postgres_majors_in_range(text: str | int, major: int) -> None:
    assert parse_postgres_major(text) == major


def test_postgres_major_not_a_number() -> None:
    with pytest.raises(UserError, match="'sixteen' is not a number") as info:
        parse_postgres_major("sixteen")
    assert "between 12 and 18" in info.value.fix


@pytest.mark.parametrize("text", ["11", "19", "9"])
def test_postgres_major_out_of_range(text: str) -> None:
    with pytest.raises(UserError, match="outside the range the suite can provision"):
        parse_postgres_major(text)


@pytest.mark.parametrize(("num", "major"), [("160014", 16), (120022, 12), ("90624", 9)])
def test_server_version_num(num: str | int, major: int) -> None:
    assert major_from_server_version_num(num) == major


@pytest.mark.parametrize("num", ["16.4", "abc", "1600", ""])
def test_server_version_num_malformed(num: str) -> None:
    with pytest.raises(ValueError, match="server_version_num"):
        major_from_server_version_num(num)


def test_schema_versions_compare_numerically() -> None:
    assert schema_version_key("1.9") < schema_version_key("1.18")
    assert schema_version_key("v1.13") == (1, 13)
    with pytest.raises(ValueError, match="dotted numbers"):
        schema_version_key("1.x")
