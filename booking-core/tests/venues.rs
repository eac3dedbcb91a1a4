//! The example venues (`examples/venues/`) load, have what they promise,
//! and match the venue file's JSON Schema (`docs/venue.schema.json`); the
//! schema refuses what the loader refuses for shape.

use std::path::PathBuf;

use booking_core::SeatId;
use booking_core::best::{Place, PlaceRow, Request, best_available};
use booking_core::venue::Venue;
use serde_json::Value;

fn repository() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn read(path: &str) -> String {
    std::fs::read_to_string(repository().join(path)).unwrap()
}

fn schema() -> jsonschema::Validator {
    let schema: Value = serde_json::from_str(&read("docs/venue.schema.json")).unwrap();
    jsonschema::validator_for(&schema).unwrap()
}

#[test]
fn the_concert_hall_has_three_sections_three_categories_and_twelve_wheelchair_spaces() {
    let text = read("examples/venues/concert-hall.json");
    assert!(schema().is_valid(&serde_json::from_str(&text).unwrap()));
    let venue = Venue::from_json(&text).unwrap();
    assert_eq!(venue.len(), 1_200);
    assert_eq!(venue.sections.len(), 3);
    assert_eq!(venue.categories.len(), 3);
    let accessible = venue.seats().filter(|(_, _, s)| s.accessible).count();
    let companions = venue.seats().filter(|(_, _, s)| s.companion).count();
    assert_eq!((accessible, companions), (12, 12));
    // Every wheelchair space has a companion seat beside it.
    for section in &venue.sections {
        for row in &section.rows {
            for run in &row.runs {
                for (i, seat) in run.iter().enumerate() {
                    if seat.accessible {
                        let beside = [i.checked_sub(1), Some(i + 1)]
                            .into_iter()
                            .flatten()
                            .filter_map(|j| run.get(j));
                        assert!(
                            beside.into_iter().any(|s| s.companion),
                            "{} {}{}",
                            section.name,
                            row.row,
                            seat.number
                        );
                    }
                }
            }
        }
    }
    assert!(
        venue
            .sections
            .iter()
            .all(|s| s.rows.iter().any(|r| r.runs.len() > 1)),
        "aisles"
    );
}

#[test]
fn the_stadium_has_sixty_thousand_seats_in_over_a_hundred_blocks() {
    let text = read("examples/venues/stadium.json");
    assert!(schema().is_valid(&serde_json::from_str(&text).unwrap()));
    let venue = Venue::from_json(&text).unwrap();
    assert_eq!(venue.len(), 60_000);
    assert!(venue.sections.len() > 100);
    let labels: std::collections::HashSet<String> = venue
        .seats()
        .map(|(section, row, seat)| venue.label(section, row, seat.number))
        .collect();
    assert_eq!(labels.len(), 60_000, "labels are unique");
}

/// The crate carries its own copies of the example venues
/// ([`booking_core::venue::examples`]), so that it builds as a package:
/// they must stay the files of `examples/venues/`.
#[test]
fn the_crate_carries_the_example_venues_unchanged() {
    use booking_core::venue::examples::{CONCERT_HALL, STADIUM};
    for (copy, file) in [
        (CONCERT_HALL, "examples/venues/concert-hall.json"),
        (STADIUM, "examples/venues/stadium.json"),
    ] {
        assert!(
            copy == read(file),
            "booking-core/venues/ differs from {file}: copy the file there"
        );
    }
}

#[test]
fn the_schema_refuses_what_the_loader_refuses_for_shape() {
    let schema = schema();
    for bad in [
        r#"{"sections": []}"#,
        r#"{"categories": [{"name": "S", "price_cents": 1}], "sections": [{"name": "M", "rows": [{"label": "A", "seats": ["1-x"]}]}]}"#,
        r#"{"categories": [{"name": "S", "price_cents": 1, "colour": "red"}], "sections": []}"#,
        r#"{"categories": [{"name": "S", "price_cents": -5}], "sections": [{"name": "M", "rows": [{"label": "A", "seats": ["1"]}]}]}"#,
    ] {
        let value: Value = serde_json::from_str(bad).unwrap();
        assert!(!schema.is_valid(&value), "the schema accepts {bad}");
        assert!(Venue::from_json(bad).is_err(), "the loader accepts {bad}");
    }
}

