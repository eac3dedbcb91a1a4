//! Best available: which adjacent seats to give a buyer who asks for
//! "`count` seats together", as a pure function of the seats' layout,
//! quality and state.
//!
//! # The rule
//!
//! The venue is given as [`PlaceRow`]s, each made of [`Run`]s: seats that are
//! neighbours, in order. An aisle or a gap in a row ends a run, so seats are
//! adjacent exactly when they are consecutive in one run. Each seat has a
//! **rank** (lower is better: the venue's quality ranking, e.g. the distance
//! to its section's focal point), and is **free** or not, and **wanted** or
//! not (it matches the request's categories, sections and accessibility).
//!
//! A **block** is `count` consecutive seats of one run, each free and
//! wanted. A block **strands** a seat when, once the block is taken, a free
//! seat right beside it has no free neighbour on its other side either (the
//! next seat is taken, blocked, or the end of the run): a single seat nobody
//! asking for two can buy. Seats stranded before the request do not count.
//!
//! The chosen block is the least of all blocks by, in order:
//!
//! 1. strands no seat, before one that does: an orphan is avoided whenever
//!    any block avoids it, whatever its rank;
//! 2. the sum of its seats' ranks;
//! 3. its place: section, then row, then run, then first seat, in the order
//!    given (so the answer is deterministic).
//!
//! With **split** allowed and no block at all, the answer is the best pair
//! of blocks in two neighbouring rows of one section (`a` seats in one row
//! and `count - a` in the next, each part a block as above), ordered the
//! same way, by both parts together. Without a block (or a pair), there is
//! no answer.

use crate::ids::SeatId;

/// One seat, as best available sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Place {
    /// The seat.
    pub seat: SeatId,
    /// Its quality: lower is better.
    pub rank: u32,
    /// Whether it can be held now (not held, reserved or blocked).
    pub free: bool,
    /// Whether it matches the request (category, section, accessibility).
    pub wanted: bool,
}

/// Seats that are neighbours, in order: a row between two aisles, or
/// between an aisle and the row's end.
pub type Run = Vec<Place>;

/// One row of one section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlaceRow {
    /// The section, as an index in the venue's order.
    pub section: u32,
    /// The row within its section, counted from the front: rows `n` and
    /// `n + 1` of one section are neighbours.
    pub row: u32,
    /// Its runs of adjacent seats, in order.
    pub runs: Vec<Run>,
}

/// A request for seats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Request {
    /// How many seats.
    pub count: usize,
    /// Whether two neighbouring rows may share them when no row can.
    pub allow_split: bool,
}

/// Where a block lies: its run, and its first seat in the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Spot {
    section: u32,
    row: u32,
    run: usize,
    start: usize,
}

/// A candidate: the blocks, and how it sorts (see the module's rule).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Choice {
    strands: bool,
    rank: u64,
    spots: Vec<Spot>,
    seats: Vec<SeatId>,
}

/// The seats best available gives for `request` in `rows`, by the rule of
/// this module, or `None` when no block (nor, with split, pair of blocks)
/// exists.
pub fn best_available(rows: &[PlaceRow], request: Request) -> Option<Vec<SeatId>> {
    if request.count == 0 {
        return None;
    }
    let together = rows.iter().flat_map(|row| blocks(row, request.count)).min();
    together
        .or_else(|| {
            request
                .allow_split
                .then(|| best_split(rows, request.count))
                .flatten()
        })
        .map(|choice| choice.seats)
}

/// Every block of `len` seats in `row`.
fn blocks(row: &PlaceRow, len: usize) -> impl Iterator<Item = Choice> + '_ {
    row.runs
        .iter()
        .enumerate()
        .flat_map(move |(run_index, run)| {
            (0..=run.len().saturating_sub(len))
                .filter(move |&start| len > 0 && start + len <= run.len())
                .filter(move |&start| run[start..start + len].iter().all(|p| p.free && p.wanted))
                .map(move |start| Choice {
                    strands: strands(run, start, len),
                    rank: run[start..start + len]
                        .iter()
                        .map(|p| u64::from(p.rank))
                        .sum(),
                    spots: vec![Spot {
                        section: row.section,
                        row: row.row,
                        run: run_index,
                        start,
                    }],
                    seats: run[start..start + len].iter().map(|p| p.seat).collect(),
                })
        })
}

/// Whether taking `run[start..start + len]` leaves a free seat beside it
/// with no free neighbour on its other side.
fn strands(run: &[Place], start: usize, len: usize) -> bool {
    let free = |i: usize| run.get(i).is_some_and(|p| p.free);
    let left = start
        .checked_sub(1)
        .is_some_and(|before| free(before) && !before.checked_sub(1).is_some_and(free));
    let after = start + len;
    let right = free(after) && !free(after + 1);
    left || right
}

