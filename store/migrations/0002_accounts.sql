-- Accounts beyond logging in: the profile, the address book, password
-- resets and the failed-login counters behind login throttling.

-- The profile lives on `users`. Booleans are INTEGER 0/1; the channels are
-- a JSON array of channel names (`in_app` is always among them).
ALTER TABLE users ADD COLUMN phone TEXT;
ALTER TABLE users ADD COLUMN prefers_organic INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN prefers_seasonal INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN prefers_local INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN notification_channels TEXT NOT NULL DEFAULT '["email","in_app"]';

-- A customer's saved addresses. `version` guards edits against lost
-- updates; `idempotency_key` lets a retried creation return the address its
-- first attempt made instead of a second copy.
CREATE TABLE addresses (
    id              TEXT PRIMARY KEY,
    user_id         TEXT NOT NULL REFERENCES users (id),
    label           TEXT,
    name            TEXT NOT NULL,
    line1           TEXT NOT NULL,
    line2           TEXT,
    city            TEXT NOT NULL,
    postal_code     TEXT NOT NULL,
    country         TEXT NOT NULL,
    is_default      INTEGER NOT NULL DEFAULT 0 CHECK (is_default IN (0, 1)),
    version         BIGINT NOT NULL DEFAULT 1,
    idempotency_key TEXT,
    request_hash    TEXT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    UNIQUE (user_id, idempotency_key)
);
CREATE INDEX addresses_by_user ON addresses (user_id, id);
-- At most one default per customer, whatever a buggy caller does.
CREATE UNIQUE INDEX addresses_one_default ON addresses (user_id) WHERE is_default = 1;

-- Single-use password reset tokens, stored only as sha256 hex.
CREATE TABLE password_reset_tokens (
    token_hash TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id),
    expires_at BIGINT NOT NULL,
    used_at    BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX password_reset_tokens_by_user ON password_reset_tokens (user_id);

-- Fixed-window counters of failed logins (and reset requests), one row per
-- key such as `account:asha@example.com` or `address:203.0.113.7`.
CREATE TABLE login_failures (
    key          TEXT PRIMARY KEY,
    window_start BIGINT NOT NULL,
    count        BIGINT NOT NULL
);
CREATE INDEX login_failures_by_window ON login_failures (window_start);
