"""JSON request bodies with a nesting limit.

Python's ``json`` module decodes arrays and objects recursively: a 2 KB body of 1,100 ``[`` (or ``{"a":``) exhausts
the interpreter's recursion limit, and the ``RecursionError`` became a 500 on every JSON endpoint, the public ones
too. No request of this API nests more than a few levels, so ``JSONParser`` refuses a body nested deeper than
``MAX_JSON_DEPTH`` with a 400 (``code: json_too_deep``) before decoding it: a cheap scan of the brackets outside
strings (C-speed regular expressions and ``itertools.accumulate``), skipped when the body has fewer opening
brackets than the limit.
"""

import codecs
import itertools
import json
import re

from rest_framework import parsers
from rest_framework.exceptions import ParseError

# Deeper than any body this API reads (a booking nests three levels), far below the recursion limit.
MAX_JSON_DEPTH = 32

# A JSON string (brackets inside it are text). An unterminated one runs to the end of the body, so that every match
# attempt succeeds where it starts: a pattern that could fail would be retried at each later quote, and a body of
# escaped quotes would then cost time in the square of its length (seconds for 40 KB; the decoder refuses it anyway).
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*(?:"|\\?\Z)', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def json_depth(text: str) -> int:
    """How deep the arrays and objects of ``text`` (JSON, possibly malformed) nest."""
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    return max(itertools.accumulate(map(_STEP.__getitem__, brackets)), default=0)


def too_deep(text: str, limit: int = MAX_JSON_DEPTH) -> bool:
    if text.count("[") + text.count("{") <= limit:
        return False
    return json_depth(text) > limit


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, refusing bodies nested deeper than ``MAX_JSON_DEPTH`` (400 ``json_too_deep``)."""

    max_depth = MAX_JSON_DEPTH

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = parsers.get_encoding(parser_context or {})
        try:
            text = codecs.getreader(encoding)(stream).read()
        except ValueError as exc:  # UnicodeDecodeError
            raise ParseError(f"JSON parse error - {exc}") from exc
        if too_deep(text, self.max_depth):
            raise ParseError(f"The JSON body nests deeper than {self.max_depth} levels.", code="json_too_deep")
        try:
            return json.loads(text, parse_constant=_strict_constant if self.strict else None)
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from exc
        except RecursionError as exc:  # not reachable below the limit; never a 500 if it were
            raise ParseError("The JSON body nests too deep.", code="json_too_deep") from exc


def _strict_constant(name):
    raise ValueError(f"Out of range float values are not JSON compliant: {name!r}")
