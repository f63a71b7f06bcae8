"""Render a report document to PDF (reportlab), XLSX (openpyxl) or DOCX (python-docx).

Reports are built once as a small document model (sections of paragraphs, tables and PNG charts) so
the three formats cannot drift apart. The PDF embeds a subset of Noto Sans CJK SC (``pdf_font``): Chinese
stays real text (searchable, extractable) and displays on viewers without an Asian font pack.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from data_access import spreadsheet
from evaluation import pdf_font

FORMATS = ("pdf", "xlsx", "docx")


# Excel number formats a table column may carry, and how the PDF and DOCX print the same number.
NUMBER_FORMATS = {"0": "{:.0f}", "0.0": "{:.1f}", "0.0%": "{:.1%}"}
MISSING = "无数据"


@dataclass
class Table:
    """A titled table. Number columns hold numbers (NaN when missing) and name their Excel number format
    in ``formats``, so the workbook stores numbers Excel can sort and sum; PDF and DOCX print them with
    the same format. A table without rows prints ``empty`` instead of a bare header."""

    title: str
    frame: pd.DataFrame  # Chinese headers; text cells display-ready, number cells raw
    sheet: str | None = None  # XLSX sheet it goes to; None keeps it out of the workbook
    formats: dict[str, str] = field(default_factory=dict)  # column → key of NUMBER_FORMATS
    empty: str = "本期无数据"

    def __post_init__(self) -> None:
        unknown = {c: f for c, f in self.formats.items() if c not in self.frame.columns or f not in NUMBER_FORMATS}
        if unknown:
            raise ValueError(f"table {self.title!r}: unknown columns or number formats {unknown}")


@dataclass
class Section:
    heading: str
    paragraphs: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    images: list[bytes] = field(default_factory=list)


@dataclass
class Document:
    title: str
    subtitle: str
    sections: list[Section]


def write(doc: Document, fmt: str, path: Path) -> Path:
    """Write ``doc`` as ``fmt`` to ``path`` (parent directories are created)."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    {"pdf": to_pdf, "xlsx": to_xlsx, "docx": to_docx}[fmt](doc, path)
    return path


def _is_missing(value: object) -> bool:
    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))


def _display(value: object, fmt: str | None) -> str:
    if _is_missing(value):
        return MISSING if fmt else ""
    if fmt and not isinstance(value, str):
        return NUMBER_FORMATS[fmt].format(value)
    return str(value)


def _cells(table: Table) -> list[list[str]]:
    """The table as printed text: the header row, then each row with numbers in their formats."""
    formats = [table.formats.get(c) for c in table.frame.columns]
    return [[str(c) for c in table.frame.columns]] + [[_display(v, f) for v, f in zip(row, formats, strict=True)]
                                                      for row in table.frame.itertuples(index=False)]


def text_of(doc: Document) -> str:
    """Every character the document prints (the PDF font is cut down to these)."""
    parts = [doc.title, doc.subtitle]
    for section in doc.sections:
        parts += [section.heading, *section.paragraphs]
        for table in section.tables:
            parts += [table.title, table.empty, *(c for row in _cells(table) for c in row)]
    return "".join(parts)


