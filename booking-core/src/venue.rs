//! Venues: sections → rows → runs of adjacent seats, with price
//! categories, seat attributes and a quality ranking, loaded from a
//! documented JSON file (`docs/venue.md`, `docs/venue.schema.json`) or made
//! from the compact seat-map notation.
//!
//! # The file
//!
//! ```json
//! {
//!   "name": "Small hall",
//!   "categories": [
//!     {"name": "Premium", "price_cents": 15000, "color": "#7b3fa0"},
//!     {"name": "Standard", "price_cents": 9000}
//!   ],
//!   "sections": [{
//!     "name": "Stalls",
//!     "category": "Standard",
//!     "rows": [
//!       {"label": "A", "seats": ["1-4", "5-12", "13-16"], "category": "Premium",
//!        "accessible": [1], "companion": [2]},
//!       {"label": "B-D", "seats": ["1-19 odd", "2-20 even"]}
//!     ]
//!   }]
//! }
//! ```
//!
//! - A row's `seats` are its **runs**: each a number, a range (`"1-10"`,
//!   or `"10-1"` numbered right to left) or every other number of a range
//!   (`"1-19 odd"`, `"2-20 even"`). Seats of one run are neighbours; an
//!   aisle (one seat wide) separates runs, so seats in different runs are
//!   never adjacent.
//! - `label` is a row (`A` to `ZZZ`) or a range of rows (`"B-D"`) that share
//!   the rest of the definition.
//! - A seat's category is the first of: the row's `categories` overrides
//!   (`{"1-4": "Standard"}`), the row's `category`, the section's.
//! - `accessible` (a wheelchair space), `companion` and `restricted_view`
//!   list seat numbers of the row.
//!
//! # The ranking
//!
//! Best available takes the seats with the lowest **rank**. Seats sit one
//! unit apart along a row (plus one for each aisle, plus the row's
//! `offset`), rows one unit apart from the front. A seat's rank is four
//! times its squared distance to its section's **focal point** (by default
//! the middle of the front row), rounded, plus the section's
//! `rank_offset`; a row's `ranks` (`{"7": 0}`) set a seat's rank outright.
//! Equal distances give equal ranks (the left and right of the centre), so
//! ties are real and are broken by orphan avoidance and then place
//! ([`crate::best`]).

use std::collections::{BTreeMap, HashSet};
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::seatmap::{Row, SeatMap};

/// The most categories one venue may have.
pub const MAX_CATEGORIES: usize = 64;

/// Two example venue files, built into the crate, to try the model with
/// or seed a demo: `Venue::from_json(examples::CONCERT_HALL)`. They are
/// the files of the repository's `examples/venues/` (a test keeps the two
/// copies equal), carried here so that the crate builds on its own.
pub mod examples {
    /// A concert hall of 1,200 seats: three sections (Orchestra,
    /// Mezzanine, Balcony) with aisles, three price categories, and 12
    /// wheelchair spaces, each with a companion seat beside it.
    pub const CONCERT_HALL: &str = include_str!("../venues/concert-hall.json");

    /// A stadium of 60,000 seats in 120 blocks around the pitch, with
    /// wheelchair spaces.
    pub const STADIUM: &str = include_str!("../venues/stadium.json");
}

/// The colours given to categories that name none, in order.
const PALETTE: [&str; 8] = [
    "#7b3fa0", "#1f6fb2", "#2e8540", "#b8860b", "#c0392b", "#16a085", "#8e5b3c", "#5d6d7e",
];

// ---- the file --------------------------------------------------------------

/// A venue file, as written (see the module's docs).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VenueFile {
    /// The venue's name (shown nowhere yet; for people reading the file).
    #[serde(default)]
    pub name: String,
    /// The price categories, best first.
    pub categories: Vec<CategoryFile>,
    /// The sections.
    pub sections: Vec<SectionFile>,
}

/// A price category, as written.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CategoryFile {
    /// Its name, unique in the venue.
    pub name: String,
    /// The price of each of its seats, in cents.
    pub price_cents: i64,
    /// Its colour, `#rrggbb`; one of a palette when absent.
    #[serde(default)]
    pub color: Option<String>,
}

/// A point of a section, in seat widths from its front row's first seat.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Point {
    /// Along the rows.
    pub x: f64,
    /// Back from the front row.
    pub y: f64,
}

