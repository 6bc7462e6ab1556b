"""AWS Lambda entry point (deploy/aws/template.yaml: Handler lambda_handler.handler).

As wsgi.py does for a WSGI server's worker, the app is built once per execution environment,
when Lambda imports this module (the cold start), and then serves every event that execution
environment receives. gapfind/aws_lambda.py says what the handler does with an event.
"""

from gapfind import create_app
from gapfind.aws_lambda import make_handler

application = create_app()
handler = make_handler(application)
