"""What wraps the Flask app on its way to and from the WSGI server: the client's address, the
request envelope (id, security headers, access log), logging set-up and CORS.

`stack.install_wsgi_stack` is the one place that decides the order of the WSGI layers.
"""
