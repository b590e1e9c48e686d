-- The expiry sweep, SQLite's way: a NOT NULL cannot be dropped, so
-- `ops_alerts` is rebuilt (no other table refers to it). See
-- `../0013_expiry_sweep.sql` for what the migration is for.
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
CREATE TABLE ops_alerts_before_expiry AS SELECT * FROM ops_alerts;
DROP TABLE ops_alerts;
CREATE TABLE ops_alerts (
    id          TEXT PRIMARY KEY,
    order_id    TEXT,
    kind        TEXT NOT NULL,
    detail      TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    dedupe_key  TEXT NOT NULL UNIQUE,
    resolved_at BIGINT
);
INSERT INTO ops_alerts (id, order_id, kind, detail, created_at, dedupe_key, resolved_at)
SELECT id, order_id, kind, detail, created_at, dedupe_key, resolved_at
FROM ops_alerts_before_expiry;
DROP TABLE ops_alerts_before_expiry;
CREATE INDEX ops_alerts_by_order ON ops_alerts (order_id, created_at);
CREATE INDEX ops_alerts_open ON ops_alerts (resolved_at, created_at);
