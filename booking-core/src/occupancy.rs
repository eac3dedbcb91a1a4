//! [`Occupancy`]: which seats of each row of an event are closed (reserved
//! or blocked), kept in memory by a store, and the rows in the order best
//! available visits them.
//!
//! Best available orders the rows by the best block of seats still open in
//! each ([`best::Search::with_closed_seats`]). Read from the database at
//! every request, the closed seats of a stadium a fifth sold (600 rows of
//! 2,400) and their ordering cost as much as several holds. A store keeps
//! them here instead, and tells it of the rows its writes change
//! ([`Occupancy::set_row`], [`Occupancy::set_seats`]); the order for each
//! request size is kept sorted as rows change, so a request takes it as it
//! is, changed only for the rows with live holds.
//!
//! # What a store must keep true
//!
//! A seat marked closed here must be closed in the database: a closed seat
//! thought open only makes the search read its row (and find it taken), but
//! an open seat thought closed would hide a better block, or all of them.
//! So a store marks seats closed only from what it read or wrote, and
//! forgets (or reads again) what a rolled-back write or another process may
//! have opened. How each store does it is in its `best_available`.

use std::collections::{BTreeSet, HashMap};

use crate::best::{self, Layout, Request, Search, Wanted};
use crate::ids::SeatId;

/// The closed seats of one event's rows, and the rows ordered for the usual
/// best-available request (any seat, 1 to 16 together).
#[derive(Clone, Debug)]
pub struct Occupancy {
    /// For each row of the layout, a flag per seat in the row's order.
    closed: Vec<Vec<bool>>,
    /// For each row, whether every seat is closed.
    full: Vec<bool>,
    /// For each `count` asked for so far, the rows' bounds and order.
    orders: HashMap<usize, Order>,
}

/// The most seats together whose row order an [`Occupancy`] keeps.
const ORDERED_COUNTS: usize = 16;

/// The rows that can seat `count` together (any seat), by (bound, row).
#[derive(Clone, Debug)]
struct Order {
    bounds: Vec<Option<u64>>,
    sorted: BTreeSet<(u64, usize)>,
}

impl Occupancy {
    /// Every seat of `layout` open.
    pub fn new(layout: &Layout) -> Self {
        let closed: Vec<Vec<bool>> = layout
            .rows()
            .iter()
            .map(|row| vec![false; row.runs.iter().map(Vec::len).sum()])
            .collect();
        Self {
            full: closed.iter().map(Vec::is_empty).collect(),
            closed,
            orders: HashMap::new(),
        }
    }

    /// Sets the closed seats of the row at `line` of `section`: a flag per
    /// seat in the row's order. A row the layout lacks, or flags that do not
    /// match its seats, change nothing (and give `false`).
    pub fn set_row(&mut self, layout: &Layout, section: u32, line: u32, flags: Vec<bool>) -> bool {
        let Some(r) = layout.row_index(section, line) else {
            return false;
        };
        if flags.len() != self.closed[r].len() {
            return false;
        }
        if flags != self.closed[r] {
            self.closed[r] = flags;
            self.changed(layout, r);
        }
        true
    }

    /// Sets each of `seats` closed (`true`) or open. Seats the layout lacks
    /// change nothing.
    pub fn set_seats(&mut self, layout: &Layout, seats: impl IntoIterator<Item = (SeatId, bool)>) {
        let mut changed: Vec<usize> = Vec::new();
        for (seat, closed) in seats {
            let Some((r, place)) = layout.place_of(seat) else {
                continue;
            };
            if self.closed[r][place] != closed {
                self.closed[r][place] = closed;
                if !changed.contains(&r) {
                    changed.push(r);
                }
            }
        }
        for r in changed {
            self.changed(layout, r);
        }
    }

    /// Whether `seat` is marked closed.
    pub fn is_closed(&self, layout: &Layout, seat: SeatId) -> bool {
        layout
            .place_of(seat)
            .is_some_and(|(r, place)| self.closed[r][place])
    }

