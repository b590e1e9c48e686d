-- Returns. `orders.open_returns` counts an order's returns still in
-- progress, written with the read model, so staff can list the orders
-- that wait on a return. `return_pickups` holds the carrier pickups that
-- bring returned goods back, one per return, found by tracking id when
-- the carrier's webhook arrives.
ALTER TABLE orders ADD COLUMN open_returns BIGINT NOT NULL DEFAULT 0;
CREATE INDEX orders_with_open_returns ON orders (open_returns, id);

CREATE TABLE return_pickups (
    tracking_id   TEXT PRIMARY KEY,
    order_id      TEXT NOT NULL,
    return_number BIGINT NOT NULL,
    carrier       TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('booked', 'in_transit', 'out_for_delivery', 'failed_attempt', 'delivered', 'returned')),
    warehouse_id  TEXT,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE UNIQUE INDEX return_pickups_by_return ON return_pickups (order_id, return_number);
