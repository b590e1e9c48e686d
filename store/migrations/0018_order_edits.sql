-- Order edits. An edit before packing gives back the stock an order held
-- and holds the stock of its edited lines instead, in one transaction; each
-- such revision of an order's reservation is recorded once, so a retried
-- revision changes nothing more.
CREATE TABLE reservation_revisions (
    order_id   TEXT NOT NULL,
    revision   BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (order_id, revision)
);
