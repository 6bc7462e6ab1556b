"""The WSGI layers around the Flask app, in the one order that is correct.

Outermost first, as a request meets them:
1. ClientAddress (and ProxyFix when TRUSTED_PROXY_HOPS is set): the canonical client address,
   so that everything inside logs and rate-limits the real client.
2. RequestEnvelope: request id, security headers, the access-log line; it sees every response,
   the error pages of the app included.
3. BoundedBody: a body without a Content-Length (chunked) is read whole, within
   MAX_CONTENT_LENGTH, before the app sees it.
4. The Flask app itself.
"""

from __future__ import annotations

from flask import Flask

from gapfind.web.body_bounds import install_body_bounds
from gapfind.web.client_address import install_client_address
from gapfind.web.envelope import RequestEnvelope


def install_wsgi_stack(app: Flask) -> None:
    """Wrap `app.wsgi_app` in GapFind's layers (call once, from the factory)."""
    bounded = install_body_bounds(app, app.wsgi_app)
    enveloped = RequestEnvelope(bounded)
    app.wsgi_app = install_client_address(app, enveloped)  # type: ignore[method-assign,assignment]
