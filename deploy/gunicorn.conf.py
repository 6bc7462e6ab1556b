"""gunicorn settings for the scale-out recipe: several workers BEHIND nginx (README "Scaling out").

    gunicorn --config deploy/gunicorn.conf.py --workers 4 wsgi:application

Never let clients reach these workers directly: a gthread worker gives each connection a thread
from its first byte until its request is complete, so a few clients that send one byte and stop
take every thread (README "Serving: slow clients, limits, logs"). nginx with
deploy/nginx/gapfind.conf reads each request in full first. Flags on the command line win over
this file (--workers, --bind).
"""

bind = "127.0.0.1:8000"  # nginx's upstream in deploy/nginx/gapfind.conf
workers = 4
worker_class = "gthread"
threads = 4

# One access line per request is GapFind's own (gapfind/middleware.py: path, status, no query
# string, no credentials); gunicorn's would repeat it with the query string and the user of
# Basic credentials. Errors and worker events still go to stderr.
accesslog = None
errorlog = "-"

# gunicorn >= 25.1 opens a control socket in $HOME, shared by every instance of the user.
control_socket_disable = True