/// A section, as written.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SectionFile {
    /// Its name, unique in the venue: "Orchestra", "Block 112".
    pub name: String,
    /// The category of its seats that name none.
    #[serde(default)]
    pub category: Option<String>,
    /// The point seats are ranked by their distance to; the middle of the
    /// front row when absent.
    #[serde(default)]
    pub focal_point: Option<Point>,
    /// Added to each seat's rank: how much worse this section is than the
    /// best one.
    #[serde(default)]
    pub rank_offset: u32,
    /// Where the section is drawn in an overview of the venue.
    #[serde(default)]
    pub position: Option<Point>,
    /// Its rows, front first.
    pub rows: Vec<RowFile>,
}

/// A row (or a range of alike rows), as written.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RowFile {
    /// Its label, `A` to `ZZZ`, or a range of labels, `"B-D"`.
    pub label: String,
    /// Its runs of adjacent seats, left to right.
    pub seats: Vec<String>,
    /// How far the row starts to the right of the section's first seat,
    /// in seat widths.
    #[serde(default)]
    pub offset: f64,
    /// The category of its seats, unless `categories` says otherwise.
    #[serde(default)]
    pub category: Option<String>,
    /// Categories of some seats: `{"1-4": "Standard", "20": "Economy"}`.
    #[serde(default)]
    pub categories: BTreeMap<String, String>,
    /// Wheelchair spaces.
    #[serde(default)]
    pub accessible: Vec<u32>,
    /// Companion seats (beside a wheelchair space).
    #[serde(default)]
    pub companion: Vec<u32>,
    /// Seats with a restricted view.
    #[serde(default)]
    pub restricted_view: Vec<u32>,
    /// Ranks set outright: `{"7": 0}`.
    #[serde(default)]
    pub ranks: BTreeMap<String, u32>,
}

// ---- the venue -------------------------------------------------------------

/// A price category.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Category {
    /// Its name.
    pub name: String,
    /// The price of each seat, in cents.
    pub price_cents: i64,
    /// Its colour, `#rrggbb`.
    pub color: String,
}

/// A seat of a venue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VenueSeat {
    /// Its number in its row.
    pub number: u32,
    /// Its category, an index into [`Venue::categories`].
    pub category: usize,
    /// A wheelchair space.
    pub accessible: bool,
    /// A companion seat.
    pub companion: bool,
    /// A seat with a restricted view.
    pub restricted_view: bool,
    /// Its quality: lower is better (see the module's docs).
    pub rank: u32,
}

/// A row of a section: runs of adjacent seats, left to right.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VenueRow {
    /// Its label.
    pub row: Row,
    /// Its runs.
    pub runs: Vec<Vec<VenueSeat>>,
}

/// A section: its rows, front first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Section {
    /// Its name.
    pub name: String,
    /// Where it is drawn in an overview, if the file says.
    pub position: Option<Point>,
    /// Its rows.
    pub rows: Vec<VenueRow>,
}

/// A checked venue: categories, and sections of rows of runs of seats.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Venue {
    /// The price categories.
    pub categories: Vec<Category>,
    /// The sections.
    pub sections: Vec<Section>,
}

/// What is wrong with a venue file, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VenueError {
    /// Where: a path into the file, `sections[1].rows[3].seats[0]`, and the
    /// names met on the way.
    pub path: String,
    /// The line of a JSON syntax error, when there is one.
    pub line: Option<usize>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for VenueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.path.is_empty(), self.line) {
            (true, Some(line)) => write!(f, "line {line}: {}", self.message),
            (true, None) => f.write_str(&self.message),
            (false, Some(line)) => write!(f, "{} (line {line}): {}", self.path, self.message),
            (false, None) => write!(f, "{}: {}", self.path, self.message),
        }
    }
}

impl std::error::Error for VenueError {}

impl From<VenueError> for crate::Error {
    fn from(err: VenueError) -> Self {
        crate::Error::invalid_input(err.to_string())
    }
}

impl Venue {
    /// Reads and checks a venue file.
    pub fn from_json(text: &str) -> Result<Self, VenueError> {
        let deserializer = &mut serde_json::Deserializer::from_str(text);
        let file: VenueFile = serde_path_to_error::deserialize(deserializer).map_err(|err| {
            let path = err.path().to_string();
            let inner = err.into_inner();
            VenueError {
                path: if path == "." { String::new() } else { path },
                line: Some(inner.line()),
                message: without_position(&inner.to_string()),
            }
        })?;
        Self::from_file(&file)
    }

