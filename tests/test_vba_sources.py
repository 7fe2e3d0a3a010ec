"""The VBA sources parse with an independent grammar on every platform the add-in runs on.

ANTLR's Python runtime is slow on this grammar: xlwings.bas takes 30-50 s per platform
and Dictionary's Mac branch 20 s on the 2-core test machine. Both are xlwings' own modules
(test_addin_build checks they equal the installed xlwings' copies, which Excel compiles),
so by default the grammar checks the modules this project writes; SOP_VBA_GRAMMAR_ALL=1
checks every module (all pass: 12 cases in 100-160 s).
"""

from __future__ import annotations

import os

import pytest

from sop_addin.excel.vba_project import VbaModule, source_modules, workbook_modules
from tests.vba_grammar import MAC, PLATFORMS, WIN64, evaluate, resolve, syntax_errors

THIRD_PARTY = {"xlwings", "Dictionary"}
MODULES = [
    m
    for m in workbook_modules(["Sheet1"]) + source_modules()
    if os.environ.get("SOP_VBA_GRAMMAR_ALL") == "1" or m.name not in THIRD_PARTY
]


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
@pytest.mark.parametrize("module", MODULES, ids=[m.name for m in MODULES])
def test_every_module_parses(module: VbaModule, platform: str):
    assert syntax_errors(module.source, module.kind, PLATFORMS[platform]) == []


BROKEN = (
    'Attribute VB_Name = "Broken"\r\n'
    "Public Sub Probe()\r\n"
    "#If Mac Then\r\n"
    "    If True Then\r\n"  # no End If: broken on the Mac only
    "#Else\r\n"
    "    Debug.Print 1\r\n"
    "#End If\r\n"
    "End Sub\r\n"
)


def test_the_grammar_finds_a_syntax_error_in_the_branch_a_platform_compiles():
    # Calibration: the check fails where VBA's compiler would.
    assert syntax_errors(BROKEN, "module", WIN64) == []
    assert syntax_errors(BROKEN, "module", MAC) != []
    assert syntax_errors(BROKEN.replace("End Sub", "End Function"), "module", WIN64) != []
    class_module = BROKEN.replace("Broken", "BrokenClass").replace("#If Mac", "#If Win64")
    assert syntax_errors(class_module, "class", WIN64) != []


def test_conditional_compilation_keeps_lines_and_picks_branches():
    source = (
        '#Const App = "Microsoft Excel"\n'
        '#If Mac Or Not App = "Microsoft Excel" Then\n'
        "a\n"
        "#ElseIf Win64 Then\n"
        "b\n"
        "#Else\n"
        "c\n"
        "#End If\n"
    )
    win = resolve(source, WIN64).split("\n")
    mac = resolve(source, MAC).split("\n")
    assert len(win) == len(mac) == len(source.split("\n"))  # line numbers are kept
    assert [line for line in win if line] == ["b"]
    assert [line for line in mac if line] == ["a"]
    assert evaluate("MAC_OFFICE_VERSION >= 15", {"mac_office_version": 16}) is True
    assert evaluate("MAC_OFFICE_VERSION >= 15", {}) is False  # undefined is Empty (0)
    with pytest.raises(ValueError, match="not closed"):
        resolve("#If Mac Then\nx\n", MAC)
