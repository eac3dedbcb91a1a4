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
//! independent of the runtime that polls them. A job costs two thread
//! wake-ups, as `spawn_blocking` does when called from a task.

use std::collections::VecDeque;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;

use booking_core::{Error, Result};
use rusqlite::Connection;
use tokio::sync::oneshot;

use crate::error::BACKEND;

/// Work for a connection's thread.
type Job = Box<dyn FnOnce(&mut Connection) + Send>;

/// The connections of a store, each on its own thread. Dropping it closes
/// the queues and waits for the threads to finish the jobs already sent
/// and close their connections.
pub(crate) struct Connections {
    /// Jobs for the read-only connections; `None` when there are none (an
    /// in-memory database, whose one connection does everything).
    readers: Option<Arc<JobQueue>>,
    /// Jobs for the writer.
    writer: Arc<JobQueue>,
    /// The writer's thread, which outlives the readers' (see [`serve`]).
    writer_thread: Option<JoinHandle<()>>,
}

impl Connections {
    /// Starts a thread for each connection.
    pub(crate) fn start(writer: Connection, readers: Vec<Connection>) -> std::io::Result<Self> {
        // If a thread cannot start, dropping `connections` closes the queues,
        // which ends the threads already started.
        let mut connections = Self {
            readers: (!readers.is_empty()).then(|| Arc::new(JobQueue::default())),
            writer: Arc::new(JobQueue::default()),
            writer_thread: None,
        };
        let mut reader_threads = Vec::with_capacity(readers.len());
        if let Some(queue) = &connections.readers {
            for (i, conn) in readers.into_iter().enumerate() {
                let jobs = Arc::clone(queue);
                let name = format!("sqlite-reader-{i}");
                reader_threads.push(spawn(name, move || serve_queue(conn, &jobs))?);
            }
        }
        let jobs = Arc::clone(&connections.writer);
        connections.writer_thread = Some(spawn("sqlite-writer".to_owned(), move || {
            serve(writer, &jobs, reader_threads);
        })?);
        Ok(connections)
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

impl Drop for Connections {
    fn drop(&mut self) {
        if let Some(readers) = &self.readers {
            readers.close();
        }
        self.writer.close();
        if let Some(thread) = self.writer_thread.take() {
            let _ = thread.join();
        }
    }
}

/// Jobs waiting for a connection, taken in order by the threads that serve
/// them. A mutex and a condition variable rather than a channel: several
/// threads wait on one queue, and closing it is explicit (the threads finish
/// what is queued, then stop).
#[derive(Default)]
struct JobQueue {
    pending: Mutex<Pending>,
    ready: Condvar,
}

#[derive(Default)]
struct Pending {
    jobs: VecDeque<Job>,
    closed: bool,
}

impl JobQueue {
    /// Adds `job`; gives it back if the queue is closed.
    fn push(&self, job: Job) -> Result<(), Job> {
        let mut pending = self.lock();
        if pending.closed {
            return Err(job);
        }
        pending.jobs.push_back(job);
        drop(pending);
        self.ready.notify_one();
        Ok(())
    }

    /// The next job, waiting for one; `None` once the queue is closed and
    /// every job sent before has been taken.
    fn pop(&self) -> Option<Job> {
        let mut pending = self.lock();
        loop {
            if let Some(job) = pending.jobs.pop_front() {
                return Some(job);
            }
            if pending.closed {
                return None;
            }
            pending = self
                .ready
                .wait(pending)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// Refuses new jobs; the threads finish the queued ones and stop.
    fn close(&self) {
        self.lock().closed = true;
        self.ready.notify_all();
    }

    /// The queue's state. Nothing panics while holding it, so a poisoned
    /// lock still guards a consistent queue.
    fn lock(&self) -> MutexGuard<'_, Pending> {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Sends `f` to `queue` and awaits its answer. A caller that stops waiting
/// does not stop the job: it runs to its end (its transaction committed or
/// rolled back) and its answer is dropped.
async fn run_on<T: Send + 'static>(
    queue: &JobQueue,
    f: impl FnOnce(&mut Connection) -> Result<T> + Send + 'static,
) -> Result<T> {
    let (answer, answered) = oneshot::channel();
    let job: Job = Box::new(move |conn| {
        // The caller may have stopped waiting; nobody is left to tell.
        let _ = answer.send(f(conn));
    });
    queue
        .push(job)
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
fn serve(mut conn: Connection, jobs: &JobQueue, readers: Vec<JoinHandle<()>>) {
    while let Some(job) = jobs.pop() {
        run(&mut conn, job);
    }
    for reader in readers {
        let _ = reader.join();
    }
}

/// A reader's thread: runs jobs from the queue the readers share until it
/// closes.
fn serve_queue(mut conn: Connection, jobs: &JobQueue) {
    while let Some(job) = jobs.pop() {
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
    async fn jobs_run_on_the_connections_threads() {
        let connections = connections(3);
        let name = |_: &mut Connection| Ok(std::thread::current().name().map(ToOwned::to_owned));
        let reader = connections.on_reader(name).await.unwrap().unwrap();
        assert!(reader.starts_with("sqlite-reader-"), "{reader}");
        let writer = connections.on_writer(name).await.unwrap();
        assert_eq!(writer.as_deref(), Some("sqlite-writer"));
    }
}
