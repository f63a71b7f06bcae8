"""Render a report document to PDF (reportlab), XLSX (openpyxl) or DOCX (python-docx).

Reports are built once as a small document model (sections of paragraphs, tables and PNG charts) so
the three formats cannot drift apart. The PDF embeds a subset of Noto Sans CJK SC (``pdf_font``): Chinese
stays real text (searchable, extractable) and displays on viewers without an Asian font pack.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from evaluation import pdf_font

FORMATS = ("pdf", "xlsx", "docx")


@dataclass
class Table:
    title: str
    frame: pd.DataFrame  # display-ready: Chinese headers, formatted cells
    sheet: str | None = None  # XLSX sheet it goes to; None keeps it out of the workbook


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


def _cells(frame: pd.DataFrame) -> list[list[str]]:
    return [[str(c) for c in frame.columns]] + [["" if pd.isna(v) else str(v) for v in row]
                                                for row in frame.itertuples(index=False)]


def text_of(doc: Document) -> str:
    """Every character the document prints (the PDF font is cut down to these)."""
    parts = [doc.title, doc.subtitle]
    for section in doc.sections:
        parts += [section.heading, *section.paragraphs]
        for table in section.tables:
            parts += [table.title, *(c for row in _cells(table.frame) for c in row)]
    return "".join(parts)


def to_pdf(doc: Document, path: Path) -> None:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Image, LongTable, Paragraph, SimpleDocTemplate, Spacer, TableStyle

    body = ParagraphStyle("body", fontName=pdf_font.register(text_of(doc)), fontSize=9.5, leading=14, wordWrap="CJK")
    cell = ParagraphStyle("cell", parent=body, fontSize=7.5, leading=9.5)
    h1 = ParagraphStyle("h1", parent=body, fontSize=18, leading=24, alignment=1, spaceAfter=4)
    h2 = ParagraphStyle("h2", parent=body, fontSize=13, leading=18, spaceBefore=8, spaceAfter=4)
    h3 = ParagraphStyle("h3", parent=body, fontSize=10.5, leading=14, spaceBefore=4, spaceAfter=2)
    sub = ParagraphStyle("sub", parent=body, alignment=1, textColor=colors.grey)
    width = A4[0] - 30 * mm

    story = [Paragraph(doc.title, h1), Paragraph(doc.subtitle, sub), Spacer(1, 4 * mm)]
    for section in doc.sections:
        story.append(Paragraph(section.heading, h2))
        story += [Paragraph(p, body) for p in section.paragraphs]
        for png in section.images:
            img = Image(io.BytesIO(png))
            scale = min(1.0, width / img.drawWidth)
            img.drawWidth, img.drawHeight = img.drawWidth * scale, img.drawHeight * scale
            story.append(img)
        for table in section.tables:
            story.append(Paragraph(table.title, h3))
            rows = [[Paragraph(c, cell) for c in r] for r in _cells(table.frame)]
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
            for i, row in enumerate(_cells(table.frame)):
                ws.append(row)
                if i == 0:
                    for c in ws[ws.max_row]:
                        c.font = Font(bold=True)
    if not wb.sheetnames:
        wb.create_sheet("说明").append([doc.title, doc.subtitle])
    wb.save(path)


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
            cells = _cells(table.frame)
            t = d.add_table(rows=len(cells), cols=len(cells[0]))
            t.style = "Table Grid"
            for r, row in enumerate(cells):
                for c, value in enumerate(row):
                    t.cell(r, c).text = value
    d.save(path)
