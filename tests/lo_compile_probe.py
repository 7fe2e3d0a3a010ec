"""Run by the system Python (which has LibreOffice's UNO bridge), not by the test's venv.

Usage: python3 lo_compile_probe.py PROFILE_DIR WORKBOOK MODULE...

Starts LibreOffice headless with macro execution allowed, opens the workbook (LibreOffice
imports its VBA project as the Basic library "VBAProject") and asks each module for its
`SopCompileProbe` function through the script provider. LibreOffice compiles a module
before it can call into it; a module that does not compile yields no result (None). Prints
one line per module: "<name> compiled" or "<name> failed".
"""

import contextlib
import os
import subprocess
import sys
import time

import uno
from com.sun.star.beans import PropertyValue

ALWAYS_EXECUTE_NO_WARN = 4  # com.sun.star.document.MacroExecMode


def _prop(name, value):
    prop = PropertyValue()
    prop.Name, prop.Value = name, value
    return prop


def main(profile, workbook, modules):
    pipe = f"sopprobe{os.getpid()}"
    office = subprocess.Popen(
        [
            "soffice",
            "-env:UserInstallation=" + uno.systemPathToFileUrl(profile),
            "--headless",
            "--invisible",
            "--norestore",
            "--nologo",
            f"--accept=pipe,name={pipe};urp;",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext(
            "com.sun.star.bridge.UnoUrlResolver", local
        )
        deadline = time.monotonic() + 120
        while True:
            try:
                ctx = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)
        desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
        url = uno.systemPathToFileUrl(os.path.abspath(workbook))
        doc = desktop.loadComponentFromURL(
            url,
            "_blank",
            0,
            (_prop("Hidden", True), _prop("MacroExecutionMode", ALWAYS_EXECUTE_NO_WARN)),
        )
        provider = doc.getScriptProvider()
        libraries = doc.BasicLibraries
        libraries.loadLibrary("VBAProject")
        present = set(libraries.getByName("VBAProject").getElementNames())
        for module in modules:
            if module not in present:
                print(f"{module} missing")
                continue
            script = provider.getScript(
                f"vnd.sun.star.script:VBAProject.{module}.SopCompileProbe"
                "?language=Basic&location=document"
            )
            result = script.invoke((), (), ())[0]
            print(f"{module} {'failed' if result is None else 'compiled'}")
        doc.close(True)
        with contextlib.suppress(Exception):  # the bridge drops as LibreOffice quits
            desktop.terminate()
        office.wait(timeout=60)
    finally:
        if office.poll() is None:
            office.kill()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3:])