    /// Checks a venue file already read.
    pub fn from_file(file: &VenueFile) -> Result<Self, VenueError> {
        Builder::default().build(file)
    }

    /// The venue of a compact seat map: one section, one category per
    /// price (named by it, dearest first), rows without aisles, ranked by
    /// distance to the middle of row `A`.
    pub fn from_seat_map(map: &SeatMap) -> Self {
        let mut prices: Vec<i64> = map.seats().iter().map(|s| s.price_cents).collect();
        prices.sort_unstable_by(|a, b| b.cmp(a));
        prices.dedup();
        let categories: Vec<Category> = prices
            .iter()
            .enumerate()
            .map(|(i, &price_cents)| Category {
                name: price_name(price_cents),
                price_cents,
                color: PALETTE[i % PALETTE.len()].to_owned(),
            })
            .collect();
        // Each row's numbers and categories (seats come by row, then number).
        let mut rows: Vec<(Row, Vec<u32>, Vec<usize>)> = Vec::new();
        for spec in map.seats() {
            let category = prices
                .iter()
                .position(|&p| p == spec.price_cents)
                .unwrap_or_default();
            match rows.last_mut() {
                Some((row, numbers, cats)) if *row == spec.row => {
                    numbers.push(spec.number);
                    cats.push(category);
                }
                _ => rows.push((spec.row, vec![spec.number], vec![category])),
            }
        }
        let front = rows.first().map_or(0.0, |(_, numbers, _)| middle(numbers));
        let rows = rows
            .into_iter()
            .enumerate()
            .map(|(depth, (row, numbers, cats))| {
                // A seat map's numbers say where seats are: seat 7 of every
                // row is in one column, and a missing number is a gap.
                let mut runs: Vec<Vec<VenueSeat>> = Vec::new();
                for (i, (&number, &category)) in numbers.iter().zip(&cats).enumerate() {
                    let seat = VenueSeat {
                        number,
                        category,
                        accessible: false,
                        companion: false,
                        restricted_view: false,
                        rank: rank(f64::from(number) - front, depth_f64(depth)),
                    };
                    match runs.last_mut() {
                        Some(run) if i > 0 && numbers[i - 1] + 1 == number => run.push(seat),
                        _ => runs.push(vec![seat]),
                    }
                }
                VenueRow { row, runs }
            })
            .collect();
        Self {
            categories,
            sections: vec![Section {
                name: String::new(),
                position: None,
                rows,
            }],
        }
    }

    /// How many seats.
    pub fn len(&self) -> usize {
        self.seats().count()
    }

    /// Whether it has no seat (a checked venue always has some).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every seat with its section index and row, section by section, row
    /// by row, left to right.
    pub fn seats(&self) -> impl Iterator<Item = (usize, Row, &VenueSeat)> {
        self.sections.iter().enumerate().flat_map(|(s, section)| {
            section.rows.iter().flat_map(move |row| {
                row.runs
                    .iter()
                    .flatten()
                    .map(move |seat| (s, row.row, seat))
            })
        })
    }

    /// The label of seat `number` of `row` in section `section`: `"A1"`
    /// when the venue has one section (as the original design labels
    /// seats), `"Balcony A1"` when it has several.
    pub fn label(&self, section: usize, row: Row, number: u32) -> String {
        if self.sections.len() == 1 {
            format!("{row}{number}")
        } else {
            format!("{} {row}{number}", self.sections[section].name)
        }
    }
}

/// A seat of a venue as an event stores it: where it is, its label, and
/// what it is ([`Venue::placed_seats`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlacedSeat {
    /// Its section, an index into [`Venue::sections`].
    pub section: usize,
    /// Its row's place in the section, from the front (0): rows `n` and
    /// `n + 1` of a section are neighbours.
    pub line: usize,
    /// Its row's label.
    pub row: Row,
    /// Its run, an index into its row's runs.
    pub run: usize,
    /// Its place in its run, from the left (0): seats `n` and `n + 1` of a
    /// run are neighbours.
    pub place: usize,
    /// Its label, unique in the venue ([`Venue::label`]).
    pub label: String,
    /// Its number, category, attributes and rank.
    pub seat: VenueSeat,
}

