from __future__ import annotations

from django.db import models


class ValueStat(models.Model):
    """Per distinct indicator value: how many events hold it. The correlation index.

    Correlations are computed when read, from the indicator value index and these rows, so
    storage grows with the number of distinct values, never with the number of pairs of
    events sharing one. `over_correlating` marks values held by more events than
    CERTFED_CORRELATION_MAX_EVENTS: those are not expanded into links.

    `seq` is the write sequence (IndexState.seq) that last touched the value: in-process
    indexes (batch matching, correlation's network set) refresh from the rows whose seq is
    above the one they last saw. A value no event holds any more stays as a row with
    event_count 0, so those indexes learn that it went away.

    Counts are over all events, whoever may see them: they decide how reads are planned,
    never what a caller is shown (readers count what the caller may see themselves).
    """

    value = models.CharField(max_length=2048, unique=True)
    type = models.CharField(max_length=16)
    event_count = models.PositiveIntegerField(default=0)
    over_correlating = models.BooleanField(default=False)
    seq = models.BigIntegerField(default=0, db_index=True)

    class Meta:
        indexes = [
            # The stored networks (correlation's containment index loads them).
            models.Index(
                fields=["event_count"], name="valuestat_cidr", condition=models.Q(type="cidr")
            ),
            models.Index(
                fields=["value"], name="valuestat_over", condition=models.Q(over_correlating=True)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.type}:{self.value} in {self.event_count} events"


class IndexState(models.Model):
    """One row: the write sequence of the value index. Every write of indicators bumps it
    in the writer's transaction; the row lock it takes until commit keeps the sequence in
    commit order, so a reader that has seen N has seen every change stamped N or lower."""

    seq = models.BigIntegerField(default=0)
    # A fresh random number at every bump: in-process caches compare (seq, token), so a
    # sequence number reused after a rollback is never mistaken for the one they saw.
    token = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"index at {self.seq}"
