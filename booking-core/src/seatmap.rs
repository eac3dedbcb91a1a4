//! Seat maps: a compact description (rows × numbers × price) that expands to
//! every seat, so a 100,000-seat stadium is one call.
//!
//! The text form, used by the command line, is blocks separated by commas,
//! each `ROWS:NUMBERS:PRICE_CENTS`, where ROWS is a row or a range of rows
//! and NUMBERS a number or a range of numbers:
//!
//! ```
//! # use booking_core::SeatMap;
//! let map: SeatMap = "A-B:1-20:15000,C-F:1-20:10000".parse().unwrap();
//! assert_eq!(map.len(), 120);
//! ```

use std::fmt;
use std::ops::RangeInclusive;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// A row of seats, shown as spreadsheet-style letters: `A`..`Z`, then
/// `AA`..`AZ`, `BA`, ... Rows order as they are shown (`Z` < `AA`).
///
/// Stored as its zero-based position (`A` = 0), so backends order by an integer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct Row(u32);

impl Row {
    /// The most rows an event can have: every label of up to three letters (`ZZZ`).
    pub const COUNT: u32 = 26 + 26 * 26 + 26 * 26 * 26;

    /// The row at zero-based `index`, if below [`Row::COUNT`].
    pub fn from_index(index: u32) -> Option<Self> {
        (index < Self::COUNT).then_some(Self(index))
    }

    /// Its zero-based position (`A` = 0, `Z` = 25, `AA` = 26).
    pub fn index(self) -> u32 {
        self.0
    }
}

impl fmt::Display for Row {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Bijective base 26: A..Z, AA..ZZ, AAA..ZZZ.
        let mut letters = [0u8; 3];
        let mut len = 0;
        let mut n = self.0 + 1;
        while n > 0 {
            n -= 1;
            letters[len] = b'A' + u8::try_from(n % 26).expect("below 26");
            len += 1;
            n /= 26;
        }
        letters[..len].reverse();
        f.write_str(std::str::from_utf8(&letters[..len]).expect("ASCII letters"))
    }
}

impl FromStr for Row {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        let invalid = || Error::invalid_input(format!("{s:?} is not a row (A to ZZZ)"));
        if s.is_empty() || s.len() > 3 || !s.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(invalid());
        }
        let index = s
            .bytes()
            .fold(0u32, |n, b| n * 26 + u32::from(b - b'A') + 1)
            - 1;
        Self::from_index(index).ok_or_else(invalid)
    }
}

impl From<Row> for String {
    fn from(row: Row) -> Self {
        row.to_string()
    }
}

impl TryFrom<String> for Row {
    type Error = Error;

    fn try_from(s: String) -> Result<Self> {
        s.parse()
    }
}

/// A rectangle of seats at one price: every number of `numbers` in every row of `rows`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeatBlock {
    /// The rows, first to last.
    pub rows: RangeInclusive<Row>,
    /// The seat numbers in each row, first to last (from 1).
    pub numbers: RangeInclusive<u32>,
    /// Each seat's price, in cents.
    pub price_cents: i64,
}

/// One seat a [`SeatMap`] expands to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SeatSpec {
    /// Its row.
    pub row: Row,
    /// Its number.
    pub number: u32,
    /// Its price, in cents.
    pub price_cents: i64,
}

/// A validated seat map: non-empty, no seat twice, prices not negative.
///
/// [`SeatMap::seats`] lists the seats by row, then number, whatever order the
/// blocks were given in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeatMap {
    seats: Vec<SeatSpec>,
}

impl SeatMap {
    /// The most seats one event may have.
    pub const MAX_SEATS: usize = 1_000_000;

    /// The highest price of one seat, in cents ($100 million): totals of any
    /// reservation stay far from overflowing.
    pub const MAX_PRICE_CENTS: i64 = 10_000_000_000;

    /// Expands and checks `blocks`.
    pub fn new(blocks: impl IntoIterator<Item = SeatBlock>) -> Result<Self> {
        let mut seats = Vec::new();
        for block in blocks {
            if block.rows.is_empty() || block.numbers.is_empty() || *block.numbers.start() == 0 {
                return Err(Error::invalid_input(
                    "a seat block needs rows first to last and numbers from 1, first to last",
                ));
            }
            if !(0..=Self::MAX_PRICE_CENTS).contains(&block.price_cents) {
                return Err(Error::invalid_input(format!(
                    "a seat price is 0 to {} cents",
                    Self::MAX_PRICE_CENTS
                )));
            }
            let rows = block.rows.end().index() - block.rows.start().index() + 1;
            let per_row = block.numbers.end() - block.numbers.start() + 1;
            let size = usize::try_from(u64::from(rows) * u64::from(per_row)).unwrap_or(usize::MAX);
            if seats.len().saturating_add(size) > Self::MAX_SEATS {
                return Err(Error::invalid_input(format!(
                    "an event has at most {} seats",
                    Self::MAX_SEATS
                )));
            }
            for index in block.rows.start().index()..=block.rows.end().index() {
                let row = Row(index);
                seats.extend(block.numbers.clone().map(|number| SeatSpec {
                    row,
                    number,
                    price_cents: block.price_cents,
                }));
            }
        }
        if seats.is_empty() {
            return Err(Error::invalid_input("an event needs at least one seat"));
        }
        seats.sort_unstable_by_key(|s| (s.row, s.number));
        if let Some(pair) = seats
            .windows(2)
            .find(|w| (w[0].row, w[0].number) == (w[1].row, w[1].number))
        {
            return Err(Error::invalid_input(format!(
                "seat {}{} is in two blocks",
                pair[0].row, pair[0].number
            )));
        }
        Ok(Self { seats })
    }

