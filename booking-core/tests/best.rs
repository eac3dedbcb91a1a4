//! Best available against a brute-force search, on random small venues
//! and random occupancy: the same answer under the documented rule, the
//! seats always adjacent, and an orphan only when every choice makes one.

use booking_core::SeatId;
use booking_core::best::{
    Layout, LayoutSeat, Place, PlaceRow, Position, Request, Search, Wanted, best_available, search,
};
use std::collections::{HashMap, HashSet};

use proptest::prelude::*;

/// A seat of the brute force's own flat view: where it is and what it is.
#[derive(Clone, Copy, Debug)]
struct Flat {
    place: Place,
    section: u32,
    row: u32,
    run: usize,
    index: usize,
}

fn flatten(rows: &[PlaceRow]) -> Vec<Flat> {
    let mut flat = Vec::new();
    for row in rows {
        for (run, places) in row.runs.iter().enumerate() {
            for (index, place) in places.iter().enumerate() {
                flat.push(Flat {
                    place: *place,
                    section: row.section,
                    row: row.row,
                    run,
                    index,
                });
            }
        }
    }
    flat
}

/// Whether the seat at `i` is free with no free neighbour, given which
/// seats are free: a stranded seat.
fn stranded(flat: &[Flat], free: &[bool], i: usize) -> bool {
    let neighbour = |j: usize| {
        flat[j].section == flat[i].section
            && flat[j].row == flat[i].row
            && flat[j].run == flat[i].run
            && flat[j].index.abs_diff(flat[i].index) == 1
    };
    free[i] && !(0..flat.len()).any(|j| neighbour(j) && free[j])
}

/// How many seats the taking of `chosen` newly strands, by simulating the
/// whole venue before and after.
fn newly_stranded(flat: &[Flat], chosen: &[usize]) -> usize {
    let before: Vec<bool> = flat.iter().map(|f| f.place.free).collect();
    let mut after = before.clone();
    for &i in chosen {
        after[i] = false;
    }
    (0..flat.len())
        .filter(|&i| stranded(flat, &after, i) && !stranded(flat, &before, i))
        .count()
}

/// Whether `chosen` (indexes into `flat`) are consecutive seats of one run.
fn one_block(flat: &[Flat], chosen: &[usize]) -> bool {
    let first = flat[chosen[0]];
    let mut indexes: Vec<usize> = chosen.iter().map(|&i| flat[i].index).collect();
    indexes.sort_unstable();
    chosen.iter().all(|&i| {
        (flat[i].section, flat[i].row, flat[i].run) == (first.section, first.row, first.run)
    }) && indexes.windows(2).all(|w| w[1] == w[0] + 1)
}

/// Every subset of `0..n` of size `k`, in lexicographic order.
fn subsets(n: usize, k: usize) -> Vec<Vec<usize>> {
    fn go(start: usize, n: usize, k: usize, acc: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
        if acc.len() == k {
            out.push(acc.clone());
            return;
        }
        for i in start..n {
            acc.push(i);
            go(i + 1, n, k, acc, out);
            acc.pop();
        }
    }
    let mut out = Vec::new();
    go(0, n, k, &mut Vec::new(), &mut out);
    out
}

/// Whether `chosen` holds exactly the wheelchair spaces `wheelchair` asks
/// for (any number for `None`).
fn spaces_fit(flat: &[Flat], chosen: &[usize], wheelchair: Option<usize>) -> bool {
    wheelchair.is_none_or(|k| chosen.iter().filter(|&&i| flat[i].place.accessible).count() == k)
}

/// The brute force: every set of `count` free, wanted seats that is one
/// block with the wheelchair spaces asked for, ordered by (strands a seat,
/// rank sum, place).
fn brute_force(rows: &[PlaceRow], request: Request) -> Option<Vec<SeatId>> {
    let flat = flatten(rows);
    subsets(flat.len(), request.count)
        .into_iter()
        .filter(|set| {
            set.iter()
                .all(|&i| flat[i].place.free && flat[i].place.wanted)
        })
        .filter(|set| one_block(&flat, set))
        .filter(|set| spaces_fit(&flat, set, request.wheelchair))
        .min_by_key(|set| {
            let first = flat[set[0]];
            (
                newly_stranded(&flat, set) > 0,
                set.iter()
                    .map(|&i| u64::from(flat[i].place.rank))
                    .sum::<u64>(),
                (first.section, first.row, first.run, first.index),
            )
        })
        .map(|set| set.iter().map(|&i| flat[i].place.seat).collect())
}

