//! What is in season, month by month.
//!
//! The catalogue has no season field, so the season of a product is read
//! from its name: a small table of Indian harvest seasons for fresh produce
//! sold in the demo shop, each entry a word matched (case-insensitively,
//! anywhere) in product names and the months it is at its best. "mango"
//! matches "Alphonso mangoes". Extending it is adding a line.

/// `(word in the product name, first month, last month)`, months 1 to 12;
/// a season running past December wraps around (November to February is
/// `(11, 2)`).
const SEASONS: &[(&str, u32, u32)] = &[
    ("mango", 4, 7),
    ("watermelon", 3, 6),
    ("muskmelon", 3, 6),
    ("litchi", 5, 6),
    ("jamun", 6, 7),
    ("pineapple", 7, 9),
    ("sweet corn", 7, 9),
    ("okra", 4, 9),
    ("custard apple", 9, 11),
    ("pomegranate", 9, 2),
    ("guava", 10, 2),
    ("orange", 11, 2),
    ("cauliflower", 11, 2),
    ("green peas", 11, 2),
    ("spinach", 11, 2),
    ("carrot", 12, 2),
    ("strawberr", 12, 2),
    ("grape", 1, 4),
];

/// The name words of what is in season in `month` (1 to 12).
pub fn in_season(month: u32) -> Vec<&'static str> {
    SEASONS
        .iter()
        .filter(|(_, first, last)| {
            if first <= last {
                (*first..=*last).contains(&month)
            } else {
                month >= *first || month <= *last
            }
        })
        .map(|(word, _, _)| *word)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mangoes_are_in_season_in_summer_and_not_in_winter() {
        assert!(in_season(5).contains(&"mango"));
        assert!(!in_season(12).contains(&"mango"));
    }

    #[test]
    fn a_season_across_new_year_covers_both_ends_and_not_the_middle() {
        for month in [11, 12, 1, 2] {
            assert!(in_season(month).contains(&"orange"), "month {month}");
        }
        for month in 3..=10 {
            assert!(!in_season(month).contains(&"orange"), "month {month}");
        }
    }

    #[test]
    fn every_month_has_something_in_season() {
        for month in 1..=12 {
            assert!(!in_season(month).is_empty(), "nothing in season in {month}");
        }
    }
}
