"""Use cases. Every public function is one unit of work (one transaction), authorizes its Actor,
validates what needs the database, and raises the typed errors of labelhub.errors.

Row locks, so that no two units of work wait on each other in opposite orders:

- taken in this order: the batch, then its HITs in id order, then assignments, then ledger accounts;
  a use case on one HIT (accept, submit, approve, reject...) locks that HIT and never its batch;
- always ``FOR NO KEY UPDATE`` (``with_for_update(key_share=True)``), never ``FOR UPDATE``: the
  foreign-key checks of inserts that reference a locked row (an event, an assignment or a consensus
  row naming a HIT; a HIT updated twice names its batch) take ``KEY SHARE`` locks, which ``FOR
  UPDATE`` would block: PostgreSQL then deadlocks a submit against the aggregation job.
- what happens after a change (webhooks, review policies, aggregation, LLM scoring) is queued by the
  reactions to its event (``reactions``), outside the change's transaction: a submit writes no row
  shared by the whole batch.
"""
