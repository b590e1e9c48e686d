//! Shopping carts: one active cart per user, kept here so it survives logout
//! and follows the user from device to device.
//!
//! Every change runs in one write transaction that first bumps the cart's
//! `version`, so the reminder workflow can tell one untouched period from the
//! next (its notification is deduplicated per version). A line remembers the
//! unit price the shopper saw when adding it; checkout compares it with the
//! catalogue. Stock is checked, not reserved: a cart promises nothing, the
//! order's reservation does.

use chrono::{DateTime, Utc};
use orderly_domain::{
    CartStatus, CouponCode, Currency, Money, OrderId, Quantity, Shortage, Sku, UserId,
};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};
use uuid::Uuid;

use crate::StoreError;
use crate::columns::{known, money, now_millis, optional_timestamp, parsed, timestamp};
use crate::database::Db;

#[derive(Debug, Clone)]
pub struct Carts {
    pub(crate) db: Db,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cart {
    pub id: Uuid,
    pub user_id: UserId,
    pub status: CartStatus,
    /// Bumped by every change of the cart's lines.
    pub version: i64,
    pub reminder_sent: bool,
    pub updated_at: DateTime<Utc>,
    /// The checkout placing this cart as an order, while one is.
    pub checkout: Option<CheckoutClaim>,
    /// In the order they were first added.
    pub items: Vec<CartItem>,
    /// The coupon the shopper applied, re-checked at checkout.
    pub coupon: Option<CouponCode>,
}

/// A checkout in progress: the order it is placing, and since when. While
/// a cart is claimed its lines cannot change and no other checkout of it
/// can start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckoutClaim {
    pub order_id: OrderId,
    /// `None` for a claim older than claim times (treated as stale).
    pub claimed_at: Option<DateTime<Utc>>,
}

impl CheckoutClaim {
    /// Whether the checkout that made this claim has had time to finish and
    /// is presumed to have died (`before`: the oldest time still fresh).
    pub fn is_stale(&self, before: DateTime<Utc>) -> bool {
        self.claimed_at.is_none_or(|at| at < before)
    }
}

/// The answer to claiming a cart for checkout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckoutClaimOutcome {
    /// The cart is this order's to place (also when it already was).
    Claimed,
    /// Another checkout holds it.
    HeldBy(CheckoutClaim),
    /// The cart is no longer active (checked out meanwhile).
    Closed,
}

impl Cart {
    pub fn item(&self, sku: &Sku) -> Option<&CartItem> {
        self.items.iter().find(|item| &item.sku == sku)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CartItem {
    pub sku: Sku,
    /// The product's current name.
    pub name: String,
    pub quantity: Quantity,
    /// The unit price when the item was (last) added.
    pub unit_price: Money,
    pub added_at: DateTime<Utc>,
}

/// The answer to a change of a cart line. Refusals change nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CartChange {
    Changed(Cart),
    /// Less stock is available than the line would hold.
    Unavailable(Shortage),
    /// Adding would take the line past [`Quantity::MAX`].
    TooMany {
        quantity: u32,
    },
    /// The cart's other lines are priced in `cart`, the product is not.
    OtherCurrency {
        cart: Currency,
    },
    /// The cart has no line for this SKU.
    NotInCart,
    /// A checkout is placing the cart; its lines cannot change meanwhile.
    CheckoutInProgress(CheckoutClaim),
}

/// The answer to adding an item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CartAdd {
    /// This request changed the cart, or was refused.
    Done(CartChange),
    /// An earlier add with the same `Idempotency-Key` already happened;
    /// nothing was added this time. `cart` is that request's cart as it is
    /// now, `request_hash` the fingerprint of that request.
    Replayed { request_hash: String, cart: Cart },
}

/// A client's `Idempotency-Key` for a cart change, with the fingerprint of
/// its request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CartRequestKey {
    pub key: String,
    pub request_hash: String,
}

const CART_COLUMNS: &str = "id, user_id, status, version, reminder_sent, updated_at, checkout_order_id, checkout_claimed_at, coupon_code";