impl Venue {
    /// Every seat with its place and label, in the order an event lists
    /// (and numbers) them: by section, then row, then number.
    pub fn placed_seats(&self) -> Vec<PlacedSeat> {
        let mut placed = Vec::with_capacity(self.len());
        for (section, s) in self.sections.iter().enumerate() {
            for (line, row) in s.rows.iter().enumerate() {
                for (run, seats) in row.runs.iter().enumerate() {
                    for (place, seat) in seats.iter().enumerate() {
                        placed.push(PlacedSeat {
                            section,
                            line,
                            row: row.row,
                            run,
                            place,
                            label: self.label(section, row.row, seat.number),
                            seat: *seat,
                        });
                    }
                }
            }
        }
        placed.sort_by_key(|p| (p.section, p.row, p.seat.number));
        placed
    }

    /// Checks a venue built in code rather than read from a file (its
    /// fields are public): what [`Venue::from_file`] guarantees. Stores call
    /// it (through [`NewEvent::validate`](crate::NewEvent::validate)) before
    /// writing anything.
    ///
    /// # Errors
    ///
    /// [`crate::Error::InvalidInput`] naming the problem: no seat, more than
    /// [`SeatMap::MAX_SEATS`] seats, a bad category (name, price, colour, or
    /// a seat naming one that is not there), a section name too long, two
    /// sections of one name, a row twice in a section, a seat number twice
    /// in a row.
    pub fn check(&self) -> crate::Result<()> {
        let bad = |message: String| Err(crate::Error::invalid_input(message));
        if self.categories.is_empty() || self.categories.len() > MAX_CATEGORIES {
            return bad(format!("a venue has 1 to {MAX_CATEGORIES} categories"));
        }
        let mut names = HashSet::new();
        for c in &self.categories {
            if c.name.trim().is_empty() || c.name.chars().count() > 100 {
                return bad("a category name is 1 to 100 characters, not blank".into());
            }
            if !names.insert(c.name.as_str()) {
                return bad(format!("two categories are named {:?}", c.name));
            }
            if !(0..=SeatMap::MAX_PRICE_CENTS).contains(&c.price_cents) {
                return bad(format!(
                    "a price is 0 to {} cents",
                    SeatMap::MAX_PRICE_CENTS
                ));
            }
            if !is_color(&c.color) {
                return bad(format!("{:?} is not a colour like \"#1f6fb2\"", c.color));
            }
        }
        if self.sections.is_empty() {
            return bad("a venue needs at least one section".into());
        }
        let mut sections = HashSet::new();
        for section in &self.sections {
            if section.name.chars().count() > 100 || section.name.chars().any(char::is_control) {
                return bad(
                    "a section name has at most 100 characters, none of them control characters"
                        .into(),
                );
            }
            if !sections.insert(section.name.as_str()) {
                return bad(format!("two sections are named {:?}", section.name));
            }
            let mut rows = HashSet::new();
            for row in &section.rows {
                if !rows.insert(row.row) {
                    return bad(format!("row {} is twice in one section", row.row));
                }
                let mut numbers = HashSet::new();
                for seat in row.runs.iter().flatten() {
                    if !numbers.insert(seat.number) || seat.number == 0 {
                        return bad(format!(
                            "row {}: seat number {} is 0 or given twice",
                            row.row, seat.number
                        ));
                    }
                    if seat.category >= self.categories.len() {
                        return bad(format!(
                            "row {}: seat {} has no category",
                            row.row, seat.number
                        ));
                    }
                }
            }
        }
        match self.len() {
            0 => bad("a venue needs at least one seat".into()),
            n if n > SeatMap::MAX_SEATS => {
                bad(format!("a venue has at most {} seats", SeatMap::MAX_SEATS))
            }
            _ => Ok(()),
        }
    }
}

/// A seat map is a venue of one section ([`Venue::from_seat_map`]).
impl From<SeatMap> for Venue {
    fn from(map: SeatMap) -> Self {
        Self::from_seat_map(&map)
    }
}

/// A venue from the compact notation of a [`SeatMap`], `"A-F:1-10:10000"`.
impl std::str::FromStr for Venue {
    type Err = crate::Error;

    fn from_str(text: &str) -> crate::Result<Self> {
        Ok(Self::from_seat_map(&text.parse::<SeatMap>()?))
    }
}

fn price_name(cents: i64) -> String {
    format!("${}.{:02}", cents / 100, cents % 100)
}

/// The rank of a seat `dx` along and `dy` back from its focal point.
fn rank(dx: f64, dy: f64) -> u32 {
    let scaled = (4.0 * (dx * dx + dy * dy)).round();
    if scaled >= f64::from(u32::MAX) {
        u32::MAX
    } else {
        // In range and not negative: a sum of squares, rounded.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let rank = scaled as u32;
        rank
    }
}

