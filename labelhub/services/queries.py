"""Read models for public pages: what the marketplace shows to anyone, eager-loaded and paginated."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from labelhub.models import HIT, Batch, HITStatus, Marketplace, Requester
from labelhub.runtime import Runtime
from labelhub.services.batches import BatchProgress, progress_of
from labelhub.services.common import Page, paginate


@dataclass(frozen=True)
class BatchOverview:
    """A batch with its owner's name, its progress and one page of its HITs."""

    requester_name: str
    progress: BatchProgress
    hits: Sequence[HIT]
    next_cursor: str | None  # of the batch's next page of HITs

    @property
    def batch(self) -> Batch:
        return self.progress.batch


def _overview(db: Session, batch: Batch, owner: Requester, *, cursor: str | None, limit: int) -> BatchOverview:
    """Gold HITs are left out of the HITs and the counts: anyone may read these pages, workers too."""
    stmt = select(HIT).where(HIT.batch_id == batch.id, HIT.status != HITStatus.DISPOSED, HIT.is_gold.is_(False))
    page = paginate(db, stmt, HIT.id, cursor, limit)
    return BatchOverview(owner.name, progress_of(db, batch, with_gold=False), page.items, page.next_cursor)


def marketplace_batches(rt: Runtime, marketplace: Marketplace, *, cursor: str | None, limit: int,
                        hits_per_batch: int) -> Page[BatchOverview]:
    """One page of a marketplace's batches (oldest first), each with its first HITs."""
    with rt.sessions() as db:
        page = paginate(db, select(Batch).where(Batch.marketplace == marketplace), Batch.id, cursor, limit)
        owners = {r.id: r for r in db.scalars(select(Requester).where(
            Requester.id.in_({batch.requester_id for batch in page.items})))}
        return Page([_overview(db, b, owners[b.requester_id], cursor=None, limit=hits_per_batch)
                     for b in page.items], page.next_cursor)
