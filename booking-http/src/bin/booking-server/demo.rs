//! `--demo`: four events and three users in an empty database.

use anyhow::{Context, anyhow};
use booking_core::{NewEvent, OrphanPolicy, SeatMap, Store, Username, Venue};

/// The demo's concert hall, built into booking-core: 1,200 seats in three
/// sections, with aisles, three price categories and 12 wheelchair spaces.
const CONCERT_HALL: &str = booking_core::venue::examples::CONCERT_HALL;

/// Seeds an empty database: three events of 60 seats (rows A-F, seats 1-10,
/// $100.00), a concert in the concert hall ([`CONCERT_HALL`]) and the users
/// admin (staff), alice and bob (customers). A database with any event or any of those users
/// is left as it is.
pub async fn seed<S: Store>(store: &S) -> anyhow::Result<()> {
    let has_events = !store
        .events()
        .await
        .context("cannot read events")?
        .is_empty();
    let has_users = store
        .credentials("admin")
        .await
        .context("cannot read users")?
        .is_some();
    if has_events || has_users {
        tracing::info!("--demo: the database has data already; not seeding");
        return Ok(());
    }
    for (name, password) in [
        ("admin", "admin123"),
        ("alice", "alice123"),
        ("bob", "bob123"),
    ] {
        let user = create_demo_user(store, name, password).await?;
        if name == "admin" {
            store
                .set_staff(user.id, true)
                .await
                .context("cannot make the demo's admin staff")?;
        }
    }
    let today = chrono::Utc::now().date_naive();
    let grid = || -> anyhow::Result<Venue> { Ok(SeatMap::grid(6, 10, 10_000)?.into()) };
    let hall = Venue::from_json(CONCERT_HALL).context("the built-in concert hall")?;
    for (days, name, venue, description, seating) in [
        (
            7,
            "The Matrix",
            "Cinema 1",
            "The 1999 classic on the big screen.",
            grid()?,
        ),
        (
            14,
            "Taylor Swift",
            "Stadium",
            "The Eras Tour: three hours, forty-four songs.",
            grid()?,
        ),
        (
            21,
            "Python Conf",
            "Convention Center",
            "Talks and workshops for Python developers.",
            grid()?,
        ),
        (
            28,
            "Beethoven's Ninth",
            "Concert Hall",
            "The Philharmonic and its choir: Symphony No. 9, with the Ode to Joy.",
            hall,
        ),
    ] {
        let starts_at = (today + chrono::Days::new(days))
            .and_hms_opt(19, 0, 0)
            .expect("a valid time")
            .and_utc();
        store
            .create_event(NewEvent {
                name: name.into(),
                description: description.into(),
                venue: venue.into(),
                starts_at,
                seating,
                orphans: OrphanPolicy::Allow,
                created_by: None,
            })
            .await
            .context("cannot create a demo event")?;
    }
    tracing::info!("--demo: seeded 4 events and users admin, alice, bob");
    Ok(())
}

/// Creates a demo user. The demo's passwords are the README's, short and
/// known to all, so they skip the rules a sign-up's password must keep
/// ([`booking_http::NewAccount`]): demo accounts are for trying the app.
async fn create_demo_user<S: Store>(
    store: &S,
    name: &str,
    password: &str,
) -> anyhow::Result<booking_core::User> {
    let username = Username::new(name).context("a demo user name")?;
    let hash = booking_http::hash_password(password.to_owned())
        .await
        .map_err(|e| anyhow!("cannot hash the password: {e}"))?;
    store
        .create_user(&username, &hash)
        .await
        .context("cannot create a demo user")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_concert_hall_is_a_valid_venue() {
        let hall = Venue::from_json(CONCERT_HALL).unwrap();
        assert_eq!(hall.len(), 1_200);
        assert_eq!(hall.sections.len(), 3);
    }
}
