"""The PDF bulletin's embedded CJK font: a TrueType subset converted from Noto Sans CJK SC's CFF outlines."""

from __future__ import annotations

import io

import pandas as pd
import pypdf
import pytest
from fontTools.pens.boundsPen import BoundsPen
from fontTools.ttLib import TTFont

from evaluation import pdf_font, render
from evaluation.render import Document, Section, Table


@pytest.fixture
def var_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("BIANJIAN_VAR_DIR", str(tmp_path / "var"))
    return tmp_path / "var"


def _doc(title: str, unit: str) -> Document:
    table = Table("综合排名", pd.DataFrame({"排名": ["1", "2"], "单位": [unit, "示范区"], "综合得分": ["101.5", "99.0"]}))
    return Document(title, "数据截至 2026-06-01", [Section("一、排名", ["得分相同名次并列。"], [table])])


def _text(path) -> str:
    return "".join(page.extract_text() for page in pypdf.PdfReader(path).pages)


def test_two_documents_in_one_process_each_embed_and_extract_their_own_font(var_dir, tmp_path):
    first = render.write(_doc("龙亭区月通报", "龙亭区"), "pdf", tmp_path / "a.pdf")
    second = render.write(_doc("兰考县周检查", "兰考县"), "pdf", tmp_path / "b.pdf")
    again = render.write(_doc("龙亭区月通报", "龙亭区"), "pdf", tmp_path / "c.pdf")

    for path, expected in ((first, "龙亭区月通报"), (second, "兰考县周检查"), (again, "龙亭区月通报")):
        text = _text(path)
        assert expected in text and "排名" in text and "示范区" in text and "101.5" in text, text
        descriptors = [f.get_object()["/FontDescriptor"].get_object() for page in pypdf.PdfReader(path).pages
                       for f in page["/Resources"]["/Font"].values() if "NotoSansCJK" in f.get_object()["/BaseFont"]]
        assert descriptors and all("/FontFile2" in d for d in descriptors)
    cached = sorted(p.name for p in (var_dir / "fonts").iterdir())
    assert len(cached) == 2 and all(n.endswith(".ttf") for n in cached)  # the repeat reused its subset


def test_converted_subset_has_truetype_outlines_matching_the_source(var_dir):
    chars = set("排名龙亭区")
    font = TTFont(io.BytesIO(pdf_font.truetype_subset(chars, "NotoSansCJKsc-Regular-test")))
    source = TTFont(str(pdf_font.source_path()))
    assert "glyf" in font and "CFF " not in font and font.sfntVersion == "\x00\x01\x00\x00"
    assert font["name"].getDebugName(6) == "NotoSansCJKsc-Regular-test"
    cmap, source_cmap = font.getBestCmap(), source.getBestCmap()
    assert set(map(ord, chars | set(pdf_font.ALWAYS))) <= set(cmap)
    glyphs, source_glyphs = font.getGlyphSet(), source.getGlyphSet()
    for char in chars:
        converted, original = BoundsPen(glyphs), BoundsPen(source_glyphs)
        glyphs[cmap[ord(char)]].draw(converted)
        source_glyphs[source_cmap[ord(char)]].draw(original)
        assert converted.bounds == pytest.approx(original.bounds, abs=2 * pdf_font.MAX_ERROR), char
        assert font["hmtx"][cmap[ord(char)]][0] == source["hmtx"][source_cmap[ord(char)]][0]


def test_the_cache_keeps_only_the_most_recent_subsets(var_dir, monkeypatch):
    monkeypatch.setattr(pdf_font, "CACHE_FILES", 1)
    pdf_font.cached_subset(set("龙亭区"))
    newest = pdf_font.cached_subset(set("兰考县"))
    assert list((var_dir / "fonts").iterdir()) == [newest]
