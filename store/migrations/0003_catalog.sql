-- The catalogue as sellers manage it: a category tree, and on each product
-- its seller, category, images, attributes and low-stock threshold.
-- `products.category` (free text) stays for existing readers; the tree is
-- referenced through `category_id`, kept without a foreign key so a
-- product row never depends on the order categories are created in.

CREATE TABLE categories (
    id         TEXT PRIMARY KEY,
    parent_id  TEXT REFERENCES categories (id),
    name       TEXT NOT NULL,
    slug       TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);
CREATE INDEX categories_by_parent ON categories (parent_id);

ALTER TABLE products ADD COLUMN seller_id TEXT;
ALTER TABLE products ADD COLUMN category_id TEXT;
ALTER TABLE products ADD COLUMN images TEXT NOT NULL DEFAULT '[]';
ALTER TABLE products ADD COLUMN attributes TEXT NOT NULL DEFAULT '{}';
ALTER TABLE products ADD COLUMN low_stock_threshold BIGINT NOT NULL DEFAULT 0;
CREATE INDEX products_by_seller ON products (seller_id, sku);
CREATE INDEX products_by_category ON products (category_id, sku);

-- `Idempotency-Key`s of product creations: a retried POST finds the SKU
-- its first attempt created instead of failing on the duplicate.
CREATE TABLE product_creation_keys (
    user_id      TEXT NOT NULL,
    key          TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    sku          TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (user_id, key)
);

-- One low-stock notification per crossing: `low_stock_notified` is set when
-- available stock falls below the threshold and cleared when it is back at
-- or above it; each setting counts one more crossing, and the count names
-- the notification so a retried activity cannot send it twice.
ALTER TABLE inventory ADD COLUMN low_stock_notified INTEGER NOT NULL DEFAULT 0;
ALTER TABLE inventory ADD COLUMN low_stock_crossings BIGINT NOT NULL DEFAULT 0;
