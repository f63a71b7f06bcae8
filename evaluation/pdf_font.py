"""An embeddable CJK font for the PDF bulletin: a TrueType subset of Noto Sans CJK SC.

reportlab embeds only TrueType (glyf) fonts, while the freely licensed Noto Sans CJK SC (SIL OFL, in the
``mplfonts`` wheel) has CFF outlines. So for each document we subset the font to the characters it uses,
convert the subset's cubic CFF outlines to quadratic glyf outlines (fontTools cu2qu), cache the result
under ``VAR_DIR/fonts`` keyed by the character set, and register it with reportlab, which embeds it
(FontFile2) — the PDF then shows Chinese on any viewer, with no Asian font pack installed.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
from importlib import resources
from pathlib import Path

import settings

SOURCE_FONT = "NotoSansCJKsc-Regular.otf"
# Letters, digits and punctuation are always included, so numbers typeset the same in every document.
ALWAYS = "".join(chr(c) for c in range(0x20, 0x7F))
MAX_ERROR = 1.0  # font units (of 1000 per em) a quadratic curve may stray from the cubic one
CACHE_FILES = 64  # converted subsets kept; the least recently used go first
CONVERSION = 2  # part of the cache key: bump when truetype_subset's output changes


def source_path() -> Path:
    return Path(str(resources.files("mplfonts") / "fonts" / SOURCE_FONT))


def cache_key(chars: set[str]) -> str:
    """Digest of the character set and the source font (a new wheel version gives new files)."""
    source = source_path()
    text = "".join(sorted(chars | set(ALWAYS)))
    key = f"{source.name}:{source.stat().st_size}:{MAX_ERROR}:{CONVERSION}:{text}"
    return hashlib.sha256(key.encode()).hexdigest()[:20]


def truetype_subset(chars: set[str], postscript_name: str) -> bytes:
    """The source font cut down to ``chars`` (plus ASCII) with glyf outlines, as TrueType bytes.

    Each subset gets its own PostScript name: reportlab treats fonts with the same face name as one
    font, so two subsets named alike would print one document's text with the other's glyph codes."""
    from fontTools import subset
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import TTFont, newTable

    font = TTFont(str(source_path()))
    for layout in ("GSUB", "GPOS", "GDEF", "BASE"):  # horizontal Chinese needs no shaping; dropping the
        if layout in font:  # tables before they are read saves decompiling them (seconds)
            del font[layout]
    options = subset.Options()
    options.name_IDs = ["*"]
    options.notdef_outline = True
    options.hinting = True  # CFF hints vanish in the conversion anyway; removing them first costs seconds
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(ord(c) for c in chars | set(ALWAYS)))
    subsetter.subset(font)

    order, glyphs = font.getGlyphOrder(), font.getGlyphSet()
    glyf = newTable("glyf")
    glyf.glyphOrder, glyf.glyphs = order, {}
    for name in order:
        pen = TTGlyphPen(glyphs)
        glyphs[name].draw(Cu2QuPen(pen, MAX_ERROR, reverse_direction=True))  # CFF winds the other way
        glyf[name] = pen.glyph()
    font["glyf"], font["loca"] = glyf, newTable("loca")
    for cff_only in ("CFF ", "VORG"):
        if cff_only in font:
            del font[cff_only]
    font["head"].glyphDataFormat = 0
    maxp = font["maxp"]  # version 1.0 carries TrueType limits; compile() recounts points and contours
    maxp.tableVersion = 0x00010000
    for field in ("maxTwilightPoints", "maxStorage", "maxFunctionDefs", "maxInstructionDefs", "maxStackElements",
                  "maxSizeOfInstructions", "maxComponentElements"):
        setattr(maxp, field, 0)
    maxp.maxZones = 1
    font["post"].formatType = 3.0  # no glyph names: CID glyphs have none worth keeping
    font["name"].setName(postscript_name, 6, 3, 1, 0x409)
    font["name"].setName(postscript_name, 6, 1, 0, 0)
    font.sfntVersion = "\x00\x01\x00\x00"
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


def cached_subset(chars: set[str]) -> Path:
    """Path of the converted subset for ``chars``, building it on a cache miss (atomic write, so
    concurrent workers never read half a file)."""
    directory = settings.var_dir() / "fonts"
    directory.mkdir(parents=True, exist_ok=True)
    name = f"{Path(SOURCE_FONT).stem}-{cache_key(chars)}"
    path = directory / f"{name}.ttf"
    if path.exists():
        path.touch()
        return path
    data = truetype_subset(chars, name)
    fd, tmp = tempfile.mkstemp(dir=directory, suffix=".tmp")
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.chmod(tmp, 0o644)  # mkstemp makes it private; other workers of the deployment read it too
    os.replace(tmp, path)
    _prune(directory)
    return path


def _prune(directory: Path) -> None:
    files = sorted(directory.glob(f"{Path(SOURCE_FONT).stem}-*.ttf"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in files[CACHE_FILES:]:
        old.unlink(missing_ok=True)


def register(text: str) -> str:
    """Register with reportlab a font covering every character of ``text``; returns its font name."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    chars = set(text)
    name = f"NotoSansSC-{cache_key(chars)}"
    if name not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(name, str(cached_subset(chars))))
    return name
