-- Perishable stock across warehouses.

-- Where stock is kept. `address` is the JSON of a postal address.
CREATE TABLE warehouses (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE,
    address       TEXT NOT NULL,
    serves_pickup INTEGER NOT NULL,
    cold_storage  INTEGER NOT NULL,
    active        INTEGER NOT NULL,
    created_at    BIGINT NOT NULL
);
-- The warehouse every shop starts with (orderly_domain::DEFAULT_WAREHOUSE):
-- stock counted without naming a warehouse, and all stock from before
-- warehouses existed, is kept here.
INSERT INTO warehouses (id, name, address, serves_pickup, cold_storage, active, created_at)
VALUES ('00000000-0000-0000-0000-000000000001', 'Main warehouse',
        '{"name":"Main warehouse","line1":"-","city":"-","postal_code":"-","country":"IN"}',
        1, 0, 1, 0);

-- Suppliers, farmers and importers, and the certifications they hold
-- (`kind` such as organic, valid through `valid_until`, a date).
CREATE TABLE suppliers (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    contact_email TEXT NOT NULL,
    region        TEXT NOT NULL,
    created_at    BIGINT NOT NULL
);
CREATE TABLE supplier_certifications (
    supplier_id        TEXT NOT NULL REFERENCES suppliers (id),
    kind               TEXT NOT NULL,
    certificate_number TEXT NOT NULL,
    valid_until        TEXT NOT NULL,
    PRIMARY KEY (supplier_id, kind)
);

-- Stock per (SKU, warehouse, batch). `inventory` stays the per-SKU total
-- (the sum of its batches, changed in the same transaction) so that the
-- oversell check and the low-stock rules keep one row to lock. Dates are
-- ISO `YYYY-MM-DD` text, which sorts as dates; `expires_on` is NULL for
-- stock that does not spoil, `good_until` the end of the expiry date in
-- epoch milliseconds, for the freshness check. The cost of one unit is
-- unknown (NULL) for stock found by a count.
CREATE TABLE stock_batches (
    sku          TEXT NOT NULL REFERENCES inventory (sku),
    warehouse_id TEXT NOT NULL REFERENCES warehouses (id),
    batch_code   TEXT NOT NULL,
    supplier_id  TEXT REFERENCES suppliers (id),
    received_on  TEXT NOT NULL,
    expires_on   TEXT,
    good_until   BIGINT,
    unit_cost    BIGINT,
    currency     TEXT,
    on_hand      BIGINT NOT NULL,
    reserved     BIGINT NOT NULL DEFAULT 0,
    created_at   BIGINT NOT NULL,
    CHECK (reserved >= 0 AND reserved <= on_hand),
    PRIMARY KEY (sku, warehouse_id, batch_code)
);
CREATE INDEX stock_batches_by_expiry ON stock_batches (sku, good_until);
CREATE INDEX stock_batches_by_supplier ON stock_batches (supplier_id);

-- The stock ledger: every change to a batch, once (`movement_key` is the
-- idempotency key of the change), with its reason. A batch's on_hand and
-- reserved are always the sums of its movements' changes.
CREATE TABLE stock_movements (
    movement_key    TEXT PRIMARY KEY,
    sku             TEXT NOT NULL,
    warehouse_id    TEXT NOT NULL,
    batch_code      TEXT NOT NULL,
    reason          TEXT NOT NULL,
    on_hand_change  BIGINT NOT NULL,
    reserved_change BIGINT NOT NULL,
    order_id        TEXT,
    created_at      BIGINT NOT NULL
);
CREATE INDEX stock_movements_by_sku ON stock_movements (sku, created_at);

-- Which batches an order's reservation of a SKU holds.
CREATE TABLE reservation_batches (
    order_id     TEXT NOT NULL,
    sku          TEXT NOT NULL,
    warehouse_id TEXT NOT NULL,
    batch_code   TEXT NOT NULL,
    quantity     BIGINT NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (order_id, sku, warehouse_id, batch_code)
);

-- Stock from before batches existed becomes one opening batch per SKU in
-- the default warehouse, with the movements that explain it, and every
-- reservation holds that batch.
INSERT INTO stock_batches (sku, warehouse_id, batch_code, supplier_id, received_on,
                           expires_on, good_until, unit_cost, currency, on_hand, reserved,
                           created_at)
SELECT sku, '00000000-0000-0000-0000-000000000001', 'opening', NULL, '1970-01-01',
       NULL, NULL, NULL, NULL, on_hand, reserved, 0
FROM inventory;
INSERT INTO stock_movements (movement_key, sku, warehouse_id, batch_code, reason,
                             on_hand_change, reserved_change, order_id, created_at)
SELECT 'opening:' || sku || ':on_hand', sku, '00000000-0000-0000-0000-000000000001',
       'opening', 'adjusted', on_hand, 0, NULL, 0
FROM inventory;
INSERT INTO stock_movements (movement_key, sku, warehouse_id, batch_code, reason,
                             on_hand_change, reserved_change, order_id, created_at)
SELECT 'opening:' || sku || ':reserved', sku, '00000000-0000-0000-0000-000000000001',
       'opening', 'reserved', 0, reserved, NULL, 0
FROM inventory WHERE reserved > 0;
INSERT INTO reservation_batches (order_id, sku, warehouse_id, batch_code, quantity)
SELECT order_id, sku, '00000000-0000-0000-0000-000000000001', 'opening', quantity
FROM reservations;