impl Carts {
    /// Applies `coupon` to (or, `None`, takes it off) the user's active
    /// cart. Returns false when they have no active cart or it is being
    /// checked out.
    pub async fn set_cart_coupon(
        &self,
        user: UserId,
        coupon: Option<&CouponCode>,
    ) -> Result<bool, StoreError> {
        let changed = sqlx::query(
            "UPDATE carts SET coupon_code = $1
             WHERE user_id = $2 AND status = 'active' AND checkout_order_id IS NULL",
        )
        .bind(coupon.map(|c| c.as_str().to_owned()))
        .bind(user.to_string())
        .execute(&self.db.pool)
        .await?
        .rows_affected();
        Ok(changed > 0)
    }

    /// The user's active cart, if they have one.
    pub async fn active_cart(&self, user_id: UserId) -> Result<Option<Cart>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {CART_COLUMNS} FROM carts WHERE user_id = $1 AND status = 'active'"
        ))
        .bind(user_id.to_string())
        .fetch_optional(&self.db.pool)
        .await?;
        match row {
            Some(row) => Ok(Some(self.with_items(&row).await?)),
            None => Ok(None),
        }
    }

    /// The user's active cart, created empty when they have none.
    pub async fn open_cart(&self, user_id: UserId) -> Result<Cart, StoreError> {
        if let Some(cart) = self.active_cart(user_id).await? {
            return Ok(cart);
        }
        let mut tx = self.db.begin_write().await?;
        let id = active_cart_id(&mut tx, user_id, true)
            .await?
            .ok_or_else(|| StoreError::Corrupt("carts: a created cart vanished".into()))?;
        tx.commit().await?;
        self.cart(id).await?.ok_or(StoreError::NotFound)
    }

    /// Any cart by id, whatever its status.
    pub async fn cart(&self, id: Uuid) -> Result<Option<Cart>, StoreError> {
        let row = sqlx::query(&format!("SELECT {CART_COLUMNS} FROM carts WHERE id = $1"))
            .bind(id.to_string())
            .fetch_optional(&self.db.pool)
            .await?;
        match row {
            Some(row) => Ok(Some(self.with_items(&row).await?)),
            None => Ok(None),
        }
    }

    /// Adds `quantity` of `sku` at `unit_price` (the catalogue price now) to
    /// the user's active cart, creating the cart or the line as needed. A
    /// line already there grows by `quantity` and takes the new price, the
    /// one the shopper just saw.
    ///
    /// With a `request_key`, the key is claimed in the same transaction as
    /// the change, so a refused add leaves the key free and a repeated one
    /// adds nothing: it answers [`CartAdd::Replayed`].
    pub async fn add_to_cart(
        &self,
        user_id: UserId,
        sku: &Sku,
        quantity: Quantity,
        unit_price: Money,
        request_key: Option<&CartRequestKey>,
    ) -> Result<CartAdd, StoreError> {
        let mut tx = self.db.begin_write().await?;
        let cart_id = active_cart_id(&mut tx, user_id, true)
            .await?
            .ok_or_else(|| StoreError::Corrupt("carts: a created cart vanished".into()))?;
        let now = now_millis();
        if let Some(request_key) = request_key
            && let Some((request_hash, earlier_cart)) =
                claim_cart_request(&mut tx, user_id, request_key, cart_id, sku, now).await?
        {
            tx.rollback().await?;
            let cart = self.cart(earlier_cart).await?.ok_or(StoreError::NotFound)?;
            return Ok(CartAdd::Replayed { request_hash, cart });
        }
        if let Some(claim) = touch(&mut tx, cart_id, now).await? {
            tx.rollback().await?;
            return Ok(CartAdd::Done(CartChange::CheckoutInProgress(claim)));
        }
        let other_currency = sqlx::query(
            "SELECT unit_price_currency FROM cart_items
             WHERE cart_id = $1 AND sku <> $2 AND unit_price_currency <> $3 LIMIT 1",
        )
        .bind(cart_id.to_string())
        .bind(sku.as_str())
        .bind(unit_price.currency.as_str())
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(row) = other_currency {
            let cart = parsed(
                "cart_items.unit_price_currency",
                &row.try_get::<String, _>("unit_price_currency")?,
                Currency::parse,
            )?;
            tx.rollback().await?;
            return Ok(CartAdd::Done(CartChange::OtherCurrency { cart }));
        }
        let held = line_quantity(&mut tx, cart_id, sku).await?.unwrap_or(0);
        let wanted = held.saturating_add(i64::from(quantity.get()));
        let wanted_u32 = u32::try_from(wanted).unwrap_or(u32::MAX);
        if wanted > i64::from(Quantity::MAX) {
            tx.rollback().await?;
            return Ok(CartAdd::Done(CartChange::TooMany {
                quantity: wanted_u32,
            }));
        }
        let available = available_stock(&mut tx, sku).await?;
        if wanted > available {
            tx.rollback().await?;
            return Ok(CartAdd::Done(CartChange::Unavailable(Shortage {
                sku: sku.clone(),
                requested: wanted_u32,
                available: available.max(0),
            })));
        }
        sqlx::query(
            "INSERT INTO cart_items
                 (cart_id, sku, quantity, unit_price_amount, unit_price_currency, added_at)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (cart_id, sku) DO UPDATE SET
                 quantity = excluded.quantity,
                 unit_price_amount = excluded.unit_price_amount,
                 unit_price_currency = excluded.unit_price_currency",
        )
        .bind(cart_id.to_string())
        .bind(sku.as_str())
        .bind(wanted)
        .bind(unit_price.amount)
        .bind(unit_price.currency.as_str())
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        self.changed(cart_id).await.map(CartAdd::Done)
    }

    /// Sets the quantity of a line already in the user's active cart.
    pub async fn set_cart_quantity(
        &self,
        user_id: UserId,
        sku: &Sku,
        quantity: Quantity,
    ) -> Result<CartChange, StoreError> {
        let mut tx = self.db.begin_write().await?;
        let Some(cart_id) = active_cart_id(&mut tx, user_id, false).await? else {
            tx.rollback().await?;
            return Ok(CartChange::NotInCart);
        };
        if let Some(claim) = touch(&mut tx, cart_id, now_millis()).await? {
            tx.rollback().await?;
            return Ok(CartChange::CheckoutInProgress(claim));
        }
        if line_quantity(&mut tx, cart_id, sku).await?.is_none() {
            tx.rollback().await?;
            return Ok(CartChange::NotInCart);
        }
        let wanted = i64::from(quantity.get());
        let available = available_stock(&mut tx, sku).await?;
        if wanted > available {
            tx.rollback().await?;
            return Ok(CartChange::Unavailable(Shortage {
                sku: sku.clone(),
                requested: quantity.get(),
                available: available.max(0),
            }));
        }
        sqlx::query("UPDATE cart_items SET quantity = $1 WHERE cart_id = $2 AND sku = $3")
            .bind(wanted)
            .bind(cart_id.to_string())
            .bind(sku.as_str())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.changed(cart_id).await
    }

    /// Takes a line out of the user's active cart.
    pub async fn remove_from_cart(
        &self,
        user_id: UserId,
        sku: &Sku,
    ) -> Result<CartChange, StoreError> {
        let mut tx = self.db.begin_write().await?;
        let Some(cart_id) = active_cart_id(&mut tx, user_id, false).await? else {
            tx.rollback().await?;
            return Ok(CartChange::NotInCart);
        };
        if let Some(claim) = touch(&mut tx, cart_id, now_millis()).await? {
            tx.rollback().await?;
            return Ok(CartChange::CheckoutInProgress(claim));
        }
        let removed = sqlx::query("DELETE FROM cart_items WHERE cart_id = $1 AND sku = $2")
            .bind(cart_id.to_string())
            .bind(sku.as_str())
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if removed == 0 {
            tx.rollback().await?;
            return Ok(CartChange::NotInCart);
        }
        tx.commit().await?;
        self.changed(cart_id).await
    }

    /// Removes every line of the user's active cart (created if missing);
    /// the cart itself stays, empty.
    pub async fn empty_cart(&self, user_id: UserId) -> Result<CartChange, StoreError> {
        let mut tx = self.db.begin_write().await?;
        let cart_id = active_cart_id(&mut tx, user_id, true)
            .await?
            .ok_or_else(|| StoreError::Corrupt("carts: a created cart vanished".into()))?;
        if let Some(claim) = touch(&mut tx, cart_id, now_millis()).await? {
            tx.rollback().await?;
            return Ok(CartChange::CheckoutInProgress(claim));
        }
        sqlx::query("DELETE FROM cart_items WHERE cart_id = $1")
            .bind(cart_id.to_string())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.changed(cart_id).await
    }

    /// Records the current catalogue prices of these lines as the ones the
    /// shopper has now been shown. Not a change by the shopper: the version
    /// (and so the reminder) stays.
    pub async fn reprice_cart(
        &self,
        cart_id: Uuid,
        prices: &[(Sku, Money)],
    ) -> Result<(), StoreError> {
        let mut tx = self.db.begin_write().await?;
        for (sku, price) in prices {
            sqlx::query(
                "UPDATE cart_items SET unit_price_amount = $1, unit_price_currency = $2
                 WHERE cart_id = $3 AND sku = $4",
            )
            .bind(price.amount)
            .bind(price.currency.as_str())
            .bind(cart_id.to_string())
            .bind(sku.as_str())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Claims the active cart for the checkout placing `order_id`, in one
    /// conditional update: of two checkouts of one cart only one claims it.
    /// A checkout retried with the same order id claims it again.
    pub async fn claim_checkout(
        &self,
        cart_id: Uuid,
        order_id: OrderId,
    ) -> Result<CheckoutClaimOutcome, StoreError> {
        self.claim(cart_id, order_id, None).await
    }

    /// Hands a cart whose checkout by `from` died (it placed no order) to
    /// the checkout placing `to`; refused when `from` no longer holds it.
    pub async fn take_over_checkout(
        &self,
        cart_id: Uuid,
        from: OrderId,
        to: OrderId,
    ) -> Result<CheckoutClaimOutcome, StoreError> {
        self.claim(cart_id, to, Some(from)).await
    }

    async fn claim(
        &self,
        cart_id: Uuid,
        order_id: OrderId,
        from: Option<OrderId>,
    ) -> Result<CheckoutClaimOutcome, StoreError> {
        let holder = from.unwrap_or(order_id).to_string();
        // A claim released between the update and the read is tried again.
        for _ in 0..3 {
            let claimed = sqlx::query(
                "UPDATE carts SET checkout_order_id = $1, checkout_claimed_at = $2
                 WHERE id = $3 AND status = 'active'
                   AND (checkout_order_id IS NULL OR checkout_order_id = $4)",
            )
            .bind(order_id.to_string())
            .bind(now_millis())
            .bind(cart_id.to_string())
            .bind(&holder)
            .execute(&self.db.pool)
            .await?
            .rows_affected();
            if claimed == 1 {
                return Ok(CheckoutClaimOutcome::Claimed);
            }
            let cart = self.cart(cart_id).await?.ok_or(StoreError::NotFound)?;
            match (cart.status, cart.checkout) {
                (CartStatus::Active, Some(claim)) => {
                    return Ok(CheckoutClaimOutcome::HeldBy(claim));
                }
                (CartStatus::Active, None) => continue,
                (CartStatus::CheckedOut, _) => return Ok(CheckoutClaimOutcome::Closed),
            }
        }
        Err(StoreError::Conflict(
            "the cart's checkout keeps changing hands; retry".into(),
        ))
    }

    /// Gives the cart back to its shopper after the checkout placing
    /// `order_id` ended without an order (out of stock, a price changed).
    pub async fn release_checkout(&self, order_id: OrderId) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE carts SET checkout_order_id = NULL, checkout_claimed_at = NULL
             WHERE status = 'active' AND checkout_order_id = $1",
        )
        .bind(order_id.to_string())
        .execute(&self.db.pool)
        .await?;
        Ok(())
    }

    /// Closes the active cart whose checkout placed `order_id`; the user's
    /// next change opens a new cart. Returns the closed cart's id, `None` if
    /// it was closed already (a retried checkout).
    pub async fn finish_checkout(&self, order_id: OrderId) -> Result<Option<Uuid>, StoreError> {
        let row = sqlx::query(
            "UPDATE carts SET status = 'checked_out', version = version + 1, updated_at = $1
             WHERE checkout_order_id = $2 AND status = 'active'
             RETURNING id",
        )
        .bind(now_millis())
        .bind(order_id.to_string())
        .fetch_optional(&self.db.pool)
        .await?;
        row.map(|row| {
            parsed(
                "carts.id",
                &row.try_get::<String, _>("id")?,
                Uuid::parse_str,
            )
        })
        .transpose()
    }

    /// Marks the reminder of this version of the cart sent; `false` when the
    /// cart has changed (or closed) since, and nothing was marked.
    pub async fn mark_cart_reminded(
        &self,
        cart_id: Uuid,
        version: i64,
    ) -> Result<bool, StoreError> {
        let marked = sqlx::query(
            "UPDATE carts SET reminder_sent = 1
             WHERE id = $1 AND version = $2 AND status = 'active'",
        )
        .bind(cart_id.to_string())
        .bind(version)
        .execute(&self.db.pool)
        .await?
        .rows_affected();
        Ok(marked == 1)
    }

    async fn changed(&self, cart_id: Uuid) -> Result<CartChange, StoreError> {
        let cart = self.cart(cart_id).await?.ok_or(StoreError::NotFound)?;
        Ok(CartChange::Changed(cart))
    }

    async fn with_items(&self, row: &AnyRow) -> Result<Cart, StoreError> {
        let mut cart = cart_from(row)?;
        let rows = sqlx::query(
            "SELECT i.sku, p.name, i.quantity, i.unit_price_amount, i.unit_price_currency,
                    i.added_at
             FROM cart_items i JOIN products p ON p.sku = i.sku
             WHERE i.cart_id = $1
             ORDER BY i.added_at, i.sku",
        )
        .bind(cart.id.to_string())
        .fetch_all(&self.db.pool)
        .await?;
        cart.items = rows.iter().map(item_from).collect::<Result<_, _>>()?;
        Ok(cart)
    }
}

