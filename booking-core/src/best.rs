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
//! A request may ask for **wheelchair spaces** among its seats
//! ([`Request::wheelchair`]): `Some(k)` accepts only blocks with exactly `k`
//! wheelchair spaces, the other `count - k` seats being seats beside them
//! for their companions (a venue puts its companion seats there). Exactly,
//! because a wheelchair space has no fixed seat: a companion given one
//! would have nowhere to sit, and a space given away is lost to someone who
//! needs it. "A wheelchair space and its companion" is `count` 2 with
//! `Some(1)`; two wheelchair users, each with a companion, `count` 4 with
//! `Some(2)`. `Some(0)` accepts only blocks with no wheelchair space. The
//! blocks that fit are then ordered as above.
//!
//! With **split** allowed and no block at all, the answer is the best pair
//! of blocks in two neighbouring rows of one section (`a` seats in one row
//! and `count - a` in the next, each part a block as above), ordered the
//! same way, by both parts together (holding, together, the wheelchair
//! spaces asked for). Without a block (or a pair), there is no answer.

use std::collections::HashMap;

use crate::error::{Error, Result};
use crate::ids::SeatId;
use crate::model::BestAvailable;

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
    /// Whether it is a wheelchair space (see [`Request::wheelchair`]).
    pub accessible: bool,
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
    /// How many of them are wheelchair spaces, exactly (the others are
    /// not); `None`: any number (see the module's rule).
    pub wheelchair: Option<usize>,
    /// Whether two neighbouring rows may share them when no row can.
    pub allow_split: bool,
}

impl Request {
    /// `count` seats together, in one row, any of them wheelchair spaces
    /// or not: the plain request.
    pub fn together(count: usize) -> Self {
        Self {
            count,
            wheelchair: None,
            allow_split: false,
        }
    }
}

/// Whether seats whose wheelchair flags are `accessible` hold the
/// wheelchair spaces `wheelchair` asks for (any number for `None`).
fn has_wheelchair(wheelchair: Option<usize>, accessible: impl Iterator<Item = bool>) -> bool {
    wheelchair.is_none_or(|k| accessible.filter(|&a| a).count() == k)
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
    let together = rows
        .iter()
        .flat_map(|row| blocks(row, request.count, request.wheelchair))
        .min();
    together
        .or_else(|| {
            request
                .allow_split
                .then(|| best_split(rows, request))
                .flatten()
        })
        .map(|choice| choice.seats)
}

