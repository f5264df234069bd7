"""The periodic scheduler's state: one row per periodic job."""

from django.db import models


class PeriodicJob(models.Model):
    """When a periodic job is next due. Claiming a run is a conditional UPDATE
    on `next_run_at`, so two schedulers started by accident enqueue it once."""

    name = models.CharField(max_length=100, primary_key=True)
    next_run_at = models.DateTimeField()
    last_enqueued_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