/// Claims `request_key` for an add to `cart_id`. `None` when this request
/// now holds the key; otherwise the hash and cart of the request that
/// already does. Inserting first makes a concurrent duplicate wait for the
/// holder's transaction (PostgreSQL) or the write lock (SQLite) and then
/// find its row.
async fn claim_cart_request(
    tx: &mut Transaction<'static, Any>,
    user_id: UserId,
    request_key: &CartRequestKey,
    cart_id: Uuid,
    sku: &Sku,
    now: i64,
) -> Result<Option<(String, Uuid)>, StoreError> {
    let user = user_id.to_string();
    let inserted = sqlx::query(
        "INSERT INTO cart_requests (user_id, key, request_hash, cart_id, sku, created_at)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (user_id, key) DO NOTHING",
    )
    .bind(&user)
    .bind(&request_key.key)
    .bind(&request_key.request_hash)
    .bind(cart_id.to_string())
    .bind(sku.as_str())
    .bind(now)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if inserted == 1 {
        return Ok(None);
    }
    let row = sqlx::query(
        "SELECT request_hash, cart_id FROM cart_requests WHERE user_id = $1 AND key = $2",
    )
    .bind(&user)
    .bind(&request_key.key)
    .fetch_one(&mut **tx)
    .await?;
    let cart_id = parsed(
        "cart_requests.cart_id",
        &row.try_get::<String, _>("cart_id")?,
        Uuid::parse_str,
    )?;
    Ok(Some((row.try_get("request_hash")?, cart_id)))
}

