-- The expiry sweep. `spoilage_alerts` holds one row per batch whose
-- coming expiry its seller and ops were told about: the row is the
-- once-ever record, so a sweep run twice (or two sweeps at once) alerts
-- once. Ops alerts about a batch belong to no order, so `order_id` may now
-- be NULL. SQLite runs `sqlite/0013_expiry_sweep.sql` instead.
CREATE TABLE spoilage_alerts (
    sku          TEXT NOT NULL,
    warehouse_id TEXT NOT NULL,
    batch_code   TEXT NOT NULL,
    expires_on   TEXT NOT NULL,
    raised_at    BIGINT NOT NULL,
    PRIMARY KEY (sku, warehouse_id, batch_code),
    FOREIGN KEY (sku, warehouse_id, batch_code)
        REFERENCES stock_batches (sku, warehouse_id, batch_code)
);
ALTER TABLE ops_alerts ALTER COLUMN order_id DROP NOT NULL;
