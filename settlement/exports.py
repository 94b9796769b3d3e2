"""A collector's monthly statement as CSV and as PDF (reportlab, like billing's invoices).

Both are drawn from one ``Statement`` (settlement.selectors), so the file, the page and the sums are the same rows.
"""

import csv
import io

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from diagnopet.spreadsheet import money_heading, spreadsheet_safe
from settlement.selectors import Statement

_STYLES = getSampleStyleSheet()
_TABLE = TableStyle(
    [
        ("FONT", (0, 0), (-1, -1), "Helvetica", 8),
        ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 8),
        ("LINEBELOW", (0, 0), (-1, 0), 0.5, colors.grey),
        ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
    ]
)


def collector_name(collector) -> str:
    return collector.full_name or collector.phone


def summary_rows(statement: Statement) -> list[tuple[str, object]]:
    return [
        ("Opening cash held", statement.opening_cash_held),
        ("Opening fees owed", statement.opening_fees_owed),
        ("Visits", statement.visit_count),
        ("Fees earned", statement.fees),
        ("Cash collected", statement.cash_collected),
        ("Cash handed over", statement.handed_over),
        ("Closing cash held", statement.closing_cash_held),
        ("Payouts", statement.paid_out),
        ("Closing fees owed", statement.closing_fees_owed),
        ("Balance (clinic owes collector)", statement.balance),
    ]


def statement_csv(statement: Statement) -> str:
    """Sections one after the other: the summary, then every entry with its kind (visit, cash, hand-over, payout)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["Collector", spreadsheet_safe(collector_name(statement.collector))])
    writer.writerow(["Month", f"{statement.month:%b %Y}"])
    for label, value in summary_rows(statement):
        # Amounts as plain decimals with the currency in the label (diagnopet.spreadsheet.money_heading).
        writer.writerow([label if isinstance(value, int) else money_heading(label), value])
    writer.writerow([])
    writer.writerow(["Kind", "Date", "Reference", money_heading("Amount"), money_heading("Fee")])
    for visit in statement.visits:
        writer.writerow(["Visit", visit["day"].isoformat(), visit["code"], visit["total"], visit["fee"]])
    for payment in statement.payments:
        writer.writerow(["Cash collected", payment["day"].isoformat(), payment["code"], payment["amount"], ""])
    for handover in statement.handovers:
        writer.writerow(["Hand-over", handover["day"].isoformat(), f"H{handover['id']}", handover["amount"], ""])
    for payout in statement.payouts:
        reference = spreadsheet_safe(f"{payout['method_label']} {payout['reference']}".strip())
        writer.writerow(["Payout", payout["day"].isoformat(), reference, payout["amount"], ""])
    return out.getvalue()


def _text(value: str) -> str:
    return str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _table(header: list[str], rows: list[list]) -> Table:
    table = Table([header, *[[_text(cell) for cell in row] for row in rows]], hAlign="LEFT", repeatRows=1)
    table.setStyle(_TABLE)
    return table


def statement_pdf(statement: Statement, *, clinic_name: str = "DiagnoPet") -> bytes:
    """The page's figures as a PDF: labelled like the CSV, amounts as plain decimals under headings with the currency
    (the PDF's standard Helvetica has no rupee sign), days as the page writes them."""
    buffer = io.BytesIO()
    title = f"Collector statement, {statement.month:%b %Y}"
    document = SimpleDocTemplate(buffer, pagesize=A4, title=title, leftMargin=15 * mm, rightMargin=15 * mm)
    parts = [
        Paragraph(_text(clinic_name), _STYLES["Title"]),
        Paragraph(_text(f"{title}: {collector_name(statement.collector)}"), _STYLES["Heading2"]),
        _table(
            ["", money_heading("Amount")],
            [[label, value] for label, value in summary_rows(statement)],
        ),
        Spacer(1, 5 * mm),
        Paragraph("Per day", _STYLES["Heading3"]),
        _table(
            [
                "Day",
                "Visits",
                money_heading("Fees"),
                money_heading("Cash collected"),
                money_heading("Handed over"),
                money_heading("Payouts"),
                money_heading("Cash held"),
            ],
            [
                [
                    f"{row.day:%a %d %b %Y}",
                    row.visits,
                    row.fees,
                    row.cash_collected,
                    row.handed_over,
                    row.payouts,
                    row.cash_held,
                ]
                for row in statement.days
            ],
        ),
        Spacer(1, 5 * mm),
        Paragraph("Entries", _STYLES["Heading3"]),
        _table(
            ["Kind", "Date", "Reference", money_heading("Amount"), money_heading("Fee")],
            [["Visit", f"{v['day']:%d %b %Y}", v["code"], v["total"], v["fee"]] for v in statement.visits]
            + [["Cash collected", f"{p['day']:%d %b %Y}", p["code"], p["amount"], ""] for p in statement.payments]
            + [["Hand-over", f"{h['day']:%d %b %Y}", f"H{h['id']}", h["amount"], ""] for h in statement.handovers]
            + [
                ["Payout", f"{p['day']:%d %b %Y}", f"{p['method_label']} {p['reference']}".strip(), p["amount"], ""]
                for p in statement.payouts
            ],
        ),
    ]
    document.build(parts)
    return buffer.getvalue()