/// Every block of `len` seats in `row` with the wheelchair spaces
/// `wheelchair` asks for.
fn blocks(
    row: &PlaceRow,
    len: usize,
    wheelchair: Option<usize>,
) -> impl Iterator<Item = Choice> + '_ {
    row.runs
        .iter()
        .enumerate()
        .flat_map(move |(run_index, run)| {
            (0..=run.len().saturating_sub(len))
                .filter(move |&start| len > 0 && start + len <= run.len())
                .filter(move |&start| run[start..start + len].iter().all(|p| p.free && p.wanted))
                .filter(move |&start| {
                    has_wheelchair(
                        wheelchair,
                        run[start..start + len].iter().map(|p| p.accessible),
                    )
                })
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
/// seats in all, with the wheelchair spaces asked for in all.
fn best_split(rows: &[PlaceRow], request: Request) -> Option<Choice> {
    let count = request.count;
    let mut best: Option<Choice> = None;
    for front in rows {
        let Some(back) = rows
            .iter()
            .find(|r| r.section == front.section && r.row == front.row + 1)
        else {
            continue;
        };
        // Each way to share the seats (and the wheelchair spaces) out.
        let shares = (1..count).flat_map(|in_front| {
            let spaces: Vec<Option<usize>> = match request.wheelchair {
                None => vec![None],
                Some(k) => (0..=k).map(Some).collect(),
            };
            spaces.into_iter().map(move |front_spaces| {
                let back_spaces = front_spaces.zip(request.wheelchair).map(|(f, k)| k - f);
                (in_front, front_spaces, back_spaces)
            })
        });
        for (in_front, front_spaces, back_spaces) in shares {
            let Some(first) = blocks(front, in_front, front_spaces).min() else {
                continue;
            };
            let Some(second) = blocks(back, count - in_front, back_spaces).min() else {
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

// ---- searching a large venue -------------------------------------------------

/// What best available needs to know of a seat that never changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LayoutSeat {
    /// The seat.
    pub seat: SeatId,
    /// Its rank: lower is better.
    pub rank: u32,
    /// Its price category, as an index in the venue's order.
    pub category: u32,
    /// Whether it is a wheelchair space.
    pub accessible: bool,
}

/// Where a seat sits in its event: section, row (its line, counted from the
/// front of the section), run of the row, and place in the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Position {
    /// The section, as an index in the venue's order.
    pub section: u32,
    /// The row's line in its section, from the front.
    pub line: u32,
    /// The run in its row.
    pub run: u32,
    /// The place in its run.
    pub place: u32,
}

/// One row of a [`Layout`]: its runs of adjacent seats, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LayoutRow {
    /// Its section.
    pub section: u32,
    /// Its line in the section, from the front.
    pub line: u32,
    /// Its runs.
    pub runs: Vec<Vec<LayoutSeat>>,
}

/// The seating of one event as best available searches it: every row with
/// its runs, and each seat's rank, category and accessibility. It never
/// changes once the event exists, so a store builds it once per event and
/// keeps it; only seat states are read per request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Layout {
    rows: Vec<LayoutRow>,
    /// Each seat's row and run.
    runs: HashMap<SeatId, (usize, usize)>,
    /// For `count` of 1 to [`ORDERED_COUNTS`], the rows that can seat
    /// `count` together by (bound, row), any seat wanted: what a
    /// [`Search`] for any seat starts from.
    orders: Vec<Vec<(u64, usize)>>,
}

/// The requests (1 to this many seats) whose row order a [`Layout`] makes
/// once, when it is made.
const ORDERED_COUNTS: usize = 16;

impl Layout {
    /// The layout of these seats, each at its position (in any order).
    pub fn new(seats: impl IntoIterator<Item = (Position, LayoutSeat)>) -> Self {
        let mut seats: Vec<_> = seats.into_iter().collect();
        seats.sort_by_key(|(position, _)| *position);
        let mut rows: Vec<LayoutRow> = Vec::new();
        let mut last: Option<Position> = None;
        for (position, seat) in seats {
            let same_row =
                last.is_some_and(|l| (l.section, l.line) == (position.section, position.line));
            let same_run = same_row && last.is_some_and(|l| l.run == position.run);
            match rows.last_mut() {
                Some(row) if same_run => row.runs.last_mut().map_or((), |run| run.push(seat)),
                Some(row) if same_row => row.runs.push(vec![seat]),
                _ => rows.push(LayoutRow {
                    section: position.section,
                    line: position.line,
                    runs: vec![vec![seat]],
                }),
            }
            last = Some(position);
        }
        let runs = rows
            .iter()
            .enumerate()
            .flat_map(|(r, row)| {
                row.runs
                    .iter()
                    .enumerate()
                    .flat_map(move |(k, run)| run.iter().map(move |seat| (seat.seat, (r, k))))
            })
            .collect();
        let orders = (1..=ORDERED_COUNTS)
            .map(|count| {
                let mut order: Vec<(u64, usize)> = rows
                    .iter()
                    .enumerate()
                    .filter_map(|(i, row)| {
                        bound(row, &Wanted::default(), Request::together(count)).map(|b| (b, i))
                    })
                    .collect();
                order.sort_unstable();
                order
            })
            .collect();
        Self { rows, runs, orders }
    }

    /// The run `seat` is in (its seats in order), if it is in the layout.
    pub fn run_of(&self, seat: SeatId) -> Option<&[LayoutSeat]> {
        let &(row, run) = self.runs.get(&seat)?;
        Some(&self.rows[row].runs[run])
    }

    /// Marks `seats` closed in `closed`, which is by row (section, line) a
    /// flag per seat in the row's order, as [`Search::with_closed_seats`]
    /// takes them: a row not there yet comes in with its other seats open.
    /// Seats not in the layout change nothing.
    pub fn close_seats(
        &self,
        closed: &mut HashMap<(u32, u32), Vec<bool>>,
        seats: impl IntoIterator<Item = SeatId>,
    ) {
        for seat in seats {
            let Some((r, place)) = self.place_of(seat) else {
                continue;
            };
            let row = &self.rows[r];
            let len = row.runs.iter().map(Vec::len).sum();
            let flags = closed
                .entry((row.section, row.line))
                .or_insert_with(|| vec![false; len]);
            if let Some(flag) = flags.get_mut(place) {
                *flag = true;
            }
        }
    }

    /// Where `seat` is: its row (an index in [`Layout::rows`]) and its place
    /// in the row's order (runs in order, each left to right), as the flags
    /// of [`Search::with_closed_seats`] count them.
    pub fn place_of(&self, seat: SeatId) -> Option<(usize, usize)> {
        let &(r, k) = self.runs.get(&seat)?;
        let row = &self.rows[r];
        let before: usize = row.runs[..k].iter().map(Vec::len).sum();
        let place = row.runs[k].iter().position(|s| s.seat == seat)?;
        Some((r, before + place))
    }

    /// The index in [`Layout::rows`] of the row at `line` of `section`.
    pub fn row_index(&self, section: u32, line: u32) -> Option<usize> {
        self.rows
            .binary_search_by_key(&(section, line), |row| (row.section, row.line))
            .ok()
    }

    /// Its rows, by section then line.
    pub fn rows(&self) -> &[LayoutRow] {
        &self.rows
    }

    /// How many seats it has.
    pub fn len(&self) -> usize {
        self.rows.iter().flat_map(|r| &r.runs).map(Vec::len).sum()
    }

    /// Whether it has no seat.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// An event's [`Layout`] with the names of its categories and sections, in
/// the venue's order: what a store keeps per event for best available.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EventLayout {
    /// The seats.
    pub layout: Layout,
    /// The categories' names.
    pub categories: Vec<String>,
    /// The sections' names.
    pub sections: Vec<String>,
}

impl EventLayout {
    /// The seats `request` accepts, by index.
    ///
    /// # Errors
    ///
    /// `wheelchair` over `count`, or given with `accessible` →
    /// [`Error::InvalidInput`] ([`check_wheelchair`]); a category the event
    /// does not have → [`Error::UnknownCategory`]; a section →
    /// [`Error::UnknownSection`].
    pub fn wanted(&self, request: &BestAvailable) -> Result<Wanted> {
        check_wheelchair(request)?;
        let indexes = |names: &[String],
                       known: &[String],
                       unknown: fn(String) -> Error|
         -> Result<Option<Vec<u32>>> {
            if names.is_empty() {
                return Ok(None);
            }
            names
                .iter()
                .map(|name| {
                    known
                        .iter()
                        .position(|k| k == name)
                        .and_then(|i| u32::try_from(i).ok())
                        .ok_or_else(|| unknown(name.clone()))
                })
                .collect::<Result<Vec<u32>>>()
                .map(Some)
        };
        Ok(Wanted {
            categories: indexes(&request.categories, &self.categories, |name| {
                Error::UnknownCategory { name }
            })?,
            sections: indexes(&request.sections, &self.sections, |name| {
                Error::UnknownSection { name }
            })?,
            accessible: request.accessible,
        })
    }
}

/// Checks a request's wheelchair spaces: at most `count` of them, and not
/// beside `accessible`, which asks for all or none of the seats to be
/// wheelchair spaces (`wheelchair` says how many, exactly).
///
/// # Errors
///
/// [`Error::InvalidInput`], naming the fault.
pub fn check_wheelchair(request: &BestAvailable) -> Result<()> {
    let Some(wheelchair) = request.wheelchair else {
        return Ok(());
    };
    if wheelchair > request.count {
        return Err(Error::invalid_input(format!(
            "wheelchair is at most count ({}): how many of the seats are wheelchair spaces",
            request.count
        )));
    }
    if request.accessible.is_some() {
        return Err(Error::invalid_input(
            "give wheelchair (how many wheelchair spaces) or accessible, not both",
        ));
    }
    Ok(())
}

/// The [`Request`] of a [`BestAvailable`].
pub fn request(best: &BestAvailable) -> Request {
    let size = |n: u32| usize::try_from(n).unwrap_or(usize::MAX);
    Request {
        count: size(best.count),
        wheelchair: best.wheelchair.map(size),
        allow_split: best.allow_split,
    }
}

/// Which seats a request accepts: `None` accepts any.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Wanted {
    /// The categories (indexes in the venue's order).
    pub categories: Option<Vec<u32>>,
    /// The sections (indexes in the venue's order).
    pub sections: Option<Vec<u32>>,
    /// Wheelchair spaces only (`Some(true)`), or none of them (`Some(false)`).
    pub accessible: Option<bool>,
}

impl Wanted {
    fn section(&self, section: u32) -> bool {
        self.sections.as_ref().is_none_or(|s| s.contains(&section))
    }

    fn seat(&self, section: u32, seat: &LayoutSeat) -> bool {
        self.section(section)
            && self
                .categories
                .as_ref()
                .is_none_or(|c| c.contains(&seat.category))
            && self.accessible.is_none_or(|a| a == seat.accessible)
    }
}

/// Best available over a [`Layout`], reading the state of as few rows as
/// it can. It gives the same answer as [`best_available`] over every row.
///
/// # How it stops early
///
/// A row's **bound** is the lowest rank sum of any `count` wanted seats
/// together in it, taken or not: no block of the row can rank better. Rows
/// are visited in order of their bound (lowest first; equal bounds in the
/// venue's order), a batch at a time (1 row, then 2, 4, at most 8): the
/// store loads the states of the batch's seats ([`Search::next_seats`]) and
/// hands them over ([`Search::visit`]). Once an orphan-free block of rank
/// sum `S` in row `r` has been seen, a row whose bound is above `S` (or
/// equal, and after `r` in the venue's order) can only offer worse blocks,
/// and so can every row after it: the search stops there. Without such a block it goes on through every
/// row that could hold one. With split allowed and no block at all, it
/// visits every other row that has a wanted seat, for the pairs of rows.
///
/// On a venue that is not nearly sold out, that is one row or a few:
/// a request reads a few dozen seats, not the whole stadium. A row's bound
/// counts every seat as free, so once a sale reaches the middle of many
/// rows they would all be read at every request; a store that knows which
/// seats are reserved or blocked passes them ([`Search::with_closed_seats`])
/// and the rows are ordered by what is still open.
#[derive(Debug)]
pub struct Search<'l> {
    layout: &'l Layout,
    wanted: Wanted,
    request: Request,
    /// The rows that can hold a block, by bound (then layout order).
    order: Vec<(u64, usize)>,
    next: usize,
    batch: usize,
    pending: Vec<usize>,
    visited: Vec<PlaceRow>,
    visited_rows: Vec<bool>,
    /// The best orphan-free block seen: its rank sum and row.
    best_clean: Option<(u64, usize)>,
    any_block: bool,
    splitting: bool,
    done: bool,
}

