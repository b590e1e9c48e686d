//! Which batches of which warehouses fill an order: the plan a reservation
//! carries out, worked out from the free stock it read under lock.
//!
//! Kept apart from the SQL so the rule is plain to read: the whole order
//! from the best warehouse that can fill it; otherwise each line from the
//! best warehouse that can fill that line (one the order already uses
//! first, so it ships in as few parcels as the stock allows); a line no
//! single warehouse can fill is spread over them, best first. Within a
//! warehouse, batches go first-expiry-first-out.

use std::collections::BTreeMap;

use orderly_domain::{AllocatedLine, Allocation, Shortage, Sku, WarehouseId};

use super::batches::BatchKey;

/// Which warehouses an order may be filled from, best first.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Sourcing {
    /// Best first. Empty: every active warehouse, in the order of their
    /// ids (the default warehouse first).
    pub warehouses: Vec<WarehouseId>,
    /// All of the order from one warehouse (a pickup order is collected at
    /// one counter).
    pub one_warehouse: bool,
}

impl Sourcing {
    /// Any active warehouse, split as needed.
    pub fn anywhere() -> Self {
        Sourcing::default()
    }

    pub(crate) fn allows(&self, warehouse: WarehouseId) -> bool {
        self.warehouses.is_empty() || self.warehouses.contains(&warehouse)
    }

    /// Where `warehouse` stands in the preference: listed ones by their
    /// place, the others after them by id.
    fn rank_of(&self, warehouse: WarehouseId) -> (usize, WarehouseId) {
        let place = self
            .warehouses
            .iter()
            .position(|w| *w == warehouse)
            .unwrap_or(usize::MAX);
        (place, warehouse)
    }
}

/// The free, fresh enough batches of each SKU an order wants, first to
/// expire first.
#[derive(Debug, Default)]
pub(crate) struct Shelves {
    pub(crate) batches: BTreeMap<Sku, Vec<(BatchKey, i64)>>,
}

impl Shelves {
    /// The warehouses holding any of the stock, best first.
    fn ranked(&self, sourcing: &Sourcing) -> Vec<WarehouseId> {
        let mut warehouses: Vec<WarehouseId> = self
            .batches
            .values()
            .flatten()
            .map(|(batch, _)| batch.warehouse_id)
            .collect();
        warehouses.sort_by_key(|w| sourcing.rank_of(*w));
        warehouses.dedup();
        warehouses
    }

    fn free(&self, sku: &Sku, warehouse: WarehouseId) -> i64 {
        self.batches
            .get(sku)
            .into_iter()
            .flatten()
            .filter(|(batch, _)| batch.warehouse_id == warehouse)
            .map(|(_, free)| free)
            .sum()
    }

    /// The batches to hold and how much of each, or the first SKU (in sku
    /// order) that cannot be had.
    pub(crate) fn plan(
        &self,
        wanted: &BTreeMap<&Sku, u32>,
        sourcing: &Sourcing,
    ) -> Result<Vec<(BatchKey, i64)>, Shortage> {
        let ranked = self.ranked(sourcing);
        let fills_all = |warehouse: &&WarehouseId| {
            wanted
                .iter()
                .all(|(sku, units)| self.free(sku, **warehouse) >= i64::from(*units))
        };
        let mut plan = Vec::new();
        if let Some(warehouse) = ranked.iter().find(fills_all) {
            for (sku, units) in wanted {
                self.take(sku, &[*warehouse], i64::from(*units), &mut plan);
            }
            return Ok(plan);
        }
        if sourcing.one_warehouse {
            // Name what the best counter lacks.
            let best = ranked.first().copied();
            let (sku, units) = wanted
                .iter()
                .find(|(sku, units)| best.is_none_or(|w| self.free(sku, w) < i64::from(**units)))
                .expect("a warehouse that cannot fill the order lacks some line");
            return Err(Shortage {
                sku: (*sku).clone(),
                requested: *units,
                available: best.map_or(0, |w| self.free(sku, w)),
            });
        }
        let mut used: Vec<WarehouseId> = Vec::new();
        for (sku, units) in wanted {
            let units = i64::from(*units);
            let available: i64 = ranked.iter().map(|w| self.free(sku, *w)).sum();
            if available < units {
                return Err(Shortage {
                    sku: (*sku).clone(),
                    requested: u32::try_from(units).unwrap_or(u32::MAX),
                    available,
                });
            }
            let single = used
                .iter()
                .chain(ranked.iter())
                .find(|w| self.free(sku, **w) >= units)
                .copied();
            let sources = match single {
                Some(warehouse) => vec![warehouse],
                None => ranked.clone(),
            };
            for warehouse in self.take(sku, &sources, units, &mut plan) {
                if !used.contains(&warehouse) {
                    used.push(warehouse);
                }
            }
            used.sort_by_key(|w| sourcing.rank_of(*w));
        }
        Ok(plan)
    }

    /// Adds `units` of `sku` from `warehouses`, in that order, to the plan;
    /// answers the warehouses it took from.
    fn take(
        &self,
        sku: &Sku,
        warehouses: &[WarehouseId],
        mut units: i64,
        plan: &mut Vec<(BatchKey, i64)>,
    ) -> Vec<WarehouseId> {
        let mut touched = Vec::new();
        for warehouse in warehouses {
            for (batch, free) in self.batches.get(sku).into_iter().flatten() {
                if units == 0 {
                    return touched;
                }
                if batch.warehouse_id != *warehouse {
                    continue;
                }
                let take = units.min(*free);
                plan.push((batch.clone(), take));
                units -= take;
                if !touched.contains(warehouse) {
                    touched.push(*warehouse);
                }
            }
        }
        touched
    }
}

/// Held batches grouped into one parcel per warehouse, best first.
pub(crate) fn allocation_of<'a>(
    held: impl Iterator<Item = (&'a BatchKey, i64)>,
    sourcing: &Sourcing,
) -> Vec<Allocation> {
    let mut by_warehouse: BTreeMap<(usize, WarehouseId), BTreeMap<Sku, i64>> = BTreeMap::new();
    for (batch, units) in held {
        *by_warehouse
            .entry(sourcing.rank_of(batch.warehouse_id))
            .or_default()
            .entry(batch.sku.clone())
            .or_default() += units;
    }
    by_warehouse
        .into_iter()
        .map(|((_, warehouse_id), lines)| Allocation {
            warehouse_id,
            lines: lines
                .into_iter()
                .map(|(sku, units)| AllocatedLine {
                    sku,
                    quantity: u32::try_from(units).unwrap_or(u32::MAX),
                })
                .collect(),
        })
        .collect()
}
