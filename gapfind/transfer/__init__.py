"""Moving students in and out of GapFind by the operator's commands (`flask users import`,
`flask users export`), one module per step.

sources.py reads the old deployments' data (a JSON object, a Django dump, a CSV, a live Redis
hash) into raw records; records.py checks each one with the API's own fields and messages;
export.py writes students back out. Nothing here needs a Flask app or touches the database:
gapfind.persistence.repository_admin writes the accepted records in batches and reads the rows to
export, so the CLI decides when each transaction begins and ends.
"""
