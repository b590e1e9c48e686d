-- Price rules that need no code: bulk tiers per SKU, and festival offers
-- (the JSON offer in `rules`; the window in columns to find live ones).
CREATE TABLE bulk_tiers (
    sku          TEXT NOT NULL REFERENCES products (sku),
    min_quantity BIGINT NOT NULL,
    percent_off  BIGINT NOT NULL,
    PRIMARY KEY (sku, min_quantity)
);
CREATE TABLE festival_offers (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    rules      TEXT NOT NULL,
    starts_at  BIGINT NOT NULL,
    ends_at    BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX festival_offers_by_window ON festival_offers (ends_at, starts_at);
