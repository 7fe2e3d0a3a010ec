"""Check VBA source with an independent grammar (antlr4-vba, after [MS-VBAL] 5.6.16).

VBA's conditional compilation (#Const, #If ... #End If) runs before parsing, as in the VBA
editor: `resolve` keeps the lines of the branches a platform compiles and blanks the rest
(line numbers stay those of the source), and `syntax_errors` parses what is left.
"""

from __future__ import annotations

import re

# The compiler constants of the platforms the add-in runs on ([MS-VBAL] 3.4.1.1).
WIN64 = {"vba6": True, "vba7": True, "win16": False, "win32": True, "win64": True, "mac": False}
MAC = {"vba6": True, "vba7": True, "win16": False, "win32": False, "win64": False, "mac": True}
PLATFORMS = {"Win64": WIN64, "Mac": MAC}

# The class header the VBA editor exports (the grammar parses a class module in that form).
CLASS_HEADER = "VERSION 1.0 CLASS\r\nBEGIN\r\n  MultiUse = -1  'True\r\nEND\r\n"
# [MS-VBAL] 4.2's class-attr lists VB_Name, VB_GlobalNameSpace, VB_Creatable,
# VB_PredeclaredId, VB_Exposed and VB_Customizable; the lines the VBA editor adds beyond
# those are checked against Excel's own project (test_vba_project_structure.py).
_NOT_IN_VBAL = re.compile(
    r"^Attribute VB_(Base|TemplateDerived|Description) = .*\r?\n", re.MULTILINE
)
_DIRECTIVE = re.compile(r"^\s*#(If|ElseIf|Else|End If|Const)\b(.*)$", re.IGNORECASE)
_TOKEN = re.compile(r'"[^"]*"|<>|>=|<=|=|\b[A-Za-z_]\w*\b|\d+|[()<>]')


def evaluate(expression: str, constants: dict[str, object]) -> object:
    """The value of a conditional-compilation expression; unknown names are Empty (0)."""
    words = {"not": " not ", "and": " and ", "or": " or ", "true": "True", "false": "False"}
    operators = {"=": "==", "<>": "!="}

    def python(token: str) -> str:
        if token.startswith('"') or token.isdigit() or token in "()<>" or token in ("<=", ">="):
            return token
        if token in operators:
            return operators[token]
        if token.lower() in words:
            return words[token.lower()]
        return repr(constants.get(token.lower(), 0))

    code = " ".join(python(t) for t in _TOKEN.findall(expression))
    return eval(code, {"__builtins__": {}})  # tokens of our own .bas files only


def resolve(source: str, constants: dict[str, object]) -> str:
    """The source with only the branches compiled under `constants` (others blanked)."""
    names = dict(constants)
    stack: list[tuple[bool, bool]] = []  # (branch active, some branch of this #If taken)
    active = True
    out = []
    for number, line in enumerate(source.split("\n"), start=1):
        match = _DIRECTIVE.match(line.split("'", 1)[0] if "#" in line else "")
        if not match:
            out.append(line if active else "")
            continue
        keyword, rest = match.group(1).lower(), match.group(2).strip()
        condition = re.sub(r"\s+Then\s*$", "", rest, flags=re.IGNORECASE)
        if keyword == "const":
            if active:
                name, value = condition.split("=", 1)
                names[name.strip().lower()] = evaluate(value, names)
        elif keyword == "if":
            stack.append((active, False))
            taken = active and bool(evaluate(condition, names))
            stack[-1] = (active, taken)
            active = taken
        elif keyword in ("elseif", "else"):
            if not stack:
                msg = f"line {number}: #{match.group(1)} without #If"
                raise ValueError(msg)
            outer, taken = stack[-1]
            now = outer and not taken and (keyword == "else" or bool(evaluate(condition, names)))
            stack[-1] = (outer, taken or now)
            active = now
        else:  # end if
            if not stack:
                msg = f"line {number}: #End If without #If"
                raise ValueError(msg)
            active = stack.pop()[0]
        out.append("")
    if stack:
        msg = f"{len(stack)} #If block(s) not closed"
        raise ValueError(msg)
    return "\n".join(out)


def syntax_errors(source: str, kind: str, constants: dict[str, object]) -> list[str]:
    """antlr4-vba's syntax errors ("line:column message") in a module's stored source."""
    from antlr4 import CommonTokenStream, InputStream
    from antlr4.atn.PredictionMode import PredictionMode
    from antlr4.error.ErrorListener import ErrorListener
    from antlr4_vba.vbaLexer import vbaLexer
    from antlr4_vba.vbaParser import vbaParser

    class Collect(ErrorListener):
        def __init__(self) -> None:
            self.errors: list[str] = []

        def syntaxError(self, recognizer, offendingSymbol, line, column, msg, e):
            self.errors.append(f"{line}:{column} {msg}")

    text = resolve(source, constants)
    if kind != "module":
        text = CLASS_HEADER + _NOT_IN_VBAL.sub("", text)
    errors = Collect()
    lexer = vbaLexer(InputStream(text))
    lexer.removeErrorListeners()
    lexer.addErrorListener(errors)
    parser = vbaParser(CommonTokenStream(lexer))
    parser.removeErrorListeners()
    parser.addErrorListener(errors)
    # SLL prediction is many times faster; a module it rejects is parsed again with full LL,
    # which alone decides (ANTLR's two-stage strategy: SLL never accepts invalid input).
    parser._interp.predictionMode = PredictionMode.SLL
    parser.startRule()
    if errors.errors:
        return _parse_ll(text, Collect)
    return errors.errors


def _parse_ll(text: str, collect: type) -> list[str]:
    from antlr4 import CommonTokenStream, InputStream
    from antlr4_vba.vbaLexer import vbaLexer
    from antlr4_vba.vbaParser import vbaParser

    errors = collect()
    lexer = vbaLexer(InputStream(text))
    lexer.removeErrorListeners()
    parser = vbaParser(CommonTokenStream(lexer))
    parser.removeErrorListeners()
    parser.addErrorListener(errors)
    parser.startRule()
    return list(errors.errors)
