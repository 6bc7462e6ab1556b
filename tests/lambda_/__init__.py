"""GapFind on AWS Lambda (issue 13): lambda_handler.py, gapfind/aws_lambda.py and the platform
settings of gapfind/platform.py, driven with the events API Gateway's HTTP API sends."""
