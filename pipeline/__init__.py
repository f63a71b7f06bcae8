"""The batch pipeline: ordered steps that read the warehouse and write derived tables and marts.

Each step runs in its own transaction and is recorded in ``app_pipeline_run``; a failing step rolls back
(previous results stay in place), is logged with its error, and does not stop independent later steps.
"""
