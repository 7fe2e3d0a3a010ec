Attribute VB_Name = "SopRibbon"
Option Explicit

' sop-addin: every button of the S&OP ribbon tab calls this one callback. The button's
' tag names the action; Python runs it on the workbook that was clicked.
Public Sub SopButton(control As IRibbonControl)
    RunPython "import sop_addin.excel.ribbon as r; r.on_action('" & control.Tag & "')"
End Sub
