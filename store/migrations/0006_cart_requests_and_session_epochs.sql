-- Two guarantees the storefront owed its clients.
--
-- `cart_requests` remembers each `Idempotency-Key` a shopper sent with
-- `POST /v1/cart/items`, in the transaction that added the item, so a
-- retried add (a lost answer, a double tap) adds nothing the second time.
CREATE TABLE cart_requests (
    user_id      TEXT NOT NULL REFERENCES users (id),
    key          TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    cart_id      TEXT NOT NULL REFERENCES carts (id),
    sku          TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (user_id, key)
);

-- Access tokens carry the epoch their user had when they were issued; a
-- password reset bumps it, which ends every session, access tokens included,
-- not only the refresh tokens the database could already revoke.
ALTER TABLE users ADD COLUMN session_epoch BIGINT NOT NULL DEFAULT 0;