def to_pdf(doc: Document, path: Path) -> None:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import (
        CondPageBreak,
        Image,
        LongTable,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        TableStyle,
    )

    body = ParagraphStyle("body", fontName=pdf_font.register(text_of(doc)), fontSize=9.5, leading=14, wordWrap="CJK")
    cell = ParagraphStyle("cell", parent=body, fontSize=7.5, leading=9.5)
    h1 = ParagraphStyle("h1", parent=body, fontSize=18, leading=24, alignment=1, spaceAfter=4)
    # Headings keep with what follows (keepWithNext) and start a new page when less than a few table rows'
    # room is left (CondPageBreak), so no heading is left alone at the bottom of a page.
    h2 = ParagraphStyle("h2", parent=body, fontSize=13, leading=18, spaceBefore=8, spaceAfter=4, keepWithNext=1)
    h3 = ParagraphStyle("h3", parent=body, fontSize=10.5, leading=14, spaceBefore=4, spaceAfter=2, keepWithNext=1)
    sub = ParagraphStyle("sub", parent=body, alignment=1, textColor=colors.grey)
    width = A4[0] - 30 * mm

    story = [Paragraph(doc.title, h1), Paragraph(doc.subtitle, sub), Spacer(1, 4 * mm)]
    for section in doc.sections:
        story += [CondPageBreak(60 * mm), Paragraph(section.heading, h2)]
        story += [Paragraph(p, body) for p in section.paragraphs]
        for png in section.images:
            img = Image(io.BytesIO(png))
            scale = min(1.0, width / img.drawWidth)
            img.drawWidth, img.drawHeight = img.drawWidth * scale, img.drawHeight * scale
            story.append(img)
        for table in section.tables:
            story += [CondPageBreak(35 * mm), Paragraph(table.title, h3)]
            if table.frame.empty:
                story += [Paragraph(table.empty, body), Spacer(1, 3 * mm)]
                continue
            rows = [[Paragraph(c, cell) for c in r] for r in _cells(table)]
            t = LongTable(rows, repeatRows=1, colWidths=[width / max(1, len(table.frame.columns))] * len(rows[0]))
            t.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
                                   ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e3ecf7")),
                                   ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
            story += [t, Spacer(1, 3 * mm)]
    SimpleDocTemplate(str(path), pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=15 * mm,
                      bottomMargin=15 * mm, title=doc.title).build(story)


def to_xlsx(doc: Document, path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    wb.remove(wb.active)
    for section in doc.sections:
        for table in section.tables:
            if table.sheet is None:
                continue
            ws = wb[table.sheet] if table.sheet in wb.sheetnames else wb.create_sheet(table.sheet)
            if ws.max_row > 1:
                ws.append([])
            ws.append([table.title])
            ws.cell(ws.max_row, 1).font = Font(bold=True)
            if table.frame.empty:
                ws.append([table.empty])
                continue
            ws.append([str(c) for c in table.frame.columns])
            for c in ws[ws.max_row]:
                c.font = Font(bold=True)
            formats = [table.formats.get(c) for c in table.frame.columns]
            for row in table.frame.itertuples(index=False):
                ws.append([_xlsx_value(v, f) for v, f in zip(row, formats, strict=True)])
                for c, fmt in zip(ws[ws.max_row], formats, strict=True):
                    if fmt and isinstance(c.value, int | float):
                        c.number_format = fmt
    if not wb.sheetnames:
        wb.create_sheet("说明").append([doc.title, doc.subtitle])
    for ws in wb.worksheets:
        spreadsheet.as_text_cells(ws)
    wb.save(path)


def _xlsx_value(value: object, fmt: str | None) -> object:
    """A number stays a number (numpy scalars become Python's); a missing number reads 无数据."""
    if _is_missing(value):
        return MISSING if fmt else None
    if isinstance(value, np.generic):
        value = value.item()
    return value if isinstance(value, int | float | str | dt.date) else str(value)


def to_docx(doc: Document, path: Path) -> None:
    from docx import Document as Docx
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    d = Docx()
    normal = d.styles["Normal"]
    normal.font.size = Pt(10)
    normal.font.name = "SimSun"  # creates w:rFonts, whose eastAsia slot Word uses for Chinese
    normal.element.rPr.rFonts.set(qn("w:eastAsia"), "宋体")
    d.add_heading(doc.title, level=0)
    d.add_paragraph(doc.subtitle)
    for section in doc.sections:
        d.add_heading(section.heading, level=1)
        for p in section.paragraphs:
            d.add_paragraph(p)
        for png in section.images:
            d.add_picture(io.BytesIO(png), width=Cm(16))
        for table in section.tables:
            d.add_heading(table.title, level=2)
            if table.frame.empty:
                d.add_paragraph(table.empty)
                continue
            cells = _cells(table)
            t = d.add_table(rows=len(cells), cols=len(cells[0]))
            t.style = "Table Grid"
            for r, row in enumerate(cells):
                for c, value in enumerate(row):
                    t.cell(r, c).text = value
    d.save(path)
