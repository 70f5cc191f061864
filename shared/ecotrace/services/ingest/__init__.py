"""The webhook delivery use case: verify, understand, count exactly once, lose nothing.

Steps for one delivery (``WebhookIngest.handle``, in ``service``):

1. Size (> 25 MB: 413), secret configured (else 503), signature (401), headers and payload (400): all before
   any write, so bad input writes nothing.
2. Ignored events and pings: one best-effort ``webhook_deliveries`` row (status ``ignored``), 202 / 200.
3. Counted events: the delivery ledger (``ledger``) claims the delivery by an atomic create of its row (id from
   hook id + delivery GUID) holding the raw body. A second create of the same id fails: a processed delivery
   answers "duplicate" with the original count; one still in flight answers 202 unless its lease (derived from
   the row's ``$updatedAt``) expired, in which case this attempt takes over (a crashed attempt is retried).
4. Read which activity rows already exist (one ``get_many``), the sender's ``users`` and ``user_stats`` rows;
   enrich new commits and compute their carbon; then ``plan`` (pure) lists the writes of ONE transaction: new
   activities (bulk create), ``users`` create/update, CI-run accounting (``ci_runs``), and the carbon write
   shared with the calculator (``calculations`` rows, ``user_stats`` create or increments); the ledger's
   completion is staged with them. Creates of deterministic ids make a concurrent duplicate's commit fail (409);
   then everything is re-read and the transaction rebuilt once, now without the rows the other delivery wrote.
5. The store failing (StorageError) marks the delivery ``failed`` when possible and answers 503: the kept body
   is replayed by ``scripts/replay_deliveries.py``; without a kept body GitHub still has it (redeliver from the
   hook's "Recent Deliveries" or ``POST /repos/{owner}/{repo}/hooks/{hook_id}/deliveries/{id}/attempts``).

Answers are shaped in ``responses``.
"""

from __future__ import annotations

from .ledger import LEASE_S, REDELIVER_HINT, DeliveryLedger
from .responses import IngestResult
from .service import CommitEnricher, WebhookIngest

__all__ = ["LEASE_S", "REDELIVER_HINT", "CommitEnricher", "DeliveryLedger", "IngestResult", "WebhookIngest"]
