-- Reaching customers on the channels they chose: the devices they
-- registered for push, and the outbox of the built-in sandbox SMS and push
-- gateways.

-- A push token can be a few kilobytes (Web Push), more than a PostgreSQL
-- btree entry may hold, so uniqueness per user is kept on its sha256 hex;
-- the token itself is what the push service needs and is stored as given.
CREATE TABLE push_devices (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id),
    token      TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    platform   TEXT NOT NULL CHECK (platform IN ('ios', 'android', 'web')),
    created_at BIGINT NOT NULL,
    UNIQUE (user_id, token_hash)
);
CREATE INDEX push_devices_by_user ON push_devices (user_id, id);
-- A push service that calls a token dead has it forgotten for everyone.
CREATE INDEX push_devices_by_token ON push_devices (token_hash);

-- What the sandbox gateways "delivered", as a provider's message log. The
-- unique idempotency key is the provider's promise: a retried send with the
-- same key delivers nothing new.
CREATE TABLE sandbox_messages (
    id              TEXT PRIMARY KEY,
    channel         TEXT NOT NULL CHECK (channel IN ('sms', 'push')),
    recipient       TEXT NOT NULL,
    subject         TEXT,
    body            TEXT NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    created_at      BIGINT NOT NULL
);
CREATE INDEX sandbox_messages_by_channel ON sandbox_messages (channel, id);
