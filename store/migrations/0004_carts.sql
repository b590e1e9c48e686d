-- Shopping carts. A user has at most one active cart (the partial unique
-- index), kept in the database so it survives logout and follows the user
-- across devices. Each line remembers the unit price the shopper saw when
-- adding it, so checkout can tell them when a price has changed since.

CREATE TABLE carts (
    id                TEXT PRIMARY KEY,
    user_id           TEXT NOT NULL REFERENCES users (id),
    status            TEXT NOT NULL CHECK (status IN ('active', 'checked_out', 'abandoned')),
    -- Bumped by every change; the reminder of one untouched period is
    -- deduplicated by (cart, version).
    version           BIGINT NOT NULL DEFAULT 0,
    reminder_sent     INTEGER NOT NULL DEFAULT 0 CHECK (reminder_sent IN (0, 1)),
    -- The order a checkout in progress is placing; set before the order
    -- workflow starts so a retried checkout can finish the cart it emptied.
    checkout_order_id TEXT,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);
CREATE UNIQUE INDEX carts_one_active_per_user ON carts (user_id) WHERE status = 'active';
CREATE INDEX carts_by_checkout_order ON carts (checkout_order_id);

CREATE TABLE cart_items (
    cart_id             TEXT NOT NULL REFERENCES carts (id),
    sku                 TEXT NOT NULL REFERENCES products (sku),
    quantity            BIGINT NOT NULL CHECK (quantity BETWEEN 1 AND 1000),
    unit_price_amount   BIGINT NOT NULL CHECK (unit_price_amount >= 0),
    unit_price_currency TEXT NOT NULL,
    added_at            BIGINT NOT NULL,
    PRIMARY KEY (cart_id, sku)
);