impl<'l> Search<'l> {
    /// A search for `request` among the `wanted` seats of `layout`.
    pub fn new(layout: &'l Layout, wanted: Wanted, request: Request) -> Self {
        Self::with_closed_seats(layout, wanted, request, &HashMap::new())
    }

    /// A search that also knows which seats of some rows (by section and
    /// line) are **closed**: seats that cannot be free while the search
    /// runs. Reserved and blocked seats are (only a write changes them),
    /// and so are the seats held by a hold that is live at the instant the
    /// search judges (a hold ends by time alone, so a hold that has ended
    /// is open; [`Layout::close_seats`] adds them). Each such row is given
    /// as a flag per seat, in the row's order (runs in order, each left to
    /// right). A free seat is an open one, so the
    /// lowest rank sum of `count` open wanted seats together is a bound of
    /// the row too, and a tighter one: a row whose middle is sold comes
    /// after the rows whose middle is not, and a row with no such seats is
    /// not read (nor, all closed, for a split). Rows not in `closed`, or
    /// whose flags do not match their seats, keep their bound.
    pub fn with_closed_seats(
        layout: &'l Layout,
        wanted: Wanted,
        request: Request,
        closed: &HashMap<(u32, u32), Vec<bool>>,
    ) -> Self {
        let closed_in = |row: &LayoutRow| {
            closed
                .get(&(row.section, row.line))
                .filter(|flags| flags.len() == row.runs.iter().map(Vec::len).sum::<usize>())
        };
        let mut order: Vec<(u64, usize)> = match layout.orders.get(request.count.wrapping_sub(1)) {
            // The usual request (any seat) starts from the order made with the layout.
            Some(order) if wanted == Wanted::default() && request.wheelchair.is_none() => order
                .iter()
                .copied()
                .filter(|&(_, i)| closed_in(&layout.rows[i]).is_none())
                .collect(),
            _ => layout
                .rows
                .iter()
                .enumerate()
                .filter(|(_, row)| closed_in(row).is_none())
                .filter_map(|(i, row)| bound(row, &wanted, request).map(|b| (b, i)))
                .collect(),
        };
        let mut all_closed = vec![false; layout.rows.len()];
        for (i, row) in layout.rows.iter().enumerate() {
            if let Some(flags) = closed_in(row) {
                all_closed[i] = flags.iter().all(|&c| c);
                if let Some(b) = open_bound(row, flags, &wanted, request) {
                    order.push((b, i));
                }
            }
        }
        order.sort_unstable();
        Self::with_order(layout, wanted, request, order, all_closed)
    }

