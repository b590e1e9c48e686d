-- An exchange ships a replacement from the same order, so an order can
-- hold stock more than once: `part` 0 is the order's own reservation,
-- part n the replacement of its return n. Each part holds and moves its
-- stock on its own.
ALTER TABLE reservations ADD COLUMN part BIGINT NOT NULL DEFAULT 0;
ALTER TABLE reservations DROP CONSTRAINT reservations_pkey;
ALTER TABLE reservations ADD PRIMARY KEY (order_id, part, sku);
ALTER TABLE reservation_batches ADD COLUMN part BIGINT NOT NULL DEFAULT 0;
ALTER TABLE reservation_batches DROP CONSTRAINT reservation_batches_pkey;
ALTER TABLE reservation_batches ADD PRIMARY KEY (order_id, part, sku, warehouse_id, batch_code);
