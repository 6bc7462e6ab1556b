"""The serving setups the README documents (issue 9, items 1 and 5), tested as run for real:
`make run` and the scale-out recipe (gunicorn behind nginx), under slow and idle clients, and
what they write to their logs."""