    /// A search that visits the rows in `order`, already worked out by the
    /// caller (a store that keeps the closed seats of its rows, see
    /// [`crate::occupancy`]): each row that can hold a block once,
    /// with its bound (the [`open_bound`] of its closed seats), sorted by
    /// (bound, row). `all_closed` says, for each row of the layout, whether
    /// all its seats are closed. Given what [`Search::with_closed_seats`]
    /// would work out from the same closed seats, it searches the same way.
    pub fn with_order(
        layout: &'l Layout,
        wanted: Wanted,
        request: Request,
        order: Vec<(u64, usize)>,
        all_closed: Vec<bool>,
    ) -> Self {
        debug_assert!(order.is_sorted(), "rows come by (bound, row)");
        debug_assert_eq!(all_closed.len(), layout.rows.len());
        Self {
            layout,
            wanted,
            request,
            order,
            next: 0,
            batch: 1,
            pending: Vec::new(),
            visited: Vec::new(),
            // A row all closed is as good as read: nothing there.
            visited_rows: all_closed,
            best_clean: None,
            any_block: false,
            splitting: false,
            done: request.count == 0,
        }
    }

    /// The seats whose states the search needs next, or `None` once the
    /// answer is settled. Each call must be followed by [`Search::visit`]
    /// with those seats' states.
    pub fn next_seats(&mut self) -> Option<Vec<SeatId>> {
        if self.done {
            return None;
        }
        if !self.splitting {
            // Rows come by (bound, place): once the next one sorts after the
            // best orphan-free block's (rank, row), none can beat it.
            let hopeless = |next: (u64, usize)| self.best_clean.is_some_and(|best| next > best);
            if self.next < self.order.len() && !hopeless(self.order[self.next]) {
                let end = (self.next + self.batch).min(self.order.len());
                self.pending = self.order[self.next..end].iter().map(|&(_, i)| i).collect();
                self.next = end;
                self.batch = (self.batch * 2).min(MAX_BATCH);
                return Some(self.pending_seats());
            }
            if self.any_block || !self.request.allow_split || self.request.count < 2 {
                self.done = true;
                return None;
            }
            self.splitting = true;
            self.pending = (0..self.layout.rows.len())
                .filter(|&i| !self.visited_rows[i])
                .filter(|&i| {
                    let row = &self.layout.rows[i];
                    row.runs
                        .iter()
                        .flatten()
                        .any(|seat| self.wanted.seat(row.section, seat))
                })
                .collect();
            return Some(self.pending_seats());
        }
        self.done = true;
        None
    }

