-- Exchanges, SQLite's way: a primary key cannot be altered, so both
-- reservation tables are rebuilt (no other table refers to them). See
-- `../0019_exchanges.sql` for what the migration is for.
CREATE TABLE reservations_before_exchanges AS SELECT * FROM reservations;
DROP TABLE reservations;
CREATE TABLE reservations (
    order_id   TEXT NOT NULL,
    part       BIGINT NOT NULL DEFAULT 0,
    sku        TEXT NOT NULL REFERENCES inventory (sku),
    quantity   BIGINT NOT NULL CHECK (quantity > 0),
    state      TEXT NOT NULL CHECK (state IN ('held', 'committed', 'released', 'restocked')),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (order_id, part, sku)
);
INSERT INTO reservations (order_id, part, sku, quantity, state, created_at, updated_at)
SELECT order_id, 0, sku, quantity, state, created_at, updated_at
FROM reservations_before_exchanges;
DROP TABLE reservations_before_exchanges;

CREATE TABLE reservation_batches_before_exchanges AS SELECT * FROM reservation_batches;
DROP TABLE reservation_batches;
CREATE TABLE reservation_batches (
    order_id     TEXT NOT NULL,
    part         BIGINT NOT NULL DEFAULT 0,
    sku          TEXT NOT NULL,
    warehouse_id TEXT NOT NULL,
    batch_code   TEXT NOT NULL,
    quantity     BIGINT NOT NULL CHECK (quantity > 0),
    state        TEXT NOT NULL DEFAULT 'held'
        CHECK (state IN ('held', 'released', 'committed', 'restocked')),
    PRIMARY KEY (order_id, part, sku, warehouse_id, batch_code)
);
INSERT INTO reservation_batches (order_id, part, sku, warehouse_id, batch_code, quantity, state)
SELECT order_id, 0, sku, warehouse_id, batch_code, quantity, state
FROM reservation_batches_before_exchanges;
DROP TABLE reservation_batches_before_exchanges;
CREATE INDEX reservation_batches_by_warehouse ON reservation_batches (warehouse_id, state);
