//! [`Connections`]: each SQLite connection on a thread of its own.
//!
//! A connection's calls block, so none may run on an async worker. Each
//! connection lives on its own thread and runs the jobs sent to it one
//! after another; a caller sends a job and awaits its answer. The writer
//! has a queue of its own; the readers share one, and whichever is free
//! takes the next job.
//!
//! Fixed threads rather than tokio's blocking pool: the pool starts a new
//! thread whenever no idle one is at hand at that instant, so under load
//! it kept 30-40 threads for 5 connections, each with its own allocator
//! caches (1,000 sessions on a 100,000-seat event: 85-102 MB resident,
//! 75-77 MB with the threads bounded). It also makes the store's futures
//! independent of the runtime that polls them.

use std::panic::AssertUnwindSafe;
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use booking_core::{Error, Result};
use rusqlite::Connection;
use tokio::sync::oneshot;

use crate::error::BACKEND;

/// Work for a connection's thread.
type Job = Box<dyn FnOnce(&mut Connection) + Send>;

/// The connections of a store, each on its own thread.
pub(crate) struct Connections {
    /// Jobs for the read-only connections; `None` when there are none (an
    /// in-memory database, whose one connection does everything).
    readers: Option<Sender<Job>>,
    /// Jobs for the writer.
    writer: Sender<Job>,
    /// Declared after the queues, which are closed (dropped) before it:
    /// then it waits for the threads to finish their jobs and close the
    /// connections.
    _threads: JoinOnDrop,
}

impl Connections {
    /// Starts a thread for each connection.
    pub(crate) fn start(writer: Connection, readers: Vec<Connection>) -> std::io::Result<Self> {
        let (reader_queue, reader_threads) = if readers.is_empty() {
            (None, Vec::new())
        } else {
            let (queue, jobs) = mpsc::channel::<Job>();
            let jobs = Arc::new(Mutex::new(jobs));
            let threads = readers
                .into_iter()
                .enumerate()
                .map(|(i, conn)| {
                    let jobs = Arc::clone(&jobs);
                    spawn(format!("sqlite-reader-{i}"), move || {
                        serve_shared(conn, &jobs);
                    })
                })
                .collect::<std::io::Result<Vec<_>>>()?;
            (Some(queue), threads)
        };
        let (writer_queue, jobs) = mpsc::channel::<Job>();
        let writer_thread = spawn("sqlite-writer".to_owned(), move || {
            serve(writer, &jobs, reader_threads);
        })?;
        Ok(Self {
            readers: reader_queue,
            writer: writer_queue,
            _threads: JoinOnDrop(Some(writer_thread)),
        })
    }

    /// Runs `f` on the writer and returns what it returns.
    pub(crate) async fn on_writer<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        run_on(&self.writer, f).await
    }

    /// Runs `f` on a reader (on the writer when there are none) and returns
    /// what it returns.
    pub(crate) async fn on_reader<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        run_on(self.readers.as_ref().unwrap_or(&self.writer), f).await
    }
}

/// Sends `f` to `queue` and awaits its answer. A caller that stops waiting
/// does not stop the job: it runs to its end (its transaction committed or
/// rolled back) and its answer is dropped.
async fn run_on<T: Send + 'static>(
    queue: &Sender<Job>,
    f: impl FnOnce(&mut Connection) -> Result<T> + Send + 'static,
) -> Result<T> {
    let (answer, answered) = oneshot::channel();
    let job: Job = Box::new(move |conn| {
        // The caller may have stopped waiting; nobody is left to tell.
        let _ = answer.send(f(conn));
    });
    queue
        .send(job)
        .map_err(|_| Error::storage(BACKEND, "the store is closed"))?;
    answered
        .await
        .map_err(|_| Error::storage(BACKEND, "a database task panicked"))?
}

fn spawn(name: String, body: impl FnOnce() + Send + 'static) -> std::io::Result<JoinHandle<()>> {
    std::thread::Builder::new().name(name).spawn(body)
}

/// The writer's thread: runs its jobs until the queue closes, then waits for
/// the readers' threads so that it closes its connection last. The last
/// connection to close checkpoints the WAL into the database file, which
/// read-only ones cannot.
fn serve(mut conn: Connection, jobs: &Receiver<Job>, readers: Vec<JoinHandle<()>>) {
    for job in jobs {
        run(&mut conn, job);
    }
    for reader in readers {
        let _ = reader.join();
    }
}

/// A reader's thread: takes the next job from the queue the readers share
/// until it closes.
fn serve_shared(mut conn: Connection, jobs: &Mutex<Receiver<Job>>) {
    loop {
        // Waiting for a job with the queue locked is the point: the other
        // readers are busy, or wait for the lock to take the job after.
        let next = match jobs.lock() {
            Ok(jobs) => jobs.recv(),
            Err(_) => return,
        };
        let Ok(job) = next else { return };
        run(&mut conn, job);
    }
}

/// Runs one job. One that panics drops its answer, which its caller reports
/// as a storage error; its transaction is rolled back and the thread serves
/// the next job.
fn run(conn: &mut Connection, job: Job) {
    let panicked = std::panic::catch_unwind(AssertUnwindSafe(|| job(conn))).is_err();
    if panicked && !conn.is_autocommit() {
        let _ = conn.execute_batch("ROLLBACK");
    }
}

/// Joins a thread when dropped.
struct JoinOnDrop(Option<JoinHandle<()>>);

impl Drop for JoinOnDrop {
    fn drop(&mut self) {
        if let Some(thread) = self.0.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn connections(readers: usize) -> Connections {
        let open = || Connection::open_in_memory().unwrap();
        Connections::start(open(), (0..readers).map(|_| open()).collect()).unwrap()
    }

    #[tokio::test]
    async fn a_job_that_panics_is_reported_and_the_connection_serves_on() {
        let connections = connections(0);
        let failed = connections
            .on_writer(|conn| -> Result<()> {
                conn.execute_batch("BEGIN; CREATE TABLE t (x);").unwrap();
                panic!("a bug in a job");
            })
            .await;
        assert!(matches!(failed, Err(Error::Storage { .. })), "{failed:?}");
        // The panicking job's transaction was rolled back.
        let tables: i64 = connections
            .on_writer(|conn| {
                assert!(conn.is_autocommit());
                Ok(conn
                    .query_row("SELECT COUNT(*) FROM sqlite_master", [], |r| r.get(0))
                    .unwrap())
            })
            .await
            .unwrap();
        assert_eq!(tables, 0);
    }

    #[tokio::test]
    async fn the_threads_are_fixed_and_named() {
        let connections = connections(3);
        let mut names = std::collections::HashSet::new();
        for _ in 0..50 {
            let name = connections
                .on_reader(|_| Ok(std::thread::current().name().map(ToOwned::to_owned)))
                .await
                .unwrap();
            names.insert(name.unwrap());
        }
        assert!(
            names.iter().all(|n| n.starts_with("sqlite-reader-")),
            "{names:?}"
        );
        assert!(names.len() <= 3, "{names:?}");
        let writer = connections
            .on_writer(|_| Ok(std::thread::current().name().map(ToOwned::to_owned)))
            .await
            .unwrap();
        assert_eq!(writer.as_deref(), Some("sqlite-writer"));
    }
}