    fn pending_seats(&self) -> Vec<SeatId> {
        self.pending
            .iter()
            .flat_map(|&i| self.layout.rows[i].runs.iter().flatten())
            .map(|seat| seat.seat)
            .collect()
    }

    /// Takes the states of the seats [`Search::next_seats`] asked for:
    /// `free(seat)` is whether the seat can be held now.
    pub fn visit(&mut self, free: impl Fn(SeatId) -> bool) {
        for i in std::mem::take(&mut self.pending) {
            let row = &self.layout.rows[i];
            let place_row = PlaceRow {
                section: row.section,
                row: row.line,
                runs: row
                    .runs
                    .iter()
                    .map(|run| {
                        run.iter()
                            .map(|seat| Place {
                                seat: seat.seat,
                                rank: seat.rank,
                                free: free(seat.seat),
                                wanted: self.wanted.seat(row.section, seat),
                                accessible: seat.accessible,
                            })
                            .collect()
                    })
                    .collect(),
            };
            for choice in blocks(&place_row, self.request.count, self.request.wheelchair) {
                self.any_block = true;
                if !choice.strands {
                    let found = (choice.rank, i);
                    self.best_clean = Some(self.best_clean.map_or(found, |best| best.min(found)));
                }
            }
            self.visited_rows[i] = true;
            self.visited.push(place_row);
        }
    }

