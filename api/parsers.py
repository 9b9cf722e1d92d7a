"""The native API's JSON parser: DRF's, decoding with formats.jsonio (orjson).

The standard library's decoder answers a body nested a few thousand levels deep with a
RecursionError, which DRF turns into a 500; orjson refuses nesting beyond 1024 levels with a
decoding error, which becomes a 400 naming the problem.
"""

from rest_framework import parsers
from rest_framework.exceptions import ParseError

from formats import jsonio


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return jsonio.loads(stream.read() if stream is not None else b"")
        except jsonio.JSONDecodeError as error:
            raise ParseError(f"JSON parse error - {error}") from error
