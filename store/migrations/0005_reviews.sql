-- Reviews, ratings and what recommendations learn from.

-- One row per line of every order its customer has received (delivered or
-- picked up), written by the orders read model when the order reaches that
-- status. Reviews ask it "has this customer received this SKU?" and
-- recommendations count co-purchases in it, both without parsing order
-- JSON, which SQLite and PostgreSQL cannot do with the same SQL.
CREATE TABLE received_lines (
    order_id    TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    sku         TEXT NOT NULL,
    quantity    BIGINT NOT NULL,
    received_at BIGINT NOT NULL,
    PRIMARY KEY (order_id, sku)
);
CREATE INDEX received_lines_by_customer ON received_lines (customer_id, sku);
CREATE INDEX received_lines_by_sku ON received_lines (sku, order_id);
CREATE INDEX received_lines_by_time ON received_lines (received_at);

-- One review per (product, author); editing replaces it in place.
CREATE TABLE reviews (
    id            TEXT PRIMARY KEY,
    sku           TEXT NOT NULL,
    author_id     TEXT NOT NULL,
    rating        INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),
    title         TEXT,
    body          TEXT,
    helpful_count BIGINT NOT NULL DEFAULT 0 CHECK (helpful_count >= 0),
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    UNIQUE (sku, author_id)
);
CREATE INDEX reviews_newest ON reviews (sku, id);
CREATE INDEX reviews_most_helpful ON reviews (sku, helpful_count, id);

-- The primary key is the one-vote-per-user rule.
CREATE TABLE review_votes (
    review_id  TEXT NOT NULL REFERENCES reviews (id),
    voter_id   TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (review_id, voter_id)
);

-- Running totals per product, changed in the same transaction as the review
-- they count, so product pages and search read one row instead of
-- aggregating every review.
CREATE TABLE product_ratings (
    sku          TEXT PRIMARY KEY,
    rating_count BIGINT NOT NULL CHECK (rating_count >= 0),
    rating_sum   BIGINT NOT NULL CHECK (rating_sum >= 0)
);