/// The id of the user's active cart; with `create`, one is made if missing.
/// Runs inside the caller's write transaction, so the cart cannot be
/// checked out between this and the caller's change.
async fn active_cart_id(
    tx: &mut Transaction<'static, Any>,
    user_id: UserId,
    create: bool,
) -> Result<Option<Uuid>, StoreError> {
    let user = user_id.to_string();
    if create {
        let now = now_millis();
        // The partial unique index turns a second active cart into a no-op.
        sqlx::query(
            "INSERT INTO carts (id, user_id, status, version, reminder_sent, created_at, updated_at)
             VALUES ($1, $2, 'active', 0, 0, $3, $3)
             ON CONFLICT DO NOTHING",
        )
        .bind(Uuid::now_v7().to_string())
        .bind(&user)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    }
    let row = sqlx::query("SELECT id FROM carts WHERE user_id = $1 AND status = 'active'")
        .bind(&user)
        .fetch_optional(&mut **tx)
        .await?;
    row.map(|row| {
        parsed(
            "carts.id",
            &row.try_get::<String, _>("id")?,
            Uuid::parse_str,
        )
    })
    .transpose()
}

async fn line_quantity(
    tx: &mut Transaction<'static, Any>,
    cart_id: Uuid,
    sku: &Sku,
) -> Result<Option<i64>, StoreError> {
    let row = sqlx::query("SELECT quantity FROM cart_items WHERE cart_id = $1 AND sku = $2")
        .bind(cart_id.to_string())
        .bind(sku.as_str())
        .fetch_optional(&mut **tx)
        .await?;
    row.map(|row| row.try_get::<i64, _>("quantity"))
        .transpose()
        .map_err(StoreError::from)
}

