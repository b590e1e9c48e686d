-- The whole orderly schema, written in the subset of SQL that SQLite and
-- PostgreSQL both accept so one file serves development and production:
-- ids are UUIDv7 TEXT, timestamps BIGINT unix milliseconds, booleans
-- INTEGER 0/1, JSON documents TEXT.

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('customer', 'seller', 'admin', 'delivery')),
    created_at    BIGINT NOT NULL
);

-- Opaque refresh tokens are stored only as sha256 hex. Rotation marks the
-- presented token used; presenting a used token again is a replay and
-- revokes every token of its family.
CREATE TABLE refresh_tokens (
    token_hash TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id),
    family_id  TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT,
    revoked_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX refresh_tokens_by_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_by_user ON refresh_tokens (user_id);

CREATE TABLE products (
    sku          TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    description  TEXT NOT NULL,
    unit         TEXT NOT NULL CHECK (unit IN ('each', 'kg', '100g', 'litre')),
    price_amount BIGINT NOT NULL CHECK (price_amount >= 0),
    currency     TEXT NOT NULL,
    category     TEXT NOT NULL,
    active       INTEGER NOT NULL CHECK (active IN (0, 1)),
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);

-- The CHECK is the last line of defence against overselling: whatever a
-- caller does, reserved stock can never exceed what is on the shelf.
CREATE TABLE inventory (
    sku      TEXT PRIMARY KEY,
    on_hand  BIGINT NOT NULL,
    reserved BIGINT NOT NULL DEFAULT 0,
    CHECK (reserved >= 0 AND reserved <= on_hand)
);

CREATE TABLE reservations (
    order_id   TEXT NOT NULL,
    sku        TEXT NOT NULL REFERENCES inventory (sku),
    quantity   BIGINT NOT NULL CHECK (quantity > 0),
    state      TEXT NOT NULL CHECK (state IN ('held', 'committed', 'released', 'restocked')),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (order_id, sku)
);

-- Read model of the order workflows: `body` is the JSON OrderView, the
-- other columns exist to filter and page on.
CREATE TABLE orders (
    id          TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL,
    status      TEXT NOT NULL,
    version     BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    body        TEXT NOT NULL
);
CREATE INDEX orders_by_customer ON orders (customer_id, id);
CREATE INDEX orders_by_status ON orders (status, id);

CREATE TABLE idempotency_keys (
    user_id      TEXT NOT NULL,
    key          TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    order_id     TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (user_id, key)
);

CREATE TABLE payment_ledger (
    id              TEXT PRIMARY KEY,
    order_id        TEXT NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('authorize', 'capture', 'void', 'refund')),
    amount          BIGINT NOT NULL,
    currency        TEXT NOT NULL,
    provider        TEXT NOT NULL,
    reference       TEXT NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    created_at      BIGINT NOT NULL
);
CREATE INDEX payment_ledger_by_order ON payment_ledger (order_id, created_at, id);
CREATE INDEX payment_ledger_by_kind ON payment_ledger (kind);

-- State of the built-in fake payment gateway, kept like a real gateway
-- keeps it so a restarted worker retrying a key gets the same answer.
CREATE TABLE sandbox_payments (
    idempotency_key TEXT PRIMARY KEY,
    attempts        BIGINT NOT NULL,
    outcome         TEXT,
    created_at      BIGINT NOT NULL
);

CREATE TABLE shipments (
    tracking_id TEXT PRIMARY KEY,
    order_id    TEXT NOT NULL UNIQUE,
    carrier     TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('booked', 'in_transit', 'out_for_delivery', 'failed_attempt', 'delivered', 'returned')),
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX shipments_by_carrier_status ON shipments (carrier, status);

CREATE TABLE notifications (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL,
    order_id     TEXT,
    kind         TEXT NOT NULL,
    channel      TEXT NOT NULL CHECK (channel IN ('in_app', 'email', 'sms', 'push')),
    subject      TEXT NOT NULL,
    body         TEXT NOT NULL,
    dedupe_key   TEXT NOT NULL UNIQUE,
    created_at   BIGINT NOT NULL,
    delivered_at BIGINT,
    read_at      BIGINT
);
CREATE INDEX notifications_inbox ON notifications (user_id, channel, id);
CREATE INDEX notifications_by_order ON notifications (order_id, kind, channel);

CREATE TABLE ops_alerts (
    id         TEXT PRIMARY KEY,
    order_id   TEXT NOT NULL,
    kind       TEXT NOT NULL,
    detail     TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    dedupe_key TEXT NOT NULL UNIQUE
);
CREATE INDEX ops_alerts_by_order ON ops_alerts (order_id, created_at);
