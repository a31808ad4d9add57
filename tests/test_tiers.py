"""The slow tiers are left out of a selection whose tags do not name them."""

from __future__ import annotations

from behave.tag_expression import make_tag_expression

from temporal_acceptance.core.tiers import WithoutTiers, left_out, narrowed

DEFAULT = ["not @matrix and not @multirole and not @upgrade and not @load"]


def test_the_default_tags_name_every_tier_and_change_nothing() -> None:
    expression = make_tag_expression(DEFAULT)
    assert narrowed(DEFAULT, expression) is expression


def test_tags_that_do_not_name_a_tier_leave_it_out() -> None:
    assert left_out(["@P0"]) == ("matrix", "upgrade", "load")
    assert left_out("@phase6 and @upgrade") == ("matrix", "load")
    assert left_out(["not @ui", "load"]) == ("matrix", "upgrade")  # two --tags, `@` optional
    assert left_out("@loadtest or @preload or @no-matrix") == ("matrix", "upgrade", "load")
    selection = narrowed(["@P0"], make_tag_expression(["@P0"]))
    assert isinstance(selection, WithoutTiers)
    assert selection.check(["P0", "phase4"])
    assert not selection.check(["P0", "upgrade"])  # a P0 of a slow tier: not asked for
    assert not selection.check(["P1"])  # what behave's own selection refuses stays refused
    assert "left out: @matrix, @upgrade, @load" in str(selection)


def test_a_tier_named_by_the_tags_runs_as_they_say() -> None:
    tags = "@P0 and @upgrade"
    selection = narrowed(tags, make_tag_expression(tags))
    assert selection.check(["P0", "upgrade"])
    assert not selection.check(["P0", "matrix"])
    # make check's selection: the default set (behave expands {config.tags}) or the load gate
    expanded = f"{make_tag_expression(DEFAULT)} or @load"
    check = narrowed(expanded, make_tag_expression(expanded))
    assert check.check(["load", "P1"])
    assert check.check(["phase2"])
    assert not check.check(["matrix"])
    assert not check.check(["upgrade", "P0"])
