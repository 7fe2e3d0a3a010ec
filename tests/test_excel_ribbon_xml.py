"""The ribbon: button table as data, schema-valid customUI14 XML, tags that resolve to actions."""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree

import pytest

from sop_addin.actions import ACTIONS
from sop_addin.excel.ribbon_xml import (
    CALLBACK,
    CUSTOMUI14_NS,
    customui_xml,
    load_buttons,
    ribbon_for_actions,
    shown_buttons,
)

# Microsoft's published customUI14 schema, shipped with the tests (tests/data/README.md).
SCHEMA = Path(__file__).resolve().parent / "data" / "customui14.xsd"
SCHEMA_2006 = SCHEMA.with_name("customUI.xsd")
NS = {"ui": CUSTOMUI14_NS}
# The cycle's groups in order (issue 7), plus the one-click cycle.
GROUPS = ["Demand", "Supply", "Finance", "Scenarios", "Exec", "Governance", "Cycle", "Setup"]


@pytest.fixture(scope="module")
def schema():
    import xmlschema

    return xmlschema.XMLSchema(str(SCHEMA))


def test_the_2006_schema_rejects_the_2009_namespace():
    # The namespace matters: Office 2007's schema does not accept customUI14 XML.
    import xmlschema

    old = xmlschema.XMLSchema(str(SCHEMA_2006))
    assert not old.is_valid(ribbon_for_actions(ACTIONS).decode("utf-8"))


def _buttons(xml: bytes) -> list[ElementTree.Element]:
    return ElementTree.fromstring(xml).findall(".//ui:button", NS)


def test_ribbon_for_the_registered_actions_is_schema_valid(schema):
    schema.validate(ribbon_for_actions(ACTIONS).decode("utf-8"))


def test_ribbon_with_every_button_is_schema_valid(schema):
    schema.validate(customui_xml(load_buttons()).decode("utf-8"))


def test_schema_rejects_a_broken_ribbon(schema):
    # The validation is real: a size outside the enumeration, or an unknown attribute, fail.
    xml = ribbon_for_actions(ACTIONS)
    assert not schema.is_valid(xml.replace(b'size="large"', b'size="huge"', 1).decode("utf-8"))
    assert not schema.is_valid(xml.replace(b"onAction=", b"onClick=", 1).decode("utf-8"))


def test_every_button_tag_resolves_to_an_action():
    xml = ribbon_for_actions(ACTIONS)
    tags = [b.get("tag") for b in _buttons(xml)]
    assert tags and all(tag in ACTIONS for tag in tags)


def test_every_built_action_has_a_button():
    assert set(ACTIONS) <= {b.tag for b in load_buttons()}
    shown = {b.get("tag") for b in _buttons(ribbon_for_actions(ACTIONS))}
    assert shown == set(ACTIONS)


def test_buttons_without_an_action_are_not_shown():
    xml = ribbon_for_actions(["run_plan", "approve_snapshot", "not_a_button"])
    root = ElementTree.fromstring(xml)
    assert [b.get("tag") for b in _buttons(xml)] == ["run_plan", "approve_snapshot"]
    # Only groups with a button appear, in the cycle's order.
    assert [g.get("label") for g in root.findall(".//ui:group", NS)] == ["Supply", "Exec"]


def test_table_covers_the_cycle_in_order():
    buttons = load_buttons()
    groups = list(dict.fromkeys(b.group for b in buttons))
    assert groups == GROUPS
    by_group = {g: [b.label for b in buttons if b.group == g] for g in GROUPS}
    assert by_group["Demand"] == ["Refresh Forecast", "Apply Consensus", "Accuracy"]
    assert by_group["Scenarios"] == ["Run", "Compare", "Promote"]
    assert by_group["Governance"] == ["Plan vs Actual", "S&OE"]


def test_every_button_calls_the_one_callback_with_its_tag():
    for element in _buttons(customui_xml(load_buttons())):
        assert element.get("onAction") == CALLBACK
        assert element.get("id") == "sop_" + element.get("tag")
        assert element.get("imageMso") and element.get("screentip") and element.get("supertip")


def test_ampersands_are_doubled_in_labels_only():
    root = ElementTree.fromstring(customui_xml(load_buttons()))
    assert root.find(".//ui:tab", NS).get("label") == "S&&OP"
    approve = root.find(".//ui:button[@tag='approve_snapshot']", NS)
    assert approve.get("label") == "Approve && Snapshot"
    cycle = root.find(".//ui:button[@tag='run_cycle']", NS)
    assert cycle.get("screentip") == "Run the whole S&OP cycle"


def test_a_broken_button_table_is_a_clear_error(tmp_path):
    bad = tmp_path / "buttons.csv"
    bad.write_text(
        "tag,group,label,image_mso,screentip,supertip\nrun_plan,Supply,,CalculateNow,x,y\n",
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match="line 2: empty label"):
        load_buttons(bad)
    bad.write_text(
        "tag,group,label,image_mso,screentip,supertip\n"
        "run_plan,Supply,A,B,C,D\nrun_plan,Supply,A,B,C,D\n",
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match="tags listed twice: run_plan"):
        load_buttons(bad)


def test_shown_buttons_keep_table_order():
    tags = [b.tag for b in shown_buttons(reversed(list(ACTIONS)))]
    table = [b.tag for b in load_buttons() if b.tag in ACTIONS]
    assert tags == table