/// The best pair of blocks in neighbouring rows of one section, `count`
/// seats in all.
fn best_split(rows: &[PlaceRow], count: usize) -> Option<Choice> {
    let mut best: Option<Choice> = None;
    for front in rows {
        let Some(back) = rows
            .iter()
            .find(|r| r.section == front.section && r.row == front.row + 1)
        else {
            continue;
        };
        for in_front in 1..count {
            let Some(first) = blocks(front, in_front).min() else {
                continue;
            };
            let Some(second) = blocks(back, count - in_front).min() else {
                continue;
            };
            let pair = Choice {
                strands: first.strands || second.strands,
                rank: first.rank + second.rank,
                spots: [first.spots, second.spots].concat(),
                seats: [first.seats, second.seats].concat(),
            };
            if best.as_ref().is_none_or(|b| pair < *b) {
                best = Some(pair);
            }
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(section: u32, row: u32, runs: &[&str]) -> PlaceRow {
        // A run is written seat by seat: `.` free, `x` taken, `-` free but
        // not wanted; each seat's rank is its distance from the run's
        // middle, doubled (so ties are exact).
        let mut id = i64::from(section * 1000 + row * 100);
        let runs = runs
            .iter()
            .map(|text| {
                let len = i64::try_from(text.len()).unwrap();
                text.chars()
                    .enumerate()
                    .map(|(i, c)| {
                        id += 1;
                        let i = i64::try_from(i).unwrap();
                        Place {
                            seat: SeatId::new(id),
                            rank: u32::try_from((2 * i + 1 - len).abs()).unwrap(),
                            free: c != 'x',
                            wanted: c == '.',
                        }
                    })
                    .collect()
            })
            .collect();
        PlaceRow { section, row, runs }
    }

    fn ask(rows: &[PlaceRow], count: usize) -> Option<Vec<i64>> {
        let request = Request {
            count,
            allow_split: false,
        };
        best_available(rows, request).map(|seats| seats.iter().map(|s| s.get()).collect())
    }

    #[test]
    fn the_middle_of_the_row_is_best() {
        let rows = [row(0, 0, &["........"])];
        assert_eq!(ask(&rows, 2), Some(vec![4, 5]));
        assert_eq!(ask(&rows, 4), Some(vec![3, 4, 5, 6]));
    }

    #[test]
    fn a_tie_goes_to_the_block_that_strands_no_seat() {
        // Seats 1-7, 1 and 7 taken. Two together: 3-4 and 4-5 are best by
        // rank but leave 2 (or 6) alone; 2-3 and 5-6 strand nothing and
        // tie, so the first is given.
        let rows = [row(0, 0, &["x.....x"])];
        assert_eq!(ask(&rows, 2), Some(vec![2, 3]));
        // Five free seats, four wanted together: 2-5 leaves 6 alone, 3-6
        // leaves 2 alone; both strand, the rank decides (a tie: the first).
        assert_eq!(ask(&rows, 4), Some(vec![2, 3, 4, 5]));
    }

    #[test]
    fn an_orphan_is_avoided_even_at_a_worse_rank() {
        // The best pair by rank, 4-5, would strand 3 between 2 (taken) and
        // 4; 3-4 and 5-6 strand nothing, rank alike, and 3-4 comes first.
        let rows = [row(0, 0, &[".x......"])];
        assert_eq!(ask(&rows, 2), Some(vec![3, 4]));
    }

    #[test]
    fn an_aisle_breaks_adjacency() {
        let rows = [row(0, 0, &["..", ".."])];
        assert_eq!(ask(&rows, 3), None);
        assert_eq!(ask(&rows, 2).map(|s| s.len()), Some(2));
    }

    #[test]
    fn seats_not_wanted_are_not_given_but_are_not_orphans_either() {
        // `-` is free (someone else's category): taking 2-3 leaves 1 free
        // beside 2 with a wall beyond it, a stranded seat; 3-4 leaves 1-2.
        let rows = [row(0, 0, &["-...x"])];
        assert_eq!(ask(&rows, 2), Some(vec![3, 4]));
        assert_eq!(ask(&rows, 4), None);
    }

    #[test]
    fn split_uses_two_neighbouring_rows_only_when_no_row_can() {
        let rows = [
            row(0, 0, &["x..x"]),
            row(0, 1, &["x..x"]),
            row(1, 0, &["x.x"]),
        ];
        let split = |count| {
            best_available(
                &rows,
                Request {
                    count,
                    allow_split: true,
                },
            )
            .map(|seats| seats.len())
        };
        assert_eq!(ask(&rows, 4), None);
        assert_eq!(split(4), Some(4));
        assert_eq!(split(2), Some(2), "a row that can, alone");
        assert_eq!(split(5), None);
    }

    #[test]
    fn nothing_is_asked_for_nothing() {
        let rows = [row(0, 0, &["...."])];
        assert_eq!(ask(&rows, 0), None);
        assert_eq!(ask(&[], 1), None);
    }
}
