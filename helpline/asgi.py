"""The application `helpline serve` runs under uvicorn.

HTTP requests go to Django's WSGI handler on a fixed pool of threads (a2wsgi), not to
Django's ASGI handler. Every view is synchronous, and the ASGI handler runs each request's
sync code in a thread started for that request alone (asgiref's ThreadSensitiveContext):
on this 2-core machine that made a 401 take 5.6 ms instead of 1.3 and every API call about
6 ms slower (ADR 0004). The fixed pool also keeps each thread's database connection from
one request to the next, and bounds the requests that use the database at once to the
connection pool's size, so a burst queues instead of failing for want of a connection.

WebSockets (live updates, chat) will be routed beside this to Channels' consumers.
"""

import os

from a2wsgi import WSGIMiddleware
from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpline.settings")

# Django's stubs type a WSGI handler's result as its HttpResponse, a2wsgi as bytes: both
# are the iterable of bytes WSGI means.
application = WSGIMiddleware(
    get_wsgi_application(),  # type: ignore[arg-type]
    workers=settings.HELPLINE_HTTP_THREADS,
)
