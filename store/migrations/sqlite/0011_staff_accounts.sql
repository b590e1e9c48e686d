-- Staff accounts, SQLite's way: a CHECK constraint cannot be altered, so
-- `users` is rebuilt. Migrations run in a transaction, where foreign keys
-- cannot be switched off; they are deferred instead. Dropping `users`
-- counts its accounts' rows elsewhere as violations, inserting the same
-- ids into the new `users` counts them off again, and the count is zero
-- again by the commit.
PRAGMA defer_foreign_keys = ON;
CREATE TABLE users_before_staff AS SELECT * FROM users;
DROP TABLE users;
CREATE TABLE users (
    id                    TEXT PRIMARY KEY,
    email                 TEXT NOT NULL UNIQUE,
    name                  TEXT NOT NULL,
    password_hash         TEXT NOT NULL,
    role                  TEXT NOT NULL
        CHECK (role IN ('customer', 'seller', 'admin', 'delivery', 'warehouse')),
    created_at            BIGINT NOT NULL,
    phone                 TEXT,
    prefers_organic       INTEGER NOT NULL DEFAULT 0,
    prefers_seasonal      INTEGER NOT NULL DEFAULT 0,
    prefers_local         INTEGER NOT NULL DEFAULT 0,
    notification_channels TEXT NOT NULL DEFAULT '["email","in_app"]',
    warehouse_id          TEXT REFERENCES warehouses (id),
    deactivated_at        BIGINT
);
INSERT INTO users (id, email, name, password_hash, role, created_at, phone, prefers_organic,
                   prefers_seasonal, prefers_local, notification_channels)
SELECT id, email, name, password_hash, role, created_at, phone, prefers_organic,
       prefers_seasonal, prefers_local, notification_channels
FROM users_before_staff;
DROP TABLE users_before_staff;
