"""Schemathesis hooks for Milepost's ingest API: how to put an X12 interchange on the wire.

Schemathesis serializes JSON, forms and text out of the box; `application/edi-x12` is plain
text to us (one interchange, UTF-8), so it is sent as such.
"""

import schemathesis


@schemathesis.serializer("application/edi-x12")
def edi_x12(ctx, value):
    if isinstance(value, bytes):
        return value
    return str(value).encode("utf-8")
