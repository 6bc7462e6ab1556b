"""Persistence: the students table and everything that touches the database.

`models` maps the table; `repository` holds the API's queries and writes (the hot paths on the
pooled driver connection), `repository_admin` the operator commands' ones; `database` and
`postgres` set the engine up (SQLite's locking, PostgreSQL's bounded waits); `health` says whether
a write would succeed now; `backup` copies an SQLite file. No view or command runs SQL itself.
"""
