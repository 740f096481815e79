"""The ``hostile`` data set's text: what anyone who can edit a project in LogiKal could type.

Markup and script (HTML and SVG), quotes of every kind, template syntax, control characters
(newline, carriage return, tab, bell, escape sequences, NUL), right-to-left override,
emoji, names exactly at the mirror's 255-character limit and descriptions of many kilobytes.
Everything here is data: the mirror must store it, and the admin, the dashboard and its chart,
the logs and the JSON API must show it as text, never as markup or as a second log line.

Directory names hold no "/" (it separates path segments in LogiKal) and no control
character or space at either end (LogiKal trims paths); all other names may hold anything.
"""

from __future__ import annotations

NUL = "\x00"

# Directory path segments.
DIRECTORY_NAMES = (
    '<img src=x onerror=alert("dir")> & "Quotes"',
    "Tab\there 'single' `back` \u202eRTL\u202c",
    "<script>alert(1)<\\script> {{ 7*7 }} {% now %}",
)

# Cycled through project, phase and elevation names and descriptions.
TEXTS = (
    '</script><script>alert("xss")</script>',
    '"><svg onload=alert(1)><text>injected</text></svg>',
    "Tom's \"quoted\" & <b>bold</b> ]]> <!-- comment -->",
    "line one\nline two\r\n\tINFO fake log line\x07 \x1b[31mred\x1b[0m",
    "NUL" + NUL + "inside; ${jndi:ldap://x} ' OR '1'='1",
    "\u202eevil.exe\u202c emoji \U0001f3e2 zero\u200bwidth",
)

# Long text: a ~24 KB description made of markup and quotes, for every TextField shown.
LONG_TEXT = ('<a href="javascript:alert(1)">click</a> & "Zitat" \'quote\' <i>kursiv</i>\n' * 320)


def text(index: int) -> str:
    return TEXTS[index % len(TEXTS)]


def name(index: int, tag: str) -> str:
    """A hostile name unique among its siblings (``tag``), cut to the 255-character column."""
    return f"{text(index)} #{tag}"[:255]


def long_name(tag: str) -> str:
    """Exactly 255 characters, multi-byte ones included (the mirror's name columns hold 255)."""
    head = f"Ünïcödé «long» <b>name</b> #{tag} "
    return (head + "x" * 255)[:255]


def directory_paths() -> list[str]:
    first, second, third = DIRECTORY_NAMES
    return [first, f"{first}/{second}", third]