    /// `rows` rows from `A`, each with seats 1 to `seats_per_row`, all at one price.
    pub fn grid(rows: u32, seats_per_row: u32, price_cents: i64) -> Result<Self> {
        let last = rows
            .checked_sub(1)
            .and_then(Row::from_index)
            .ok_or_else(|| Error::invalid_input(format!("1 to {} rows", Row::COUNT)))?;
        Self::new([SeatBlock {
            rows: Row(0)..=last,
            numbers: 1..=seats_per_row,
            price_cents,
        }])
    }

    /// Every seat, by row then number.
    pub fn seats(&self) -> &[SeatSpec] {
        &self.seats
    }

    /// How many seats.
    pub fn len(&self) -> usize {
        self.seats.len()
    }

    /// Always false: a seat map has at least one seat.
    pub fn is_empty(&self) -> bool {
        self.seats.is_empty()
    }
}

impl FromStr for SeatMap {
    type Err = Error;

    /// Parses `ROWS:NUMBERS:PRICE_CENTS[,...]`, e.g. `A-F:1-10:10000`.
    fn from_str(s: &str) -> Result<Self> {
        fn range<T: FromStr<Err = E> + Copy, E>(
            part: &str,
            parse: impl Fn(&str) -> std::result::Result<T, E>,
        ) -> Option<RangeInclusive<T>> {
            if let Some((first, last)) = part.split_once('-') {
                Some(parse(first.trim()).ok()?..=parse(last.trim()).ok()?)
            } else {
                let one = parse(part.trim()).ok()?;
                Some(one..=one)
            }
        }
        let blocks = s
            .split(',')
            .map(|block| {
                let invalid = || {
                    Error::invalid_input(format!(
                        "{block:?} is not a seat block ROWS:NUMBERS:PRICE_CENTS, e.g. A-F:1-10:10000"
                    ))
                };
                let mut parts = block.split(':');
                let (Some(rows), Some(numbers), Some(price), None) =
                    (parts.next(), parts.next(), parts.next(), parts.next())
                else {
                    return Err(invalid());
                };
                Ok(SeatBlock {
                    rows: range(rows, str::parse::<Row>).ok_or_else(invalid)?,
                    numbers: range(numbers, str::parse::<u32>).ok_or_else(invalid)?,
                    price_cents: price.trim().parse().map_err(|_| invalid())?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Self::new(blocks)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn row_labels_are_spreadsheet_style() {
        let label = |i| Row::from_index(i).unwrap().to_string();
        assert_eq!(label(0), "A");
        assert_eq!(label(25), "Z");
        assert_eq!(label(26), "AA");
        assert_eq!(label(27), "AB");
        assert_eq!(label(26 + 26 * 26), "AAA");
        assert_eq!(label(Row::COUNT - 1), "ZZZ");
        assert!(Row::from_index(Row::COUNT).is_none());
        assert!("a".parse::<Row>().is_err());
        assert!("AAAA".parse::<Row>().is_err());
        assert!("".parse::<Row>().is_err());
    }

    proptest! {
        #[test]
        fn row_labels_round_trip_and_keep_order(a in 0..Row::COUNT, b in 0..Row::COUNT) {
            let (ra, rb) = (Row::from_index(a).unwrap(), Row::from_index(b).unwrap());
            prop_assert_eq!(ra.to_string().parse::<Row>().unwrap(), ra);
            // Shown order: shorter labels first, then alphabetical.
            let shown = |r: Row| (r.to_string().len(), r.to_string());
            prop_assert_eq!(ra.cmp(&rb), shown(ra).cmp(&shown(rb)));
        }
    }

    #[test]
    fn a_grid_lists_seats_by_row_then_number() {
        let map = SeatMap::grid(6, 10, 10_000).unwrap();
        assert_eq!(map.len(), 60);
        let first = map.seats()[0];
        let last = map.seats()[59];
        assert_eq!((first.row.to_string(), first.number), ("A".into(), 1));
        assert_eq!((last.row.to_string(), last.number), ("F".into(), 10));
    }

    #[test]
    fn text_form_parses_blocks_in_any_order() {
        let map: SeatMap = "C:1-2:500, A-B:1-3:1000".parse().unwrap();
        let labels: Vec<_> = map
            .seats()
            .iter()
            .map(|s| format!("{}{}:{}", s.row, s.number, s.price_cents))
            .collect();
        assert_eq!(
            labels,
            [
                "A1:1000", "A2:1000", "A3:1000", "B1:1000", "B2:1000", "B3:1000", "C1:500",
                "C2:500"
            ]
        );
    }

    #[test]
    fn bad_maps_are_rejected() {
        for bad in [
            "",
            "A",
            "A:1",
            "A:1:x",
            "A:0-3:100",
            "B-A:1:100",
            "A:3-1:100",
            "A:1:-5",
            "A:1:10000000001",
            "A-B:1-2:100,B:2:100",
            "A:1:100:9",
        ] {
            assert!(
                bad.parse::<SeatMap>().is_err(),
                "{bad:?} should be rejected"
            );
        }
        assert!(SeatMap::grid(0, 10, 1).is_err());
        assert!(
            SeatMap::grid(1000, 1001, 1).is_err(),
            "over a million seats"
        );
    }

    #[test]
    fn a_stadium_is_one_call() {
        let map = SeatMap::grid(200, 500, 4_500).unwrap();
        assert_eq!(map.len(), 100_000);
    }
}