    /// The answer, by [`best_available`] over the rows visited.
    pub fn answer(&self) -> Option<Vec<SeatId>> {
        best_available(&self.visited, self.request)
    }

    /// How many rows it has read.
    pub fn rows_visited(&self) -> usize {
        self.visited.len()
    }
}

/// The lowest rank sum of `request.count` wanted seats together in `row`
/// (with the wheelchair spaces asked for), taken or not; `None` when the
/// row has no such seats.
fn bound(row: &LayoutRow, wanted: &Wanted, request: Request) -> Option<u64> {
    let count = request.count;
    if count == 0 || !wanted.section(row.section) {
        return None;
    }
    row.runs
        .iter()
        .flat_map(|run| run.windows(count))
        .filter(|window| window.iter().all(|seat| wanted.seat(row.section, seat)))
        .filter(|window| has_wheelchair(request.wheelchair, window.iter().map(|s| s.accessible)))
        .map(|window| window.iter().map(|seat| u64::from(seat.rank)).sum())
        .min()
}

/// The most rows one step of a [`Search`] reads.
const MAX_BATCH: usize = 8;

/// The lowest rank sum of `request.count` wanted seats together in `row`
/// (with the wheelchair spaces asked for) that are not `closed` (flags in
/// the row's order); `None` when there are none. With no seat closed, it
/// is the row's bound.
pub fn open_bound(
    row: &LayoutRow,
    closed: &[bool],
    wanted: &Wanted,
    request: Request,
) -> Option<u64> {
    let count = request.count;
    if count == 0 || !wanted.section(row.section) {
        return None;
    }
    let mut best: Option<u64> = None;
    let mut at = 0;
    for run in &row.runs {
        let open: Vec<bool> = run
            .iter()
            .zip(&closed[at..])
            .map(|(seat, &closed)| !closed && wanted.seat(row.section, seat))
            .collect();
        at += run.len();
        let blocks = run
            .windows(count)
            .zip(open.windows(count))
            .filter(|(_, open)| open.iter().all(|&o| o))
            .filter(|(seats, _)| {
                has_wheelchair(request.wheelchair, seats.iter().map(|s| s.accessible))
            })
            .map(|(seats, _)| seats.iter().map(|seat| u64::from(seat.rank)).sum::<u64>());
        best = blocks.chain(best).min();
    }
    best
}