fn depth_f64(depth: usize) -> f64 {
    f64::from(u32::try_from(depth).unwrap_or(u32::MAX))
}

/// The middle of numbers laid one unit apart.
fn middle(numbers: &[u32]) -> f64 {
    match (numbers.first(), numbers.last()) {
        (Some(&a), Some(&b)) => f64::midpoint(f64::from(a), f64::from(b)),
        _ => 0.0,
    }
}

/// `serde_json`'s message without its " at line 3 column 7" (the error has
/// its own line).
fn without_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message.to_owned(),
    }
}

// ---- checking a file -------------------------------------------------------

/// A seat laid out, before its rank is known.
struct Laid {
    seat: VenueSeat,
    x: f64,
}

#[derive(Default)]
struct Builder {
    total: usize,
}

impl Builder {
    fn build(&mut self, file: &VenueFile) -> Result<Venue, VenueError> {
        let categories = categories(&file.categories)?;
        if file.sections.is_empty() {
            return Err(error("sections", "a venue needs at least one section"));
        }
        let mut names = HashSet::new();
        let mut sections = Vec::with_capacity(file.sections.len());
        for (i, section) in file.sections.iter().enumerate() {
            let path = format!("sections[{i}] ({})", section.name);
            check_name(&path, &section.name)?;
            if !names.insert(section.name.as_str()) {
                return Err(error(&path, "another section has this name"));
            }
            sections.push(self.section(&path, section, &categories)?);
        }
        Ok(Venue {
            categories,
            sections,
        })
    }

    fn section(
        &mut self,
        path: &str,
        file: &SectionFile,
        categories: &[Category],
    ) -> Result<Section, VenueError> {
        if file.rows.is_empty() {
            return Err(error(path, "a section needs at least one row"));
        }
        let mut laid: Vec<(Row, Vec<Vec<Laid>>, &RowFile, String)> = Vec::new();
        let mut labels = HashSet::new();
        for (i, row_file) in file.rows.iter().enumerate() {
            let row_path = format!("{path}.rows[{i}] ({})", row_file.label);
            for row in row_labels(&row_path, &row_file.label)? {
                if !labels.insert(row) {
                    return Err(error(&row_path, format!("row {row} is defined twice")));
                }
                let runs = self.row(&row_path, row_file, file, categories)?;
                laid.push((row, runs, row_file, row_path.clone()));
            }
        }
        let focal = file.focal_point.unwrap_or_else(|| {
            let front = laid[0].1.iter().flatten().map(|s| s.x);
            let (low, high) =
                front.fold((f64::MAX, f64::MIN), |(lo, hi), x| (lo.min(x), hi.max(x)));
            Point {
                x: f64::midpoint(low, high),
                y: 0.0,
            }
        });
        let mut rows = Vec::with_capacity(laid.len());
        for (depth, (row, runs, row_file, row_path)) in laid.into_iter().enumerate() {
            let explicit = ranks(&row_path, row_file)?;
            let runs = runs
                .into_iter()
                .map(|run| {
                    run.into_iter()
                        .map(|Laid { mut seat, x }| {
                            seat.rank = match explicit.get(&seat.number) {
                                Some(&rank) => rank,
                                None => rank(x - focal.x, depth_f64(depth) - focal.y)
                                    .saturating_add(file.rank_offset),
                            };
                            seat
                        })
                        .collect()
                })
                .collect();
            rows.push(VenueRow { row, runs });
        }
        Ok(Section {
            name: file.name.clone(),
            position: file.position,
            rows,
        })
    }

