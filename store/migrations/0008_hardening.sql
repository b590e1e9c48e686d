-- Keeping the promise under attack and faults.

-- A checkout claims its cart before placing the order: `checkout_order_id`
-- names the order being placed and `checkout_claimed_at` when, so a second
-- checkout of the same cart is refused instead of placing a second order,
-- and a claim whose checkout died with its process can be recognised.
ALTER TABLE carts ADD COLUMN checkout_claimed_at BIGINT;

-- The ledger records a money movement before the provider is asked
-- (`pending`, under the movement's idempotency key) and its outcome after
-- (`settled`, with the provider's reference and amount, or `failed`), so a
-- charge whose answer was lost is still known and can be looked up and
-- given back. Entries from before this column existed were all settled.
ALTER TABLE payment_ledger ADD COLUMN status TEXT NOT NULL DEFAULT 'settled';
CREATE INDEX payment_ledger_pending ON payment_ledger (status, order_id);

-- Operators close an alert once they have dealt with it; the list shows
-- open alerts first.
ALTER TABLE ops_alerts ADD COLUMN resolved_at BIGINT;
CREATE INDEX ops_alerts_open ON ops_alerts (resolved_at, created_at);

-- The sandbox card vault: a real provider keeps card numbers and hands out
-- tokens; the sandbox keeps what it needs to act like one (brand, last four
-- digits, and which test behaviour the number stood for), never the number.
CREATE TABLE sandbox_card_tokens (
    token      TEXT PRIMARY KEY,
    brand      TEXT NOT NULL,
    last4      TEXT NOT NULL,
    behaviour  TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- Notifications leave the order's path: the notify activity only writes a
-- row per chosen channel, and the worker's delivery relay sends due rows,
-- retrying with backoff (`attempts`, `next_attempt_at`), holding a row
-- while it sends it (`leased_until`) so two workers never send it at once,
-- and giving up for good (`failed_at`, `last_error`). `recipient` is the
-- address or number the channel sends to, as it was when the message was
-- written.
ALTER TABLE notifications ADD COLUMN recipient TEXT;
ALTER TABLE notifications ADD COLUMN recipient_name TEXT;
ALTER TABLE notifications ADD COLUMN attempts BIGINT NOT NULL DEFAULT 0;
ALTER TABLE notifications ADD COLUMN next_attempt_at BIGINT;
ALTER TABLE notifications ADD COLUMN leased_until BIGINT;
ALTER TABLE notifications ADD COLUMN last_error TEXT;
ALTER TABLE notifications ADD COLUMN failed_at BIGINT;
-- Channel rows never delivered before the relay existed were given up by
-- the activity that wrote them; the relay must not send them days late.
UPDATE notifications SET failed_at = created_at
    WHERE delivered_at IS NULL AND channel <> 'in_app';
CREATE INDEX notifications_due ON notifications (next_attempt_at)
    WHERE delivered_at IS NULL AND failed_at IS NULL AND channel <> 'in_app';