/// Random venues: up to two sections of up to three rows, each row up to
/// two runs of up to five seats, with random ranks, occupancy and
/// wheelchair spaces.
fn venue() -> impl Strategy<Value = Vec<PlaceRow>> {
    let place = (
        0u32..6,
        prop::bool::weighted(0.7),
        prop::bool::weighted(0.85),
        prop::bool::weighted(0.25),
    );
    let run = prop::collection::vec(place, 1..=5);
    let row = prop::collection::vec(run, 1..=2);
    prop::collection::vec(prop::collection::vec(row, 1..=3), 1..=2).prop_map(|sections| {
        let mut id = 0;
        let mut rows = Vec::new();
        for (section, section_rows) in sections.into_iter().enumerate() {
            for (row, runs) in section_rows.into_iter().enumerate() {
                let runs = runs
                    .into_iter()
                    .map(|run| {
                        run.into_iter()
                            .map(|(rank, free, wanted, accessible)| {
                                id += 1;
                                Place {
                                    seat: SeatId::new(id),
                                    rank,
                                    free,
                                    wanted,
                                    accessible,
                                }
                            })
                            .collect()
                    })
                    .collect();
                rows.push(PlaceRow {
                    section: u32::try_from(section).unwrap(),
                    row: u32::try_from(row).unwrap(),
                    runs,
                });
            }
        }
        rows
    })
}

/// The same venue as a [`Layout`] (a wanted seat is of category 0, any
/// other of category 1) and the free seats, for [`search`].
fn as_layout(rows: &[PlaceRow]) -> (Layout, Wanted, HashSet<SeatId>) {
    let flat = flatten(rows);
    let index = |n: usize| u32::try_from(n).unwrap();
    let layout = Layout::new(flat.iter().map(|f| {
        (
            Position {
                section: f.section,
                line: f.row,
                run: index(f.run),
                place: index(f.index),
            },
            LayoutSeat {
                seat: f.place.seat,
                rank: f.place.rank,
                category: u32::from(!f.place.wanted),
                accessible: f.place.accessible,
            },
        )
    }));
    let wanted = Wanted {
        categories: Some(vec![0]),
        ..Wanted::default()
    };
    let free = flat
        .iter()
        .filter(|f| f.place.free)
        .map(|f| f.place.seat)
        .collect();
    (layout, wanted, free)
}

/// How many wheelchair spaces a request asks for: none in particular
/// (most often), or 0 to 3 of them, never more than `count`.
fn spaces() -> impl Strategy<Value = Option<usize>> {
    prop::option::weighted(0.4, 0usize..=3)
}