    /// The seats of one row, laid out left to right, ranks not yet set.
    fn row(
        &mut self,
        path: &str,
        file: &RowFile,
        section: &SectionFile,
        categories: &[Category],
    ) -> Result<Vec<Vec<Laid>>, VenueError> {
        if file.seats.is_empty() {
            return Err(error(path, "a row needs at least one run of seats"));
        }
        let overrides = category_overrides(path, file, categories)?;
        let default = file
            .category
            .as_ref()
            .or(section.category.as_ref())
            .map(|name| category_index(path, name, categories))
            .transpose()?;
        let mut seen = HashSet::new();
        let mut x = file.offset;
        let mut runs = Vec::with_capacity(file.seats.len());
        for (i, text) in file.seats.iter().enumerate() {
            let numbers = run_numbers(&format!("{path}.seats[{i}]"), text)?;
            let mut run = Vec::with_capacity(numbers.len());
            for number in numbers {
                if !seen.insert(number) {
                    return Err(error(path, format!("seat {number} is in the row twice")));
                }
                let Some(category) = overrides.get(&number).copied().or(default) else {
                    return Err(error(
                        path,
                        format!("seat {number} has no category: give the row or the section one"),
                    ));
                };
                run.push(Laid {
                    seat: VenueSeat {
                        number,
                        category,
                        accessible: file.accessible.contains(&number),
                        companion: file.companion.contains(&number),
                        restricted_view: file.restricted_view.contains(&number),
                        rank: 0,
                    },
                    x,
                });
                x += 1.0;
            }
            runs.push(run);
            x += 1.0; // the aisle
        }
        for (field, numbers) in [
            ("accessible", &file.accessible),
            ("companion", &file.companion),
            ("restricted_view", &file.restricted_view),
        ] {
            if let Some(missing) = numbers.iter().find(|n| !seen.contains(n)) {
                return Err(error(
                    &format!("{path}.{field}"),
                    format!("the row has no seat {missing}"),
                ));
            }
        }
        if let Some(missing) = overrides.keys().find(|n| !seen.contains(n)) {
            return Err(error(
                &format!("{path}.categories"),
                format!("the row has no seat {missing}"),
            ));
        }
        self.total += seen.len();
        if self.total > SeatMap::MAX_SEATS {
            return Err(error(
                path,
                format!("a venue has at most {} seats", SeatMap::MAX_SEATS),
            ));
        }
        Ok(runs)
    }
}

fn categories(files: &[CategoryFile]) -> Result<Vec<Category>, VenueError> {
    if files.is_empty() {
        return Err(error("categories", "a venue needs at least one category"));
    }
    if files.len() > MAX_CATEGORIES {
        return Err(error(
            "categories",
            format!("a venue has at most {MAX_CATEGORIES} categories"),
        ));
    }
    let mut names = HashSet::new();
    files
        .iter()
        .enumerate()
        .map(|(i, file)| {
            let path = format!("categories[{i}] ({})", file.name);
            check_name(&path, &file.name)?;
            if !names.insert(file.name.as_str()) {
                return Err(error(&path, "another category has this name"));
            }
            if !(0..=SeatMap::MAX_PRICE_CENTS).contains(&file.price_cents) {
                return Err(error(
                    &format!("{path}.price_cents"),
                    format!("a price is 0 to {} cents", SeatMap::MAX_PRICE_CENTS),
                ));
            }
            let color = match &file.color {
                Some(color) if is_color(color) => color.to_ascii_lowercase(),
                Some(color) => {
                    return Err(error(
                        &format!("{path}.color"),
                        format!("{color:?} is not a colour like \"#1f6fb2\""),
                    ));
                }
                None => PALETTE[i % PALETTE.len()].to_owned(),
            };
            Ok(Category {
                name: file.name.clone(),
                price_cents: file.price_cents,
                color,
            })
        })
        .collect()
}

fn is_color(text: &str) -> bool {
    text.len() == 7 && text.starts_with('#') && text[1..].bytes().all(|b| b.is_ascii_hexdigit())
}

fn check_name(path: &str, name: &str) -> Result<(), VenueError> {
    if name.trim().is_empty() || name.chars().count() > 100 {
        return Err(error(path, "a name is 1 to 100 characters, not blank"));
    }
    Ok(())
}

fn category_index(path: &str, name: &str, categories: &[Category]) -> Result<usize, VenueError> {
    categories
        .iter()
        .position(|c| c.name == name)
        .ok_or_else(|| error(path, format!("category {name:?} is not defined")))
}

/// The row's per-seat categories, by seat number.
fn category_overrides(
    path: &str,
    file: &RowFile,
    categories: &[Category],
) -> Result<BTreeMap<u32, usize>, VenueError> {
    let mut overrides = BTreeMap::new();
    for (numbers, name) in &file.categories {
        let at = format!("{path}.categories[{numbers:?}]");
        let category = category_index(&at, name, categories)?;
        for number in run_numbers(&at, numbers)? {
            overrides.insert(number, category);
        }
    }
    Ok(overrides)
}

/// The row's explicit ranks, by seat number.
fn ranks(path: &str, file: &RowFile) -> Result<BTreeMap<u32, u32>, VenueError> {
    let mut ranks = BTreeMap::new();
    for (number, &rank) in &file.ranks {
        let at = format!("{path}.ranks[{number:?}]");
        let number: u32 = number
            .parse()
            .map_err(|_| error(&at, format!("{number:?} is not a seat number")))?;
        ranks.insert(number, rank);
    }
    Ok(ranks)
}

