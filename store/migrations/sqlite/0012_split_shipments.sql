-- Split shipments, SQLite's way: the UNIQUE constraint on
-- `shipments.order_id` cannot be dropped, so the table is rebuilt.
-- Shipment 0 is the only shipment of an order from before the split.
ALTER TABLE reservation_batches ADD COLUMN state TEXT NOT NULL DEFAULT 'held'
    CHECK (state IN ('held', 'released', 'committed', 'restocked'));
UPDATE reservation_batches SET state = (
    SELECT r.state FROM reservations r
    WHERE r.order_id = reservation_batches.order_id AND r.sku = reservation_batches.sku
);
CREATE INDEX reservation_batches_by_warehouse ON reservation_batches (warehouse_id, state);

CREATE TABLE shipments_before_split AS SELECT * FROM shipments;
DROP TABLE shipments;
CREATE TABLE shipments (
    tracking_id     TEXT PRIMARY KEY,
    order_id        TEXT NOT NULL,
    carrier         TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('booked', 'in_transit', 'out_for_delivery', 'failed_attempt', 'delivered', 'returned')),
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    shipment_number BIGINT NOT NULL DEFAULT 0,
    warehouse_id    TEXT
);
INSERT INTO shipments (tracking_id, order_id, carrier, status, created_at, updated_at)
SELECT tracking_id, order_id, carrier, status, created_at, updated_at FROM shipments_before_split;
DROP TABLE shipments_before_split;
CREATE INDEX shipments_by_carrier_status ON shipments (carrier, status);
CREATE UNIQUE INDEX shipments_by_order ON shipments (order_id, shipment_number);