/// What an order could reserve now; a SKU never stocked has none.
async fn available_stock(tx: &mut Transaction<'static, Any>, sku: &Sku) -> Result<i64, StoreError> {
    let row = sqlx::query("SELECT on_hand - reserved AS available FROM inventory WHERE sku = $1")
        .bind(sku.as_str())
        .fetch_optional(&mut **tx)
        .await?;
    Ok(match row {
        Some(row) => row.try_get("available")?,
        None => 0,
    })
}

/// Every change of a line is a new version of the cart, whose reminder (if
/// any) is yet to be sent. Each change does this first: on PostgreSQL the
/// row lock it takes makes concurrent changes of one cart wait for each
/// other (SQLite's write lock already does), so none is lost; a refused
/// change rolls it back with everything else.
/// Bumps the cart's version for a change of its lines; `Some(claim)`, and
/// nothing bumped, while a checkout holds the cart. On PostgreSQL the
/// update also takes the cart's row lock, so a change and a checkout claim
/// of the same cart never interleave.
async fn touch(
    tx: &mut Transaction<'static, Any>,
    cart_id: Uuid,
    now: i64,
) -> Result<Option<CheckoutClaim>, StoreError> {
    let touched = sqlx::query(
        "UPDATE carts SET version = version + 1, updated_at = $1, reminder_sent = 0
         WHERE id = $2 AND checkout_order_id IS NULL",
    )
    .bind(now)
    .bind(cart_id.to_string())
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if touched == 1 {
        return Ok(None);
    }
    let row = sqlx::query("SELECT checkout_order_id, checkout_claimed_at FROM carts WHERE id = $1")
        .bind(cart_id.to_string())
        .fetch_one(&mut **tx)
        .await?;
    claim_from(&row)
}