/// The rows of a label: `"C"`, or a range `"B-D"`.
fn row_labels(path: &str, label: &str) -> Result<Vec<Row>, VenueError> {
    let parse = |text: &str| {
        text.trim()
            .parse::<Row>()
            .map_err(|_| error(path, format!("{text:?} is not a row label (A to ZZZ)")))
    };
    let (first, last) = label.split_once('-').unwrap_or((label, label));
    let (first, last) = (parse(first)?, parse(last)?);
    if first > last {
        return Err(error(path, format!("rows {label:?} run backwards")));
    }
    Ok((first.index()..=last.index())
        .filter_map(Row::from_index)
        .collect())
}

/// The seat numbers of a run, in order: `"7"`, `"1-10"`, `"10-1"`,
/// `"1-19 odd"`, `"2-20 even"`.
fn run_numbers(path: &str, text: &str) -> Result<Vec<u32>, VenueError> {
    let bad = || {
        error(
            path,
            format!(
                "{text:?} is not a seat number, a range (\"1-10\") or a range of odd or even numbers (\"1-19 odd\")"
            ),
        )
    };
    let (range, parity) = match text.trim().split_once(' ') {
        Some((range, "odd")) => (range, Some(1)),
        Some((range, "even")) => (range, Some(0)),
        Some(_) => return Err(bad()),
        None => (text.trim(), None),
    };
    let number = |t: &str| t.trim().parse::<u32>().ok().filter(|&n| n > 0);
    let (first, last) = range.split_once('-').unwrap_or((range, range));
    let (first, last) = (
        number(first).ok_or_else(bad)?,
        number(last).ok_or_else(bad)?,
    );
    if first.abs_diff(last) >= 10_000 {
        return Err(error(path, "a run has at most 10,000 seats"));
    }
    let mut numbers: Vec<u32> = if first <= last {
        (first..=last).collect()
    } else {
        (last..=first).rev().collect()
    };
    if let Some(parity) = parity {
        if first % 2 != parity || last % 2 != parity {
            return Err(error(
                path,
                format!(
                    "{text:?}: both ends must be {}",
                    if parity == 1 { "odd" } else { "even" }
                ),
            ));
        }
        numbers.retain(|n| n % 2 == parity);
    }
    Ok(numbers)
}