#[test]
fn best_available_on_the_hall_takes_the_middle_of_the_front_premium_row() {
    let venue = Venue::from_json(&read("examples/venues/concert-hall.json")).unwrap();
    let premium = 0;
    let mut id = 0;
    let mut ids = Vec::new();
    let rows: Vec<PlaceRow> = venue
        .sections
        .iter()
        .enumerate()
        .flat_map(|(s, section)| {
            section
                .rows
                .iter()
                .enumerate()
                .map(move |(r, row)| (s, r, row))
        })
        .map(|(s, r, row)| PlaceRow {
            section: u32::try_from(s).unwrap(),
            row: u32::try_from(r).unwrap(),
            runs: row
                .runs
                .iter()
                .map(|run| {
                    run.iter()
                        .map(|seat| {
                            id += 1;
                            ids.push(venue.label(s, row.row, seat.number));
                            Place {
                                seat: SeatId::new(id),
                                rank: seat.rank,
                                free: true,
                                wanted: seat.category == premium,
                                accessible: seat.accessible,
                            }
                        })
                        .collect()
                })
                .collect(),
        })
        .collect();
    let label = |seat: &SeatId| ids[usize::try_from(seat.get() - 1).unwrap()].clone();
    let four = best_available(
        &rows,
        Request {
            count: 4,
            wheelchair: None,
            allow_split: false,
        },
    )
    .unwrap();
    let labels: Vec<String> = four.iter().map(label).collect();
    assert_eq!(
        labels,
        [
            "Orchestra A17",
            "Orchestra A18",
            "Orchestra A19",
            "Orchestra A20"
        ]
    );
}

/// The stadium's layout, as a store builds it from its seats (ids in the
/// order an event numbers them).
fn stadium_layout() -> (Venue, booking_core::best::Layout) {
    use booking_core::best::{Layout, LayoutSeat, Position};
    let venue = Venue::from_json(&read("examples/venues/stadium.json")).unwrap();
    let index = |n: usize| u32::try_from(n).unwrap();
    let layout = Layout::new((1..).zip(venue.placed_seats()).map(|(id, p)| {
        (
            Position {
                section: index(p.section),
                line: index(p.line),
                run: index(p.run),
                place: index(p.place),
            },
            LayoutSeat {
                seat: SeatId::new(id),
                rank: p.seat.rank,
                category: index(p.seat.category),
                accessible: p.seat.accessible,
            },
        )
    }));
    (venue, layout)
}

/// Best available for four on the 60,000-seat stadium reads one row when
/// the best row is free and, as the best rows fill, the rows partly taken
/// (their static bound is low, so they must be looked at) and a batch more:
/// never the whole stadium. The answer is the one reading every row gives.
#[test]
fn best_available_on_the_stadium_reads_a_few_rows() {
    use booking_core::best::{Search, Wanted};
    let (venue, layout) = stadium_layout();
    assert_eq!(layout.len(), 60_000);
    let request = Request {
        count: 4,
        wheelchair: None,
        allow_split: false,
    };
    let every_row = |taken: &std::collections::HashSet<SeatId>| -> Vec<PlaceRow> {
        layout
            .rows()
            .iter()
            .map(|row| PlaceRow {
                section: row.section,
                row: row.line,
                runs: row
                    .runs
                    .iter()
                    .map(|run| {
                        run.iter()
                            .map(|s| Place {
                                seat: s.seat,
                                rank: s.rank,
                                free: !taken.contains(&s.seat),
                                wanted: true,
                                accessible: s.accessible,
                            })
                            .collect()
                    })
                    .collect(),
            })
            .collect()
    };
    let mut taken = std::collections::HashSet::new();
    for round in 0..50 {
        let mut search = Search::new(&layout, Wanted::default(), request);
        while search.next_seats().is_some() {
            search.visit(|seat| !taken.contains(&seat));
        }
        let answer = search.answer().expect("seats remain");
        assert_eq!(
            Some(answer.clone()),
            best_available(&every_row(&taken), request),
            "round {round}"
        );
        let partly_taken = layout
            .rows()
            .iter()
            .filter(|row| row.runs.iter().flatten().any(|s| taken.contains(&s.seat)))
            .count();
        if round == 0 {
            assert_eq!(search.rows_visited(), 1);
        }
        assert!(
            search.rows_visited() <= partly_taken + 1 + 8,
            "round {round}: {} rows read, {partly_taken} partly taken",
            search.rows_visited()
        );
        taken.extend(answer);
    }
    assert!(venue.sections.len() >= 100);
}
