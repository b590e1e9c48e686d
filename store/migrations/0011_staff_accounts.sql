-- Staff accounts: a role for warehouse staff, who belong to one
-- warehouse, and deactivation (the account can no longer log in, and its
-- sessions were revoked when it was). SQLite runs
-- `sqlite/0011_staff_accounts.sql` instead.
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check
    CHECK (role IN ('customer', 'seller', 'admin', 'delivery', 'warehouse'));
ALTER TABLE users ADD COLUMN warehouse_id TEXT REFERENCES warehouses (id);
ALTER TABLE users ADD COLUMN deactivated_at BIGINT;
