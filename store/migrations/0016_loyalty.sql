-- Loyalty points. `loyalty_points` is the append-only ledger (every entry
-- once, by its key); `loyalty_accounts.balance` is its sum per customer,
-- kept in the same transaction, and the row a spend locks and checks.
-- `loyalty_orders` remembers, per order, the last version of the order
-- its points were settled for and the rate they were earned at.
CREATE TABLE loyalty_accounts (
    customer_id TEXT PRIMARY KEY,
    balance     BIGINT NOT NULL
);
CREATE TABLE loyalty_points (
    id              TEXT PRIMARY KEY,
    customer_id     TEXT NOT NULL,
    order_id        TEXT,
    kind            TEXT NOT NULL CHECK (kind IN ('earned', 'revoked', 'redeemed', 'returned')),
    points          BIGINT NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    created_at      BIGINT NOT NULL
);
CREATE INDEX loyalty_points_by_customer ON loyalty_points (customer_id, created_at);
CREATE INDEX loyalty_points_by_order ON loyalty_points (order_id);
CREATE TABLE loyalty_orders (
    order_id    TEXT PRIMARY KEY,
    version     BIGINT NOT NULL,
    rate        BIGINT NOT NULL
);