    /// Row `r`'s flags changed: its place in each order too.
    fn changed(&mut self, layout: &Layout, r: usize) {
        let row = &layout.rows()[r];
        let flags = &self.closed[r];
        self.full[r] = flags.iter().all(|&c| c);
        for (&count, order) in &mut self.orders {
            let bound = best::open_bound(row, flags, &Wanted::default(), Request::together(count));
            let old = std::mem::replace(&mut order.bounds[r], bound);
            if let Some(old) = old {
                order.sorted.remove(&(old, r));
            }
            if let Some(bound) = bound {
                order.sorted.insert((bound, r));
            }
        }
    }

    /// A best-available search for `request` among the `wanted` seats, the
    /// seats marked closed here and the seats of `held` (live holds) closed
    /// (see [`Search::with_closed_seats`], whose search it is).
    pub fn search<'l>(
        &mut self,
        layout: &'l Layout,
        wanted: Wanted,
        request: Request,
        held: &[SeatId],
    ) -> Search<'l> {
        // The rows with live holds, their flags with the holds closed.
        let mut with_holds: HashMap<usize, Vec<bool>> = HashMap::new();
        for &seat in held {
            if let Some((r, place)) = layout.place_of(seat) {
                with_holds
                    .entry(r)
                    .or_insert_with(|| self.closed[r].clone())[place] = true;
            }
        }
        let count = request.count;
        let bound_of = |r: usize, flags: &[bool]| {
            best::open_bound(&layout.rows()[r], flags, &wanted, request).map(|b| (b, r))
        };
        // The kept orders are for the plain request: any seat, any number
        // of wheelchair spaces.
        let plain = wanted == Wanted::default() && request.wheelchair.is_none();
        let order: Vec<(u64, usize)> = if plain && (1..=ORDERED_COUNTS).contains(&count) {
            let kept = self.order(layout, count);
            let mut changed: Vec<(u64, usize)> = with_holds
                .iter()
                .filter_map(|(&r, flags)| bound_of(r, flags))
                .collect();
            changed.sort_unstable();
            let unchanged = kept
                .sorted
                .iter()
                .copied()
                .filter(|(_, r)| !with_holds.contains_key(r));
            merge(unchanged, changed)
        } else {
            let mut order: Vec<(u64, usize)> = (0..layout.rows().len())
                .filter_map(|r| bound_of(r, with_holds.get(&r).unwrap_or(&self.closed[r])))
                .collect();
            order.sort_unstable();
            order
        };
        let mut all_closed = self.full.clone();
        for (&r, flags) in &with_holds {
            all_closed[r] = flags.iter().all(|&c| c);
        }
        Search::with_order(layout, wanted, request, order, all_closed)
    }

    /// The order for `count`, made on first use.
    fn order(&mut self, layout: &Layout, count: usize) -> &Order {
        let closed = &self.closed;
        self.orders.entry(count).or_insert_with(|| {
            let bounds: Vec<Option<u64>> = layout
                .rows()
                .iter()
                .zip(closed)
                .map(|(row, flags)| {
                    best::open_bound(row, flags, &Wanted::default(), Request::together(count))
                })
                .collect();
            let sorted = bounds
                .iter()
                .enumerate()
                .filter_map(|(r, bound)| bound.map(|b| (b, r)))
                .collect();
            Order { bounds, sorted }
        })
    }
}

