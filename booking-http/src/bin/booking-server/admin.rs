//! The administration commands: `user add`, `user set-staff` and `event add`.

use std::io::BufRead;

use anyhow::{Context, anyhow};
use booking_core::{NewEvent, OrphanPolicy, Store};
use booking_http::NewAccount;

use crate::cli::EventArgs;

/// `user add NAME [--staff]`: creates a user with the password read from
/// standard input, under the same rules as sign-up over the API; with
/// `staff`, then makes them staff (a failure between the two leaves a
/// customer, never more rights than asked for).
pub async fn add_user<S: Store>(store: &S, name: String, staff: bool) -> anyhow::Result<()> {
    let account = NewAccount::new(name, read_password()?).context("cannot create the user")?;
    let mut user = account
        .create(store)
        .await
        .map_err(|e| anyhow!("cannot create the user: {e}"))?;
    if staff {
        user = store
            .set_staff(user.id, true)
            .await
            .context("created the user, as a customer, but cannot make them staff")?;
    }
    println!(
        "created user {} (id {}), {}",
        user.username,
        user.id,
        role(staff)
    );
    Ok(())
}

/// `user set-staff NAME true|false`: makes a user staff or a customer.
pub async fn set_staff<S: Store>(store: &S, name: &str, staff: bool) -> anyhow::Result<()> {
    let found = store
        .credentials(name)
        .await
        .context("cannot read the user")?
        .ok_or_else(|| anyhow!("there is no user {name:?} (names match as registered)"))?;
    let user = store
        .set_staff(found.user.id, staff)
        .await
        .context("cannot change the user's role")?;
    println!("{} (id {}) is now {}", user.username, user.id, role(staff));
    Ok(())
}

/// How a role reads in the commands' output.
fn role(staff: bool) -> &'static str {
    if staff { "staff" } else { "a customer" }
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
            created_by: None,
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