fn claim_from(row: &AnyRow) -> Result<Option<CheckoutClaim>, StoreError> {
    let Some(order) = row.try_get::<Option<String>, _>("checkout_order_id")? else {
        return Ok(None);
    };
    Ok(Some(CheckoutClaim {
        order_id: parsed("carts.checkout_order_id", &order, str::parse)?,
        claimed_at: optional_timestamp(
            "carts.checkout_claimed_at",
            row.try_get("checkout_claimed_at")?,
        )?,
    }))
}

fn cart_from(row: &AnyRow) -> Result<Cart, StoreError> {
    Ok(Cart {
        id: parsed(
            "carts.id",
            &row.try_get::<String, _>("id")?,
            Uuid::parse_str,
        )?,
        user_id: parsed(
            "carts.user_id",
            &row.try_get::<String, _>("user_id")?,
            str::parse,
        )?,
        status: known(
            "carts.status",
            &row.try_get::<String, _>("status")?,
            CartStatus::parse,
        )?,
        version: row.try_get("version")?,
        reminder_sent: row.try_get::<i64, _>("reminder_sent")? != 0,
        updated_at: timestamp("carts.updated_at", row.try_get("updated_at")?)?,
        checkout: claim_from(row)?,
        items: Vec::new(),
        coupon: row
            .try_get::<Option<String>, _>("coupon_code")?
            .map(|code| parsed("carts.coupon_code", &code, CouponCode::parse))
            .transpose()?,
    })
}

fn item_from(row: &AnyRow) -> Result<CartItem, StoreError> {
    let quantity: i64 = row.try_get("quantity")?;
    Ok(CartItem {
        sku: parsed(
            "cart_items.sku",
            &row.try_get::<String, _>("sku")?,
            Sku::parse,
        )?,
        name: row.try_get("name")?,
        quantity: Quantity::parse(quantity)
            .map_err(|e| StoreError::Corrupt(format!("cart_items.quantity: {quantity}: {e}")))?,
        unit_price: money(
            row.try_get("unit_price_amount")?,
            &row.try_get::<String, _>("unit_price_currency")?,
        )?,
        added_at: timestamp("cart_items.added_at", row.try_get("added_at")?)?,
    })
}
