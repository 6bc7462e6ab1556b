"""HTTP layer: thin views that load with a schema, call the core, query, and answer.

Answers are plain dicts (marshmallow's dump cost more CPU than the rest of a request); the
response schemas in gapfind.schemas document them and tests/api/test_response_shapes.py checks
every answer against them.
"""
