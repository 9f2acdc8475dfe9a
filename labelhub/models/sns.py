"""SNS topics a requester creates through LabelHub's SNS-compatible endpoint, and their HTTP(S)
subscribers. A topic ARN given as a HIT type's notification destination fans the HIT type's events out
to the topic's confirmed subscribers (labelhub.services.notifications)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from labelhub.db import Base


class SnsTopic(Base):
    """``arn`` is ``arn:aws:sns:<region>:<requester public id>:<name>``; one topic per ARN."""

    __tablename__ = "sns_topics"

    id: Mapped[int] = mapped_column(primary_key=True)
    arn: Mapped[str] = mapped_column(String(400), unique=True)
    requester_id: Mapped[int] = mapped_column(ForeignKey("requesters.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(256))
    created_at: Mapped[datetime]

    subscriptions: Mapped[list[SnsSubscription]] = relationship(
        back_populates="topic", cascade="all, delete-orphan", passive_deletes=True)


class SnsSubscription(Base):
    """An HTTP(S) endpoint subscribed to a topic. It receives notifications once confirmed with the token
    LabelHub POSTs to it (SubscriptionConfirmation)."""

    __tablename__ = "sns_subscriptions"
    __table_args__ = (UniqueConstraint("topic_id", "endpoint"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    arn: Mapped[str] = mapped_column(String(448), unique=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("sns_topics.id", ondelete="CASCADE"), index=True)
    protocol: Mapped[str] = mapped_column(String(8))
    endpoint: Mapped[str] = mapped_column(String(1024))
    token: Mapped[str] = mapped_column(String(64))
    token_issued_at: Mapped[datetime]
    confirmed_at: Mapped[datetime | None]
    created_at: Mapped[datetime]

    topic: Mapped[SnsTopic] = relationship(back_populates="subscriptions", lazy="joined", innerjoin=True)

    @property
    def pending_confirmation(self) -> bool:
        return self.confirmed_at is None


# At most 400 characters: partition <= 25, region <= 44, account <= 64, name <= 256.
ARN_PATTERN = re.compile(r"arn:(?P<partition>aws(?:-[a-z]{1,10}){0,2}):sns:"
                         r"(?P<region>[a-z]{2}(?:-[a-z]{1,12}){1,3}-\d{1,2}):"
                         r"(?P<account>[A-Za-z0-9]{1,64}):(?P<name>[A-Za-z0-9_-]{1,256})")


@dataclass(frozen=True)
class TopicArn:
    """A topic's ARN in its parts; LabelHub's account part is the requester's public id."""

    partition: str
    region: str
    account: str
    name: str

    @classmethod
    def parse(cls, text: str) -> TopicArn | None:
        match = ARN_PATTERN.fullmatch(text)
        return None if match is None else cls(**match.groupdict())

    def __str__(self) -> str:
        return f"arn:{self.partition}:sns:{self.region}:{self.account}:{self.name}"