/// Two sorted sequences as one sorted `Vec`.
fn merge(a: impl Iterator<Item = (u64, usize)>, b: Vec<(u64, usize)>) -> Vec<(u64, usize)> {
    let mut out = Vec::with_capacity(b.len() + a.size_hint().0);
    let mut b = b.into_iter().peekable();
    for x in a {
        while let Some(&y) = b.peek().filter(|&&y| y < x) {
            out.push(y);
            b.next();
        }
        out.push(x);
    }
    out.extend(b);
    out
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use proptest::prelude::*;

    use super::*;
    use crate::best::{LayoutSeat, Position};

    /// A layout of `rows` rows of two sections, each row two runs of
    /// `len` seats; ranks from the middle of the front row.
    fn layout(rows: u32, len: u32) -> Layout {
        let mut id = 0;
        let mut seats = Vec::new();
        for section in 0..2 {
            for line in 0..rows {
                for run in 0..2 {
                    for place in 0..len {
                        id += 1;
                        let from_middle = (2 * (run * len + place)).abs_diff(2 * len - 1);
                        seats.push((
                            Position {
                                section,
                                line,
                                run,
                                place,
                            },
                            LayoutSeat {
                                seat: SeatId::new(id),
                                rank: from_middle + 10 * line,
                                category: place % 2,
                                accessible: place == 0,
                            },
                        ));
                    }
                }
            }
        }
        Layout::new(seats)
    }

    /// The answer of a search run to its end, with `free` the open seats.
    fn answer(search: &mut Search<'_>, free: &HashSet<SeatId>) -> (Option<Vec<SeatId>>, usize) {
        while search.next_seats().is_some() {
            search.visit(|seat| free.contains(&seat));
        }
        (search.answer(), search.rows_visited())
    }

    proptest! {
        /// Whatever the order of changes, a search made from an occupancy
        /// reads the same rows and answers the same as one made from the
        /// closed seats (and holds) read afresh.
        #[test]
        fn it_searches_as_the_closed_seats_read_afresh(
            changes in prop::collection::vec((0i64..96, any::<bool>()), 0..80),
            held in prop::collection::vec(0i64..96, 0..6),
            counts in prop::collection::vec(1usize..5, 1..4),
            wanted_kind in 0..3,
            allow_split: bool,
            wheelchair in prop::option::of(0usize..2),
        ) {
            let layout = layout(3, 8);
            let mut occupancy = Occupancy::new(&layout);
            let mut closed: HashSet<SeatId> = HashSet::new();
            // Orders made before the changes are kept current by them.
            occupancy.order(&layout, counts[0]);
            for &(id, close) in &changes {
                let seat = SeatId::new(id + 1);
                occupancy.set_seats(&layout, [(seat, close)]);
                if close { closed.insert(seat); } else { closed.remove(&seat); }
            }
            let held: Vec<SeatId> = held.into_iter().map(|id| SeatId::new(id + 1)).collect();
            let free: HashSet<SeatId> = (1..=96)
                .map(SeatId::new)
                .filter(|seat| !closed.contains(seat) && !held.contains(seat))
                .collect();
            let wanted = match wanted_kind {
                0 => Wanted::default(),
                1 => Wanted { categories: Some(vec![1]), ..Wanted::default() },
                _ => Wanted { sections: Some(vec![1]), ..Wanted::default() },
            };
            for count in counts {
                let request = Request { count, wheelchair, allow_split };
                let mut fresh = HashMap::new();
                layout.close_seats(&mut fresh, closed.iter().chain(&held).copied());
                let expected = answer(
                    &mut Search::with_closed_seats(&layout, wanted.clone(), request, &fresh),
                    &free,
                );
                let got = answer(&mut occupancy.search(&layout, wanted.clone(), request, &held), &free);
                prop_assert_eq!(got, expected);
            }
        }
    }

    #[test]
    fn a_row_is_set_whole_or_not_at_all() {
        let layout = layout(2, 4);
        let mut occupancy = Occupancy::new(&layout);
        assert!(
            !occupancy.set_row(&layout, 0, 0, vec![true; 3]),
            "wrong length"
        );
        assert!(
            !occupancy.set_row(&layout, 5, 0, vec![true; 8]),
            "no such row"
        );
        assert!(occupancy.set_row(&layout, 0, 1, vec![true; 8]));
        assert!(occupancy.is_closed(&layout, SeatId::new(9)));
        assert!(!occupancy.is_closed(&layout, SeatId::new(8)));
    }

    #[test]
    fn merge_keeps_the_order() {
        let merged = merge(
            [(1, 0), (3, 1), (5, 2)].into_iter(),
            vec![(0, 9), (3, 0), (6, 3)],
        );
        assert_eq!(merged, vec![(0, 9), (1, 0), (3, 0), (3, 1), (5, 2), (6, 3)]);
    }
}