/// A request for `count` seats, with `wheelchair` spaces among them (at
/// most `count`).
fn asking(count: usize, wheelchair: Option<usize>, allow_split: bool) -> Request {
    Request {
        count,
        wheelchair: wheelchair.map(|k| k.min(count)),
        allow_split,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// The search that reads a few rows at a time, best first, gives what
    /// reading every row gives, split or not.
    #[test]
    fn the_row_by_row_search_matches_reading_every_row(
        rows in venue(),
        count in 1usize..=5,
        allow_split: bool,
        wheelchair in spaces(),
    ) {
        let request = asking(count, wheelchair, allow_split);
        let (layout, wanted, free) = as_layout(&rows);
        let mut asked = HashSet::new();
        let found = search(&layout, wanted, request, |seats| {
            for seat in seats {
                prop_assert!(asked.insert(*seat), "seat {} read twice", seat);
            }
            Ok(seats.iter().filter(|s| free.contains(s)).copied().collect())
        })?;
        prop_assert_eq!(found, best_available(&rows, request));
    }

    /// Knowing that some taken seats are closed (reserved or blocked: a
    /// taken seat may also be held, and open) orders those rows by what is
    /// open, skips rows with nothing open, and changes no answer.
    #[test]
    fn knowing_the_closed_seats_changes_no_answer(
        rows in venue(),
        count in 1usize..=5,
        allow_split: bool,
        wheelchair in spaces(),
        known in prop::collection::vec(prop::bool::ANY, 6),
        closing in prop::collection::vec(prop::bool::ANY, 64),
    ) {
        let request = asking(count, wheelchair, allow_split);
        let (layout, wanted, free) = as_layout(&rows);
        let mut coin = closing.iter().cycle();
        let closed: HashMap<(u32, u32), Vec<bool>> = rows
            .iter()
            .zip(&known)
            .filter(|(_, known)| **known)
            .map(|(row, _)| {
                let flags = row
                    .runs
                    .iter()
                    .flatten()
                    .map(|p| !p.free && *coin.next().unwrap())
                    .collect();
                ((row.section, row.row), flags)
            })
            .collect();
        let mut search = Search::with_closed_seats(&layout, wanted, request, &closed);
        while let Some(seats) = search.next_seats() {
            for seat in &seats {
                let row = rows
                    .iter()
                    .find(|r| r.runs.iter().flatten().any(|p| p.seat == *seat))
                    .unwrap();
                let all_closed = closed
                    .get(&(row.section, row.row))
                    .is_some_and(|flags| flags.iter().all(|&c| c));
                prop_assert!(!all_closed, "a row with nothing open was read");
            }
            search.visit(|seat| free.contains(&seat));
        }
        prop_assert_eq!(search.answer(), best_available(&rows, request));
    }

    /// Closing taken seats by id ([`Layout::close_seats`], as stores close
    /// the seats of live holds) gives the flags written by hand above, and
    /// so changes no answer either.
    #[test]
    fn closing_taken_seats_by_id_changes_no_answer(
        rows in venue(),
        count in 1usize..=5,
        allow_split: bool,
        wheelchair in spaces(),
        closing in prop::collection::vec(prop::bool::ANY, 64),
    ) {
        let request = asking(count, wheelchair, allow_split);
        let (layout, wanted, free) = as_layout(&rows);
        let mut coin = closing.iter().cycle();
        let taken: Vec<_> = rows
            .iter()
            .flat_map(|row| row.runs.iter().flatten())
            .filter(|p| !p.free && *coin.next().unwrap())
            .map(|p| p.seat)
            .collect();
        let mut closed = HashMap::new();
        layout.close_seats(&mut closed, taken.iter().copied());
        for row in &rows {
            let flags: Vec<bool> = row.runs.iter().flatten().map(|p| taken.contains(&p.seat)).collect();
            let expected = flags.iter().any(|&c| c).then_some(&flags);
            prop_assert_eq!(closed.get(&(row.section, row.row)), expected);
        }
        let mut search = Search::with_closed_seats(&layout, wanted, request, &closed);
        while search.next_seats().is_some() {
            search.visit(|seat| free.contains(&seat));
        }
        prop_assert_eq!(search.answer(), best_available(&rows, request));
    }

    #[test]
    fn matches_the_brute_force(rows in venue(), count in 1usize..=4, wheelchair in spaces()) {
        let request = asking(count, wheelchair, false);
        prop_assert_eq!(best_available(&rows, request), brute_force(&rows, request));
    }

    #[test]
    fn gives_free_wanted_adjacent_seats_and_strands_only_when_it_must(
        rows in venue(),
        count in 1usize..=4,
        wheelchair in spaces(),
    ) {
        let request = asking(count, wheelchair, false);
        let Some(seats) = best_available(&rows, request) else {
            return Ok(());
        };
        let flat = flatten(&rows);
        let chosen: Vec<usize> = seats
            .iter()
            .map(|s| flat.iter().position(|f| f.place.seat == *s).unwrap())
            .collect();
        prop_assert_eq!(chosen.len(), count);
        prop_assert!(chosen.iter().all(|&i| flat[i].place.free && flat[i].place.wanted));
        prop_assert!(one_block(&flat, &chosen), "not adjacent: {:?}", seats);
        prop_assert!(spaces_fit(&flat, &chosen, request.wheelchair), "wheelchair spaces: {:?}", seats);
        if newly_stranded(&flat, &chosen) > 0 {
            let avoidable = subsets(flat.len(), count).into_iter().any(|set| {
                set.iter().all(|&i| flat[i].place.free && flat[i].place.wanted)
                    && one_block(&flat, &set)
                    && spaces_fit(&flat, &set, request.wheelchair)
                    && newly_stranded(&flat, &set) == 0
            });
            prop_assert!(!avoidable, "an avoidable orphan: {:?}", seats);
        }
    }

    #[test]
    fn split_only_when_no_row_can(rows in venue(), count in 2usize..=5, wheelchair in spaces()) {
        let together = best_available(&rows, asking(count, wheelchair, false));
        let split = best_available(&rows, asking(count, wheelchair, true));
        if together.is_some() {
            prop_assert_eq!(split, together);
        } else if let Some(seats) = split {
            prop_assert_eq!(seats.len(), count);
            let flat = flatten(&rows);
            let places: Vec<Flat> = seats
                .iter()
                .map(|s| *flat.iter().find(|f| f.place.seat == *s).unwrap())
                .collect();
            prop_assert!(places.iter().all(|f| f.place.free && f.place.wanted));
            let indexes: Vec<usize> = seats
                .iter()
                .map(|s| flat.iter().position(|f| f.place.seat == *s).unwrap())
                .collect();
            prop_assert!(spaces_fit(&flat, &indexes, asking(count, wheelchair, true).wheelchair));
            prop_assert!(places.iter().all(|f| f.section == places[0].section));
            let rows_used: std::collections::BTreeSet<u32> = places.iter().map(|f| f.row).collect();
            prop_assert_eq!(rows_used.len(), 2);
            let (first, last) = (rows_used.first().unwrap(), rows_used.last().unwrap());
            prop_assert_eq!(*last, first + 1, "neighbouring rows");
        }
    }
}
