-- Orders filled from several warehouses ship as several parcels: each
-- batch an order holds moves on its own (one parcel is committed while
-- another is still held), and an order has one shipment per parcel,
-- numbered from 1; 0 is the only shipment of an order from before.
ALTER TABLE reservation_batches ADD COLUMN state TEXT NOT NULL DEFAULT 'held'
    CHECK (state IN ('held', 'released', 'committed', 'restocked'));
UPDATE reservation_batches SET state = (
    SELECT r.state FROM reservations r
    WHERE r.order_id = reservation_batches.order_id AND r.sku = reservation_batches.sku
);
CREATE INDEX reservation_batches_by_warehouse ON reservation_batches (warehouse_id, state);

ALTER TABLE shipments DROP CONSTRAINT shipments_order_id_key;
ALTER TABLE shipments ADD COLUMN shipment_number BIGINT NOT NULL DEFAULT 0;
ALTER TABLE shipments ADD COLUMN warehouse_id TEXT;
CREATE UNIQUE INDEX shipments_by_order ON shipments (order_id, shipment_number);
