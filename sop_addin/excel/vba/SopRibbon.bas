Attribute VB_Name = "SopRibbon"
Option Explicit

' sop-addin: every button of the S&OP ribbon tab calls this one callback. The button's
' tag names the action; Python runs it on the active workbook (the xlwings module here is
' xlwings' custom add-in module, which hands Python ActiveWorkbook rather than the add-in).
Public Sub SopButton(control As IRibbonControl)
    If ActiveWorkbook Is Nothing Then
        MsgBox "Open an S&OP planning workbook first: the S&OP buttons act on the active workbook.", _
            vbInformation, "S&OP"
        Exit Sub
    End If
    RunPython "import sop_addin.excel.ribbon as r; r.on_action('" & control.Tag & "')"
End Sub