fn error(path: &str, message: impl Into<String>) -> VenueError {
    VenueError {
        path: path.to_owned(),
        line: None,
        message: message.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HALL: &str = r##"{
      "name": "Small hall",
      "categories": [
        {"name": "Premium", "price_cents": 15000, "color": "#7B3FA0"},
        {"name": "Standard", "price_cents": 9000}
      ],
      "sections": [{
        "name": "Stalls",
        "category": "Standard",
        "rows": [
          {"label": "A", "seats": ["1-4", "5-12", "13-16"], "category": "Premium",
           "accessible": [1], "companion": [2]},
          {"label": "B-D", "seats": ["1-19 odd", "2-20 even"],
           "categories": {"1-3": "Premium"}, "ranks": {"2": 0}}
        ]
      }]
    }"##;

    #[test]
    fn a_file_becomes_sections_rows_runs_and_seats() {
        let venue = Venue::from_json(HALL).unwrap();
        assert_eq!(venue.len(), 16 + 3 * 20);
        assert_eq!(venue.categories[0].color, "#7b3fa0");
        assert_eq!(venue.categories[1].color, PALETTE[1]);
        let rows = &venue.sections[0].rows;
        assert_eq!(rows.len(), 4);
        assert_eq!(rows[0].runs.len(), 3);
        let a1 = rows[0].runs[0][0];
        assert!(a1.accessible && !a1.companion);
        assert!(rows[0].runs[0][1].companion);
        let b: Vec<u32> = rows[1].runs[0].iter().map(|s| s.number).collect();
        assert_eq!(b, (1..=19).step_by(2).collect::<Vec<_>>());
        assert_eq!(rows[1].runs[0][0].category, 0, "B1 is Premium by override");
        assert_eq!(rows[1].runs[0][2].category, 1, "B5 is Standard");
        assert_eq!(rows[1].runs[1][0].rank, 0, "B2's rank is set outright");
        assert_eq!(venue.label(0, rows[0].row, 1), "A1");
    }

    #[test]
    fn the_middle_of_the_front_row_ranks_best_and_ties_are_exact() {
        let venue = Venue::from_json(HALL).unwrap();
        // Row A: 4 + aisle + 8 + aisle + 4 seats, x from 0 to 17; its
        // middle is 8.5, between seats 8 and 9.
        let a = &venue.sections[0].rows[0];
        let middle = &a.runs[1];
        let (eight, nine) = (middle[3], middle[4]);
        assert_eq!((eight.number, nine.number), (8, 9));
        assert_eq!(eight.rank, nine.rank, "mirror seats rank alike");
        let best = a.runs.iter().flatten().map(|s| s.rank).min().unwrap();
        assert_eq!(best, eight.rank);
        let c = &venue.sections[0].rows[2];
        assert!(c.runs[0][4].rank > eight.rank, "further back is worse");
    }

    #[test]
    fn errors_name_the_place_and_the_problem() {
        let bad = |text: &str| Venue::from_json(text).unwrap_err().to_string();
        let with = |row: &str| {
            format!(
                r#"{{"categories": [{{"name": "S", "price_cents": 100}}],
                   "sections": [{{"name": "Main", "category": "S", "rows": [{row}]}}]}}"#
            )
        };
        assert_eq!(
            bad(&with(r#"{"label": "A", "seats": ["1-x"]}"#)),
            r#"sections[0] (Main).rows[0] (A).seats[0]: "1-x" is not a seat number, a range ("1-10") or a range of odd or even numbers ("1-19 odd")"#
        );
        assert_eq!(
            bad(&with(r#"{"label": "A", "seats": ["1-4", "3-6"]}"#)),
            "sections[0] (Main).rows[0] (A): seat 3 is in the row twice"
        );
        assert_eq!(
            bad(&with(
                r#"{"label": "A", "seats": ["1-4"], "category": "VIP"}"#
            )),
            r#"sections[0] (Main).rows[0] (A): category "VIP" is not defined"#
        );
        assert_eq!(
            bad(&with(
                r#"{"label": "A", "seats": ["1-4"], "accessible": [9]}"#
            )),
            "sections[0] (Main).rows[0] (A).accessible: the row has no seat 9"
        );
        assert_eq!(
            bad(&with(
                r#"{"label": "A-B", "seats": ["1"]}, {"label": "B", "seats": ["1"]}"#
            )),
            "sections[0] (Main).rows[1] (B): row B is defined twice"
        );
        assert_eq!(
            bad(&with(r#"{"label": "A", "seats": ["1"], "colour": "red"}"#)),
            "sections[0].rows[0].colour (line 2): unknown field `colour`, expected one of `label`, `seats`, `offset`, `category`, `categories`, `accessible`, `companion`, `restricted_view`, `ranks`"
        );
        assert!(bad("{\"categories\": [}").contains("line 1"));
        assert_eq!(
            bad(r#"{"categories": [{"name": "S", "price_cents": -1}], "sections": []}"#),
            "categories[0] (S).price_cents: a price is 0 to 10000000000 cents"
        );
    }

    #[test]
    fn a_seat_map_is_one_section_with_a_category_per_price() {
        let map: SeatMap = "A-B:1-4:10000,C:1-4:5000,C:6-7:5000".parse().unwrap();
        let venue = Venue::from_seat_map(&map);
        assert_eq!(venue.len(), map.len());
        let names: Vec<&str> = venue.categories.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["$100.00", "$50.00"]);
        let c = &venue.sections[0].rows[2];
        assert_eq!(c.runs.len(), 2, "seat 5 is missing: a gap");
        assert_eq!(c.runs[0][0].category, 1);
        assert_eq!(venue.label(0, c.row, 6), "C6");
    }

    #[test]
    fn several_sections_label_seats_with_the_section() {
        let text = r#"{"categories": [{"name": "S", "price_cents": 100}],
            "sections": [
              {"name": "Stalls", "category": "S", "rows": [{"label": "A", "seats": ["1-2"]}]},
              {"name": "Balcony", "category": "S", "rank_offset": 1000,
               "rows": [{"label": "A", "seats": ["1-2"]}]}]}"#;
        let venue = Venue::from_json(text).unwrap();
        let a = venue.sections[1].rows[0].row;
        assert_eq!(venue.label(1, a, 1), "Balcony A1");
        assert!(venue.sections[1].rows[0].runs[0][0].rank >= 1000);
    }
}
