//! The administration commands: `user add` and `event add`.

use std::io::BufRead;

use anyhow::{Context, anyhow};
use booking_core::{NewEvent, OrphanPolicy, Store};
use booking_http::NewAccount;

use crate::cli::EventArgs;

/// `user add NAME`: creates a user with the password read from standard
/// input, under the same rules as sign-up over the API.
pub async fn add_user<S: Store>(store: &S, name: String) -> anyhow::Result<()> {
    let account = NewAccount::new(name, read_password()?).context("cannot create the user")?;
    let user = account
        .create(store)
        .await
        .map_err(|e| anyhow!("cannot create the user: {e}"))?;
    println!("created user {} (id {})", user.username, user.id);
    Ok(())
}

/// One line of standard input, without its line ending.
fn read_password() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the password from standard input")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

/// `event add`: creates an event with its seats.
pub async fn add_event<S: Store>(store: &S, args: EventArgs) -> anyhow::Result<()> {
    let (seating, venue_name) = args.seating.venue()?;
    let event = store
        .create_event(NewEvent {
            name: args.name,
            description: args.description,
            venue: args.location.unwrap_or(venue_name),
            starts_at: args.starts_at,
            seating,
            orphans: if args.refuse_orphans {
                OrphanPolicy::Refuse
            } else {
                OrphanPolicy::Allow
            },
        })
        .await
        .context("cannot create the event")?;
    println!(
        "created event {} (id {}) with {} seats in {} section(s)",
        event.event.name,
        event.event.id,
        event.total_seats,
        event.sections.len()
    );
    Ok(())
}
