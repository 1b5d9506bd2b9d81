"""A spreadsheet cell as the text a person typed, and a guess at the encoding of a file that is not UTF-8."""

from __future__ import annotations

import datetime
import math
from decimal import Decimal


def guess_encoding(data: bytes) -> str:
    """The likely encoding of a register that is not UTF-8, for the problem shown to the person uploading it."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "UTF-16"
    try:
        data.decode("gb18030")
    except UnicodeDecodeError:
        return "unknown"
    return "GB18030/GBK"


def cell_text(value: object) -> str:
    """A spreadsheet cell as the text a person typed: 70.5 → "70.5", 3.0 → "3", never "3.0"."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return repr(value)
        # repr is the shortest round-tripping text, so 70.55 stored as 70.549999999999997 reads back as 70.55.
        value = Decimal(repr(value))
    if isinstance(value, Decimal):
        if value == value.to_integral_value():
            return str(int(value))
        return format(value.normalize(), "f")
    if isinstance(value, datetime.datetime) and value.time() == datetime.time():
        return value.date().isoformat()
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    return str(value)
