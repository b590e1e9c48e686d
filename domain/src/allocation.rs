//! Where an order's stock comes from: which warehouses may fill it, in
//! which order of preference, and what each one holds for it.
//!
//! The store fills an order from the warehouses it is given, first the
//! nearest that can fill all of it, else line by line; what decides
//! "nearest" is a [`WarehouseRanking`], so a shop with coordinates or a
//! carrier's zone table can bring its own.

use serde::{Deserialize, Serialize};

use crate::{Sku, WarehouseId};

/// A warehouse as the ranking sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WarehouseSite {
    pub id: WarehouseId,
    pub postal_code: String,
}

/// Orders warehouses from the best to ship a parcel to `postal_code` to
/// the worst. Every site given comes back exactly once.
pub trait WarehouseRanking: Send + Sync {
    fn rank(&self, postal_code: &str, sites: &[WarehouseSite]) -> Vec<WarehouseId>;
}

/// Nearness by postal-code region: postal codes that share a longer
/// prefix are closer (in India the first digit is the zone, the first two
/// the circle, the first three the sorting district), and among equal
/// prefixes the numerically closer code wins. Ties keep the order given.
#[derive(Debug, Clone, Copy, Default)]
pub struct PostalRegionRanking;

impl WarehouseRanking for PostalRegionRanking {
    fn rank(&self, postal_code: &str, sites: &[WarehouseSite]) -> Vec<WarehouseId> {
        let destination = digits(postal_code);
        let mut ranked: Vec<(usize, u64, usize, WarehouseId)> = sites
            .iter()
            .enumerate()
            .map(|(index, site)| {
                let origin = digits(&site.postal_code);
                let shared = destination
                    .chars()
                    .zip(origin.chars())
                    .take_while(|(a, b)| a == b)
                    .count();
                let gap = match (destination.parse::<u64>(), origin.parse::<u64>()) {
                    (Ok(a), Ok(b)) => a.abs_diff(b),
                    _ => u64::MAX,
                };
                (usize::MAX - shared, gap, index, site.id)
            })
            .collect();
        ranked.sort();
        ranked.into_iter().map(|(_, _, _, id)| id).collect()
    }
}

fn digits(code: &str) -> String {
    code.chars().filter(char::is_ascii_alphanumeric).collect()
}

/// Which warehouses an order may be filled from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum StockSource {
    /// Delivered: any active warehouse, nearest to this postal code first;
    /// split across warehouses when no single one can fill the order.
    NearestTo { postal_code: String },
    /// Collected: all of it from one warehouse, this one if named, else
    /// the first pickup counter that can fill it.
    Pickup { warehouse_id: Option<WarehouseId> },
    /// An exchange's replacement: all of it from one active warehouse, the
    /// nearest to this postal code that can fill it, as one parcel.
    OneParcelTo { postal_code: String },
}

/// One line of what a warehouse holds for an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AllocatedLine {
    pub sku: Sku,
    pub quantity: u32,
}

/// What one warehouse holds for an order: one parcel of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Allocation {
    pub warehouse_id: WarehouseId,
    pub lines: Vec<AllocatedLine>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(n: u128, postal_code: &str) -> WarehouseSite {
        WarehouseSite {
            id: WarehouseId(uuid::Uuid::from_u128(n)),
            postal_code: postal_code.to_owned(),
        }
    }

    #[test]
    fn the_warehouse_sharing_the_longest_postal_prefix_ranks_first() {
        let mumbai = site(1, "400703");
        let pune = site(2, "411001");
        let delhi = site(3, "110001");
        let ranked =
            PostalRegionRanking.rank("411014", &[mumbai.clone(), delhi.clone(), pune.clone()]);
        assert_eq!(ranked, vec![pune.id, mumbai.id, delhi.id]);
        let ranked =
            PostalRegionRanking.rank("400001", &[pune.clone(), delhi.clone(), mumbai.clone()]);
        assert_eq!(ranked, vec![mumbai.id, pune.id, delhi.id]);
    }

    #[test]
    fn equal_prefixes_are_broken_by_the_closer_code_then_by_the_order_given() {
        let near = site(1, "400710");
        let far = site(2, "400790");
        let twin = site(3, "400710");
        let ranked = PostalRegionRanking.rank("400701", &[far.clone(), twin.clone(), near.clone()]);
        assert_eq!(ranked, vec![twin.id, near.id, far.id]);
    }

    #[test]
    fn a_postal_code_that_is_not_a_number_still_ranks_every_site() {
        let a = site(1, "SW1A 1AA");
        let b = site(2, "EC1A 1BB");
        let ranked = PostalRegionRanking.rank("SW1A 2AA", &[b.clone(), a.clone()]);
        assert_eq!(ranked, vec![a.id, b.id]);
    }
}
