"""The work queue: one set of scan tasks, two engines (embedded in the database, or Celery)."""
