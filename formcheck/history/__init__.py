"""The patient's history: every completed `analyze` and `live` run, in one SQLite database.

    db: opening the database safely (checks, WAL, foreign keys, schema version and migrations)
    schema: the tables, one migration per schema version
    record: a report.json dict turned into rows, in one transaction
    query: listing, showing, exporting and deleting sessions
    dates: when a recorded video was made (its container's creation time, else the file's date)
"""
