"""What a user reads on a page: waits until Dash's callbacks settle, then collects the visible text
(page text, grid cells and headers, chart labels, tooltips' titles) and the Latin-letter words in it.

Used by tests/test_ui_words_browser.py (every page as every role). A Latin word is a run of ASCII letters
(with ``_ . -`` inside) that is not part of an ID-like token (USCCs, order numbers: anything with a digit
in it) and not in ``ALLOWED_WORDS`` — the few Latin words a Chinese official reads as words.
"""

from __future__ import annotations

import re
import time

# Words that are read as words in Chinese offices: file formats and the 12345 channel "APP". Usernames are
# login identifiers (typed at the login form), passed by the caller. Text in <code> (a command to type) and
# screen-reader-only text (.visually-hidden) is not read on screen and is left out.
ALLOWED_WORDS = frozenset({"PDF", "Excel", "Word", "CSV", "XLSX", "PNG", "APP"})
# Credit-risk grades as regulators write them (A类 … D类) are words too.
_GRADE = re.compile(r"(?<![A-Za-z])[A-D](?=类)")

# A token: letters, digits and the joiners codes use. A token with a digit is ID-like (USCC 91410200…,
# order number KF2026…, GB/T code) and allowed; the rest must be allowed words.
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-/×]*")
_LATIN = re.compile(r"[A-Za-z]")

# Dash marks a component whose callback is running with data-dash-is-loading; plotly draws afterwards.
_BUSY_JS = "return document.querySelectorAll('[data-dash-is-loading=\"true\"]').length"
_TEXT_JS = """
const hidden = [...document.querySelectorAll('code, .visually-hidden, .sr-only')];
hidden.forEach(e => { e.dataset.crawlDisplay = e.style.display; e.style.display = 'none'; });
const parts = [document.body.innerText];
hidden.forEach(e => { e.style.display = e.dataset.crawlDisplay; });
document.querySelectorAll('svg text').forEach(t => parts.push(t.textContent));
document.querySelectorAll('[title]').forEach(e => parts.push(e.getAttribute('title')));
document.querySelectorAll('[data-title]').forEach(e => parts.push(e.getAttribute('data-title')));  // plotly's toolbar
document.querySelectorAll('input[placeholder], textarea[placeholder]').forEach(
    e => parts.push(e.getAttribute('placeholder')));
document.querySelectorAll('a[download]').forEach(e => parts.push(e.getAttribute('download')));
return parts.join('\\n');
"""


def settle(browser, *, timeout: float = 30, quiet: float = 1.0) -> str:  # noqa: ANN001
    """Wait until no callback is running and the visible text stopped changing for ``quiet`` seconds;
    return that text."""
    deadline = time.monotonic() + timeout
    last, since = None, time.monotonic()
    while time.monotonic() < deadline:
        text = browser.execute_script(_TEXT_JS) if not browser.execute_script(_BUSY_JS) else None
        if text is not None and text == last:
            if time.monotonic() - since >= quiet:
                return text
        else:
            last, since = text, time.monotonic()
        time.sleep(0.2)
    return last or browser.execute_script(_TEXT_JS)


def latin_words(text: str, allowed: frozenset[str] = frozenset()) -> set[str]:
    """Latin-letter words in ``text`` that are neither ID-like (contain a digit) nor allowed."""
    found = set()
    for token in _TOKEN.findall(_GRADE.sub("", text)):
        if not _LATIN.search(token) or any(ch.isdigit() for ch in token):
            continue
        for word in re.findall(r"[A-Za-z][A-Za-z_.\-]*[A-Za-z]|[A-Za-z]", token):
            if word not in ALLOWED_WORDS and word not in allowed:
                found.add(word)
    return found
