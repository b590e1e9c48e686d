//! Counting matches per category, for the "Fruit (12) · Vegetables (3)"
//! list beside the results.
//!
//! Reads each match's category from the column store (a fast field) by
//! ordinal and turns ordinals into slugs once per segment, so counting
//! costs one array increment per matching product.

use std::collections::BTreeMap;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::StrColumn;
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

/// Counts matches per value of a string fast field.
pub(super) struct CategoryCounts {
    pub field: &'static str,
}

pub(super) struct SegmentCategoryCounts {
    column: Option<StrColumn>,
    counts: Vec<u64>,
}

impl Collector for CategoryCounts {
    type Fruit = BTreeMap<String, u64>;
    type Child = SegmentCategoryCounts;

    fn for_segment(
        &self,
        _segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<SegmentCategoryCounts> {
        let column = reader.fast_fields().str(self.field)?;
        let terms = column.as_ref().map_or(0, |column| column.num_terms());
        Ok(SegmentCategoryCounts {
            column,
            counts: vec![0; terms],
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(
        &self,
        segments: Vec<BTreeMap<String, u64>>,
    ) -> tantivy::Result<BTreeMap<String, u64>> {
        let mut total = BTreeMap::new();
        for segment in segments {
            for (slug, count) in segment {
                *total.entry(slug).or_insert(0) += count;
            }
        }
        Ok(total)
    }
}

impl SegmentCollector for SegmentCategoryCounts {
    type Fruit = BTreeMap<String, u64>;

    fn collect(&mut self, doc: DocId, _score: Score) {
        if let Some(column) = &self.column {
            for ord in column.term_ords(doc) {
                if let Some(count) = usize::try_from(ord)
                    .ok()
                    .and_then(|ord| self.counts.get_mut(ord))
                {
                    *count += 1;
                }
            }
        }
    }

    fn harvest(self) -> BTreeMap<String, u64> {
        let mut out = BTreeMap::new();
        let Some(column) = self.column else {
            return out;
        };
        let mut slug = String::new();
        for (ord, count) in self.counts.into_iter().enumerate() {
            if count == 0 {
                continue;
            }
            // An ordinal the dictionary cannot name would be a corrupt
            // segment; dropping its count beats failing the whole search.
            if let Ok(true) = column.ord_to_str(ord as u64, &mut slug) {
                out.insert(slug.clone(), count);
            }
        }
        out
    }
}