/// Runs a whole [`Search`] with a synchronous `load`, which gives the free
/// seats among those asked for (a store that reads states inside its
/// transaction, under its locks).
///
/// # Errors
///
/// The first error of `load`.
pub fn search<E>(
    layout: &Layout,
    wanted: Wanted,
    request: Request,
    mut load: impl FnMut(&[SeatId]) -> Result<std::collections::HashSet<SeatId>, E>,
) -> Result<Option<Vec<SeatId>>, E> {
    let mut search = Search::new(layout, wanted, request);
    while let Some(seats) = search.next_seats() {
        let free = load(&seats)?;
        search.visit(|seat| free.contains(&seat));
    }
    Ok(search.answer())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(section: u32, row: u32, runs: &[&str]) -> PlaceRow {
        // A run is written seat by seat: `.` free, `x` taken, `-` free but
        // not wanted, `w` a free wheelchair space; each seat's rank is its distance from the run's
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
                            wanted: c == '.' || c == 'w',
                            accessible: c == 'w',
                        }
                    })
                    .collect()
            })
            .collect();
        PlaceRow { section, row, runs }
    }

    fn ask(rows: &[PlaceRow], count: usize) -> Option<Vec<i64>> {
        ask_spaces(rows, count, None)
    }

    fn ask_spaces(rows: &[PlaceRow], count: usize, wheelchair: Option<usize>) -> Option<Vec<i64>> {
        let request = Request {
            wheelchair,
            ..Request::together(count)
        };
        best_available(rows, request).map(|seats| seats.iter().map(|s| s.get()).collect())
    }

    #[test]
    fn a_wheelchair_space_comes_with_the_seat_beside_it() {
        // Spaces and companion seats alternate, as in the concert hall's
        // back row: no two spaces are neighbours.
        let rows = [row(0, 0, &["w.w.w.w."])];
        assert_eq!(ask_spaces(&rows, 2, Some(1)), Some(vec![4, 5]), "one each");
        assert_eq!(
            ask_spaces(&rows, 4, Some(2)),
            Some(vec![3, 4, 5, 6]),
            "two each"
        );
        assert_eq!(
            ask_spaces(&rows, 2, Some(2)),
            None,
            "no two spaces together"
        );
        assert_eq!(
            ask_spaces(&rows, 3, Some(1)),
            Some(vec![4, 5, 6]),
            "exactly one"
        );
        assert_eq!(
            ask_spaces(&rows, 3, Some(2)),
            Some(vec![3, 4, 5]),
            "exactly two"
        );
    }

    #[test]
    fn no_wheelchair_space_is_given_to_who_asks_for_none() {
        let rows = [row(0, 0, &["w..w"])];
        assert_eq!(ask_spaces(&rows, 2, Some(0)), Some(vec![2, 3]));
        assert_eq!(ask_spaces(&rows, 3, Some(0)), None);
        assert_eq!(ask(&rows, 3).map(|s| s.len()), Some(3), "any seat, unasked");
    }

    #[test]
    fn a_split_shares_the_wheelchair_spaces_out() {
        // Four seats, two spaces: no row has four together, so one space
        // and a seat in each of two rows.
        let rows = [row(0, 0, &["xw.x"]), row(0, 1, &["x.wx"])];
        let request = Request {
            wheelchair: Some(2),
            allow_split: true,
            ..Request::together(4)
        };
        let seats = best_available(&rows, request).map(|s| s.iter().map(|s| s.get()).collect());
        assert_eq!(seats, Some(vec![2, 3, 102, 103]));
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
                    wheelchair: None,
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
