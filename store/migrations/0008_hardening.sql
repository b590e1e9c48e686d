-- Keeping the promise under attack and faults.

-- A checkout claims its cart before placing the order: `checkout_order_id`
-- names the order being placed and `checkout_claimed_at` when, so a second
-- checkout of the same cart is refused instead of placing a second order,
-- and a claim whose checkout died with its process can be recognised.
ALTER TABLE carts ADD COLUMN checkout_claimed_at BIGINT;
