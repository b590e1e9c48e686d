-- Coupons. `rules` is the JSON coupon (value, window, minimum basket,
-- covered SKUs and categories); the limits are columns of their own so a
-- redemption can be counted against them in one conditional update.
-- `uses` counts redemptions not released: an order placed with the coupon
-- holds one for good, a checkout that placed nothing gives its one back.
CREATE TABLE coupons (
    code         TEXT PRIMARY KEY,
    rules        TEXT NOT NULL,
    total_uses   BIGINT,
    per_customer BIGINT,
    uses         BIGINT NOT NULL DEFAULT 0,
    created_at   BIGINT NOT NULL
);
CREATE TABLE coupon_redemptions (
    order_id    TEXT PRIMARY KEY,
    code        TEXT NOT NULL REFERENCES coupons (code),
    customer_id TEXT NOT NULL,
    state       TEXT NOT NULL CHECK (state IN ('redeemed', 'released')),
    created_at  BIGINT NOT NULL
);
CREATE INDEX coupon_redemptions_by_customer ON coupon_redemptions (code, customer_id, state);
-- The coupon a shopper applied to their cart, re-checked at checkout.
ALTER TABLE carts ADD COLUMN coupon_code TEXT;
