"""
Bytes of D1 storage one sent digest email leaves behind, per table (rows and their
indexes), measured with SQLite's dbstat on the project's own migrations: 20,000 delivered
emails of 10 papers, the default digest size (a `deliveries` row with its ranking snapshot, and the `email.sent`
and `email.delivered` webhook events in Resend's payload shape), and what that comes to
once the retention pass (src/delivery/retention.ts) keeps digests DIGEST_RETENTION_DAYS
and events a week: the steady size per daily subscriber, and how many fit in a 10 GB D1.
D1 is SQLite, so the page counts are what D1 stores; docs/architecture.md uses the result
for the storage line of the million-subscriber arithmetic. Python's sqlite3 because Node 20
has no SQLite of its own and D1's local store does not expose dbstat.

    python3 scripts/bench/storage.py
"""
import glob
import json
import os
import random
import sqlite3
import tempfile
import uuid

EMAILS = 20_000
PAPERS_PER_EMAIL = 10  # subscribers.digest_size's default
random.seed(1)
root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
path = os.path.join(tempfile.mkdtemp(), 'storage.db')
db = sqlite3.connect(path)
for migration in sorted(glob.glob(os.path.join(root, 'migrations', '*.sql'))):
    db.executescript(open(migration).read())

papers = [f'2611.{10000 + i:05d}' for i in range(3000)]
whys = ['matches “diffusion models”', 'shares words with “LLM agents”', 'related to “reward models”',
        'trending: 120 upvotes', 'by Yann LeCun', 'in cs.CL']
now = '2026-11-26T08:00:12.345Z'
columns = None
for i in range(EMAILS):
    subscriber, delivery, resend_id = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    picks = random.sample(papers, PAPERS_PER_EMAIL)
    # As the sender stores it: JSON.stringify (no spaces), the score unrounded.
    ranking = [{'id': p, 'score': random.random(), 'why': random.sample(whys, 2)} for p in picks]
    subject = 'Papers Digest: Towards a Medical AI Scientist and 9 more papers for Thursday'
    row = dict(id=delivery, edition_id='daily-20261126-0830-af036cdf', subscriber_id=subscriber,
               period_key='2026-11-26', status='sent', subject=subject, paper_ids=json.dumps(picks, separators=(',', ':')),
               resend_id=resend_id, attempts=1, last_event='email.delivered', last_event_at=now, queued_at=now,
               sent_at=now, updated_at=now, send_key=str(uuid.uuid4()), enqueued_at=now, claimed_at=now,
               ranking=json.dumps(ranking, ensure_ascii=False, separators=(',', ':')))
    if columns is None:
        stored = {r[1] for r in db.execute('PRAGMA table_info(deliveries)')}
        columns = [k for k in row if k in stored]
    db.execute(f"INSERT INTO deliveries ({','.join(columns)}) VALUES ({','.join('?' * len(columns))})",
               [row[k] for k in columns])
    for kind in ('email.sent', 'email.delivered'):
        payload = {'type': kind, 'created_at': now, 'data': {
            'created_at': now, 'email_id': resend_id, 'from': 'Papers Digest <digest@example.com>',
            'to': [f'reader{i}@example.org'], 'subject': subject,
            'tags': {'delivery': delivery, 'edition': row['edition_id'], 'category': 'digest'}}}
        db.execute('INSERT INTO webhook_events (svix_id, type, email_id, recipient, payload, received_at) '
                   'VALUES (?, ?, ?, ?, ?, ?)',
                   (f'msg_{uuid.uuid4().hex}', kind, resend_id, f'reader{i}@example.org', json.dumps(payload, separators=(',', ':')), now))
db.commit()

per_table = {}
for name, size in db.execute('SELECT name, SUM(pgsize) FROM dbstat GROUP BY name'):
    owner = db.execute('SELECT tbl_name FROM sqlite_master WHERE name = ?', (name,)).fetchone()
    table = owner[0] if owner else name
    per_table[table] = per_table.get(table, 0) + size
WEBHOOK_EVENT_DAYS = 7  # src/delivery/retention.ts
D1_BYTES = 10e9
total = 0
for table in ('deliveries', 'webhook_events'):
    total += per_table[table]
    print(f'{table:16} {per_table[table] / EMAILS:7.0f} bytes per email (rows and indexes)')
print(f'{"total":16} {total / EMAILS:7.0f} bytes per email')
summary = {'bytes_per_email': round(total / EMAILS)}
for days in (30, 12):
    steady = per_table['deliveries'] / EMAILS * days + per_table['webhook_events'] / EMAILS * WEBHOOK_EVENT_DAYS
    print(f'DIGEST_RETENTION_DAYS={days}: {steady / 1000:6.1f} KB kept per daily subscriber, '
          f'{D1_BYTES / steady:9,.0f} daily subscribers in 10 GB')
    summary[f'kb_per_daily_subscriber_{days}d'] = round(steady / 1000, 1)
    summary[f'daily_subscribers_in_10gb_{days}d'] = round(D1_BYTES / steady)
print(json.dumps(summary))
