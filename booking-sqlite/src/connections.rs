//! [`Connections`]: each SQLite connection on a thread of its own, and the
//! writer's group commit.
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
//!
//! # Group commit
//!
//! Under `synchronous=FULL` every commit waits for an `fsync`, which costs
//! far more than the work of a write. So the writer commits writes in
//! batches ([`Connections::write`]): it takes the write waiting at the head
//! of its queue, opens one `BEGIN IMMEDIATE` transaction, and runs that
//! write and every write queued behind it, each inside a `SAVEPOINT` of its
//! own. A write that fails (a rule refused it, or SQLite did) rolls back to
//! its savepoint only; the others keep their changes. One `COMMIT`, one
//! `fsync`, then answers them all. Nobody hears back before that commit
//! has returned, so an `Ok` is as durable as the `synchronous` setting
//! makes a commit.
//!
//! Writes pile up (and share a commit) while the previous commit is being
//! synced; the writer takes what is queued. It waits for more only while a
//! batch is smaller than the one before it: under load, the writers that
//! the last commit answered are about to send their next writes, and
//! committing without them would cost each of them a sync of its own.
//! After a lone write it never waits, so a lone write is committed at once
//! (the first one after a burst may wait out one batch's time). A batch is
//! bounded in writes and in time ([`BatchLimits`]), which bounds the wait of
//! its first write.
//!
//! If the batch's transaction ends badly, no write of it is answered `Ok`:
//! a failed `COMMIT`, or a write that leaves the transaction rolled back
//! under the others' feet (SQLite does so on some I/O errors), answers
//! every write of the batch with a storage error.

use std::collections::VecDeque;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use booking_core::{Error, Result};
use rusqlite::Connection;
use tokio::sync::oneshot;

use crate::error::{BACKEND, storage};

/// Work for a connection's thread.
type Job = Box<dyn FnOnce(&mut Connection) + Send>;

/// Work for the writer: a job run on its own, or a write that joins a batch.
enum Task {
    /// Runs alone, outside any batch (reads, on an in-memory database).
    Alone(Job),
    /// Runs inside a savepoint of a batch's transaction.
    Write(Box<dyn BatchedWrite>),
}

/// How large a batch of writes may grow before it is committed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct BatchLimits {
    /// At most this many writes share a commit (1: each write alone).
    pub(crate) writes: usize,
    /// No write joins a batch whose writes have run this long already.
    pub(crate) time: Duration,
}

/// The connections of a store, each on its own thread. Dropping it closes
/// the queues and waits for the threads to finish the jobs already sent
/// and close their connections.
pub(crate) struct Connections {
    /// Jobs for the read-only connections; `None` when there are none (an
    /// in-memory database, whose one connection does everything).
    readers: Option<Arc<JobQueue<Job>>>,
    /// Jobs for the writer.
    writer: Arc<JobQueue<Task>>,
    /// The writer's thread, which outlives the readers' (see [`serve`]).
    writer_thread: Option<JoinHandle<()>>,
}

impl Connections {
    /// Starts a thread for each connection; the writer commits its writes
    /// in batches within `limits`.
    pub(crate) fn start(
        writer: Connection,
        readers: Vec<Connection>,
        limits: BatchLimits,
    ) -> std::io::Result<Self> {
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
            serve(writer, &jobs, limits, reader_threads);
        })?);
        Ok(connections)
    }

    /// Runs `f` on the writer, alone and outside any transaction, and
    /// returns what it returns.
    #[cfg(test)]
    pub(crate) async fn on_writer<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let (job, answered) = job(f);
        self.writer.push(Task::Alone(job)).map_err(|_| closed())?;
        answered.await.map_err(|_| panicked())?
    }

    /// Holds the writer in a job until the returned sender is dropped, so
    /// that the writes queued meanwhile form one batch.
    #[cfg(test)]
    pub(crate) fn hold_writer(&self) -> std::sync::mpsc::Sender<()> {
        let (release, released) = std::sync::mpsc::channel::<()>();
        let hold: Job = Box::new(move |_| {
            let _ = released.recv();
        });
        assert!(self.writer.push(Task::Alone(hold)).is_ok(), "closed");
        release
    }

    /// Runs `f` on the writer inside a transaction, which it may share with
    /// other writes (see [Group commit](self#group-commit)): its changes are
    /// kept if it returns `Ok`, rolled back if it returns an error or
    /// panics. Its answer comes once the transaction is committed; if the
    /// commit fails, the answer is a storage error, whatever `f` returned.
    pub(crate) async fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        self.queue_write(f)?.await.map_err(|_| panicked())?
    }

    /// Queues `f` for [`write`](Self::write); the receiver gets its answer.
    fn queue_write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T> + Send + 'static,
    ) -> Result<oneshot::Receiver<Result<T>>> {
        let (answer, answered) = oneshot::channel();
        let write = Box::new(Write { f, answer });
        self.writer.push(Task::Write(write)).map_err(|_| closed())?;
        Ok(answered)
    }

    /// Runs `f` on a reader (on the writer when there are none) and returns
    /// what it returns.
    pub(crate) async fn on_reader<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let (job, answered) = job(f);
        let sent = match &self.readers {
            Some(readers) => readers.push(job).map_err(drop),
            None => self.writer.push(Task::Alone(job)).map_err(drop),
        };
        sent.map_err(|()| closed())?;
        answered.await.map_err(|_| panicked())?
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

fn closed() -> Error {
    Error::storage(BACKEND, "the store is closed")
}

fn panicked() -> Error {
    Error::storage(BACKEND, "a database task panicked")
}

/// A job that sends what `f` returns, and the receiver of that answer. A
/// caller that stops waiting does not stop the job: it runs to its end and
/// its answer is dropped.
fn job<T: Send + 'static>(
    f: impl FnOnce(&mut Connection) -> Result<T> + Send + 'static,
) -> (Job, oneshot::Receiver<Result<T>>) {
    let (answer, answered) = oneshot::channel();
    let job: Job = Box::new(move |conn| {
        // The caller may have stopped waiting; nobody is left to tell.
        let _ = answer.send(f(conn));
    });
    (job, answered)
}

/// A write waiting for its turn in a batch.
trait BatchedWrite: Send {
    /// Runs the write inside its savepoint; what it returned waits in the
    /// [`Ran`] until the batch's commit.
    fn run(self: Box<Self>, conn: &Connection) -> Box<dyn Ran>;
    /// Answers with `error` without running the write.
    fn fail(self: Box<Self>, error: Error);
}

/// A write that has run, its answer held until the commit.
trait Ran: Send {
    /// Whether it succeeded, so that its changes are kept.
    fn succeeded(&self) -> bool;
    /// Answers the caller: with what the write returned if `commit` is
    /// `Ok`, else with the commit's error.
    fn answer(self: Box<Self>, commit: Result<(), Error>);
}

/// A write's work and the channel its answer goes back by.
struct Write<F, T> {
    f: F,
    answer: oneshot::Sender<Result<T>>,
}

impl<F, T> BatchedWrite for Write<F, T>
where
    F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    T: Send + 'static,
{
    fn run(self: Box<Self>, conn: &Connection) -> Box<dyn Ran> {
        let out = (self.f)(conn);
        Box::new(Held {
            out,
            answer: self.answer,
        })
    }

    fn fail(self: Box<Self>, error: Error) {
        let _ = self.answer.send(Err(error));
    }
}

/// What a write returned, not yet sent.
struct Held<T> {
    out: Result<T>,
    answer: oneshot::Sender<Result<T>>,
}

impl<T: Send + 'static> Ran for Held<T> {
    fn succeeded(&self) -> bool {
        self.out.is_ok()
    }

    fn answer(self: Box<Self>, commit: Result<(), Error>) {
        // The caller may have stopped waiting; nobody is left to tell.
        let _ = self.answer.send(commit.and(self.out));
    }
}

/// Jobs waiting for a connection, taken in order by the threads that serve
/// them. A mutex and a condition variable rather than a channel: several
/// threads wait on one queue, the writer looks at the head of its queue
/// before taking it, and closing it is explicit (the threads finish what is
/// queued, then stop).
struct JobQueue<J> {
    pending: Mutex<Pending<J>>,
    ready: Condvar,
}

impl<J> Default for JobQueue<J> {
    fn default() -> Self {
        Self {
            pending: Mutex::new(Pending {
                jobs: VecDeque::new(),
                closed: false,
            }),
            ready: Condvar::new(),
        }
    }
}

struct Pending<J> {
    jobs: VecDeque<J>,
    closed: bool,
}

impl<J> JobQueue<J> {
    /// Adds `job`; gives it back if the queue is closed.
    fn push(&self, job: J) -> Result<(), J> {
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
    fn pop(&self) -> Option<J> {
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

    /// Takes the job at the head of the queue if `take` says so. With an
    /// empty queue, waits for one until `until` (not at all if `None`).
    fn pop_if(&self, take: impl Fn(&J) -> bool, until: Option<Instant>) -> Option<J> {
        let mut pending = self.lock();
        loop {
            if let Some(front) = pending.jobs.front() {
                return if take(front) {
                    pending.jobs.pop_front()
                } else {
                    None
                };
            }
            let left = until?.checked_duration_since(Instant::now())?;
            if pending.closed || left.is_zero() {
                return None;
            }
            pending = self
                .ready
                .wait_timeout(pending, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }

    /// Refuses new jobs; the threads finish the queued ones and stop.
    fn close(&self) {
        self.lock().closed = true;
        self.ready.notify_all();
    }

    /// The queue's state. Nothing panics while holding it, so a poisoned
    /// lock still guards a consistent queue.
    fn lock(&self) -> MutexGuard<'_, Pending<J>> {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn spawn(name: String, body: impl FnOnce() + Send + 'static) -> std::io::Result<JoinHandle<()>> {
    std::thread::Builder::new().name(name).spawn(body)
}

/// The writer's thread: runs its jobs, batching the writes, until the queue
/// closes, then waits for the readers' threads so that it closes its
/// connection last. The last connection to close checkpoints the WAL into
/// the database file, which read-only ones cannot.
fn serve(
    mut conn: Connection,
    jobs: &JobQueue<Task>,
    limits: BatchLimits,
    readers: Vec<JoinHandle<()>>,
) {
    let mut last_batch = 1;
    while let Some(task) = jobs.pop() {
        match task {
            Task::Alone(job) => run(&mut conn, job),
            Task::Write(first) => {
                let next = |until| jobs.pop_if(|task| matches!(task, Task::Write(_)), until);
                last_batch = commit_batch(&conn, first, next, limits, last_batch);
            }
        }
    }
    for reader in readers {
        let _ = reader.join();
    }
}

/// A reader's thread: runs jobs from the queue the readers share until it
/// closes.
fn serve_queue(mut conn: Connection, jobs: &JobQueue<Job>) {
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

/// Runs `first` and the writes `next` hands out (while `limits` allow) in
/// one transaction, commits it, then answers them all. Returns how many
/// writes it took.
///
/// While the batch is smaller than the one before (`last_batch`), the
/// writer waits for more writes, within the batch's time limit: under load,
/// the writers answered by the last commit are about to send their next
/// writes, and committing without them would cost them a sync of their own.
/// After a lone write (`last_batch` 1) it never waits.
fn commit_batch(
    conn: &Connection,
    first: Box<dyn BatchedWrite>,
    mut next: impl FnMut(Option<Instant>) -> Option<Task>,
    limits: BatchLimits,
    last_batch: usize,
) -> usize {
    if let Err(e) = execute(conn, "BEGIN IMMEDIATE") {
        first.fail(storage(e));
        return 1;
    }
    let started = Instant::now();
    let deadline = started + limits.time;
    let mut ran: Vec<Box<dyn Ran>> = Vec::new();
    let mut write = first;
    let mut taken = 0;
    let broken = loop {
        taken += 1;
        if let Err(broken) = run_in_savepoint(conn, write, &mut ran) {
            break Some(broken);
        }
        if taken >= limits.writes || Instant::now() >= deadline {
            break None;
        }
        match next((taken < last_batch).then_some(deadline)) {
            Some(Task::Write(more)) => write = more,
            // `next` hands out writes only.
            Some(Task::Alone(_)) | None => break None,
        }
    };
    let outcome = match broken {
        None => execute(conn, "COMMIT").map_err(|e| format!("the commit failed: {e}")),
        Some(why) => Err(why),
    };
    if outcome.is_err() {
        if !conn.is_autocommit() {
            let _ = execute(conn, "ROLLBACK");
        }
        FAILED_BATCHES.set(FAILED_BATCHES.get() + 1);
    }
    record_batch(taken);
    for write in ran {
        let commit = match &outcome {
            Ok(()) => Ok(()),
            Err(why) => Err(Error::storage(BACKEND, why.clone())),
        };
        write.answer(commit);
    }
    taken
}

thread_local! {
    /// How many batches this thread's writer has rolled back whole.
    static FAILED_BATCHES: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// How many batches the writer has rolled back whole (a failed commit, or a
/// transaction SQLite rolled back): what the writes of such a batch did is
/// undone, though they ran. Called on the writer's thread (on any other, 0).
pub(crate) fn failed_batches() -> u64 {
    FAILED_BATCHES.get()
}

/// Runs `write` inside a savepoint, keeping its changes if it succeeds and
/// rolling back to the savepoint if it fails or panics. What it returned
/// goes into `ran` (nothing, if it panicked: its caller hears of it).
/// `Err` if the batch's transaction cannot go on: then it must not commit.
fn run_in_savepoint(
    conn: &Connection,
    write: Box<dyn BatchedWrite>,
    ran: &mut Vec<Box<dyn Ran>>,
) -> Result<(), String> {
    if let Err(e) = execute(conn, "SAVEPOINT write") {
        let why = format!("cannot start a savepoint: {e}");
        write.fail(Error::storage(BACKEND, why.clone()));
        return Err(why);
    }
    let out = std::panic::catch_unwind(AssertUnwindSafe(|| write.run(conn))).ok();
    let succeeded = out.as_ref().is_some_and(|out| out.succeeded());
    ran.extend(out);
    if conn.is_autocommit() {
        // SQLite rolled the whole transaction back (it does on some I/O
        // errors, and on running out of memory or disk): the writes before
        // this one are gone too.
        return Err("the transaction was rolled back by an error in one of its writes".into());
    }
    let end = if succeeded {
        execute(conn, "RELEASE write")
    } else {
        execute(conn, "ROLLBACK TO write").and_then(|()| execute(conn, "RELEASE write"))
    };
    end.map_err(|e| format!("cannot end a savepoint: {e}"))
}

/// Runs one statement without parameters, prepared once per connection.
fn execute(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([]).map(drop)
}

/// Publishes how many writes shared a commit (`metrics`, a no-op unless the
/// program installed a recorder).
fn record_batch(writes: usize) {
    #[allow(clippy::cast_precision_loss)] // a batch is far below 2^52 writes
    metrics::histogram!("booking_sqlite_commit_batch_writes").record(writes as f64);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn connections(readers: usize) -> Connections {
        let open = || Connection::open_in_memory().unwrap();
        let limits = BatchLimits {
            writes: 64,
            time: Duration::from_secs(1),
        };
        Connections::start(open(), (0..readers).map(|_| open()).collect(), limits).unwrap()
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

    fn table(connections: &Connections) {
        let made = connections.queue_write(|conn| {
            conn.execute_batch("CREATE TABLE t (x INTEGER PRIMARY KEY)")
                .map_err(storage)
        });
        drop(made);
    }

    /// Queues a write that inserts `x` and then does `then`.
    fn insert(
        connections: &Connections,
        x: i64,
        then: impl FnOnce(&Connection) -> Result<()> + Send + 'static,
    ) -> oneshot::Receiver<Result<()>> {
        connections
            .queue_write(move |conn| {
                conn.execute("INSERT INTO t (x) VALUES (?1)", [x])
                    .map_err(storage)?;
                then(conn)
            })
            .unwrap()
    }

    async fn rows(connections: &Connections) -> Vec<i64> {
        connections
            .on_writer(|conn| {
                let mut stmt = conn.prepare("SELECT x FROM t ORDER BY x").unwrap();
                Ok(stmt
                    .query_map([], |r| r.get(0))
                    .unwrap()
                    .collect::<rusqlite::Result<Vec<i64>>>()
                    .unwrap())
            })
            .await
            .unwrap()
    }

    #[allow(clippy::unnecessary_wraps)] // the shape of a write
    fn ok(_: &Connection) -> Result<()> {
        Ok(())
    }

    #[tokio::test]
    async fn writes_queued_together_share_one_commit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let writer = Connection::open(&path).unwrap();
        writer.pragma_update(None, "journal_mode", "WAL").unwrap();
        let limits = BatchLimits {
            writes: 64,
            time: Duration::from_secs(60),
        };
        let connections = Connections::start(writer, Vec::new(), limits).unwrap();
        table(&connections);
        let release = connections.hold_writer();
        // Each write counts the rows another connection sees: none of the
        // batch's, since their transaction is not committed until the end.
        let answers: Vec<_> = (1..=5)
            .map(|x| {
                let path = path.clone();
                connections
                    .queue_write(move |conn| {
                        conn.execute("INSERT INTO t (x) VALUES (?1)", [x])
                            .map_err(storage)?;
                        let other = Connection::open(&path).map_err(storage)?;
                        other
                            .query_row("SELECT COUNT(*) FROM t", [], |r| r.get::<_, i64>(0))
                            .map_err(storage)
                    })
                    .unwrap()
            })
            .collect();
        drop(release);
        for answer in answers {
            assert_eq!(answer.await.unwrap().unwrap(), 0, "seen committed");
        }
        assert_eq!(rows(&connections).await, [1, 2, 3, 4, 5]);
    }

    #[tokio::test]
    async fn a_batch_is_bounded_in_writes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let writer = Connection::open(&path).unwrap();
        writer.pragma_update(None, "journal_mode", "WAL").unwrap();
        // The last write comes alone after batches of two: the writer waits
        // out the time limit for a second one.
        let limits = BatchLimits {
            writes: 2,
            time: Duration::from_millis(50),
        };
        let connections = Connections::start(writer, Vec::new(), limits).unwrap();
        table(&connections);
        let release = connections.hold_writer();
        let answers: Vec<_> = (1..=5)
            .map(|x| {
                let path = path.clone();
                connections
                    .queue_write(move |conn| {
                        conn.execute("INSERT INTO t (x) VALUES (?1)", [x])
                            .map_err(storage)?;
                        let other = Connection::open(&path).map_err(storage)?;
                        other
                            .query_row("SELECT COUNT(*) FROM t", [], |r| r.get::<_, i64>(0))
                            .map_err(storage)
                    })
                    .unwrap()
            })
            .collect();
        drop(release);
        let mut seen = Vec::new();
        for answer in answers {
            seen.push(answer.await.unwrap().unwrap());
        }
        assert_eq!(seen, [0, 0, 2, 2, 4], "commits after every two writes");
    }

    #[tokio::test]
    async fn a_refused_write_rolls_back_alone() {
        let connections = connections(0);
        table(&connections);
        let release = connections.hold_writer();
        let first = insert(&connections, 1, ok);
        let refused = insert(&connections, 2, |_| {
            Err(Error::invalid_input("refused by a rule"))
        });
        let third = insert(&connections, 3, ok);
        drop(release);
        assert!(first.await.unwrap().is_ok());
        let refused = refused.await.unwrap();
        assert!(
            matches!(refused, Err(Error::InvalidInput { .. })),
            "{refused:?}"
        );
        assert!(third.await.unwrap().is_ok());
        assert_eq!(rows(&connections).await, [1, 3]);
    }

    #[tokio::test]
    async fn a_write_that_panics_rolls_back_alone_and_is_reported() {
        let connections = connections(0);
        table(&connections);
        let release = connections.hold_writer();
        let first = insert(&connections, 1, ok);
        let panics = connections
            .queue_write(|conn| -> Result<()> {
                conn.execute("INSERT INTO t (x) VALUES (2)", []).unwrap();
                panic!("a bug in a write");
            })
            .unwrap();
        let third = insert(&connections, 3, ok);
        drop(release);
        assert!(first.await.unwrap().is_ok());
        assert!(panics.await.is_err(), "its answer was dropped");
        assert!(third.await.unwrap().is_ok());
        assert_eq!(rows(&connections).await, [1, 3]);
    }

    /// A commit that fails answers every write of its batch with an error,
    /// and keeps none of them. A deferred foreign key is checked at `COMMIT`.
    #[tokio::test]
    async fn a_failed_commit_fails_every_write_of_the_batch() {
        let connections = connections(0);
        let made = connections.queue_write(|conn| {
            conn.execute_batch(
                "PRAGMA foreign_keys = ON;
                 CREATE TABLE t (x INTEGER PRIMARY KEY);
                 CREATE TABLE child (p INTEGER REFERENCES t (x) DEFERRABLE INITIALLY DEFERRED);",
            )
            .map_err(storage)
        });
        drop(made);
        let release = connections.hold_writer();
        let first = insert(&connections, 1, ok);
        let refused = insert(&connections, 2, |_| Err(Error::invalid_input("refused")));
        let dangling = connections
            .queue_write(|conn| {
                conn.execute("INSERT INTO child (p) VALUES (99)", [])
                    .map(drop)
                    .map_err(storage)
            })
            .unwrap();
        let last = insert(&connections, 4, ok);
        drop(release);
        for answer in [first, refused, dangling, last] {
            let answer = answer.await.unwrap();
            assert!(matches!(answer, Err(Error::Storage { .. })), "{answer:?}");
        }
        assert!(rows(&connections).await.is_empty());
        // The writer goes on.
        insert(&connections, 5, ok).await.unwrap().unwrap();
        assert_eq!(rows(&connections).await, [5]);
    }

    /// A write that leaves the transaction rolled back (SQLite does so on
    /// some I/O errors) takes the writes before it in the batch down too:
    /// they are answered with errors, not `Ok`. The writes after it commit
    /// in a batch of their own.
    #[tokio::test]
    async fn a_write_that_ends_the_transaction_fails_its_batch() {
        let connections = connections(0);
        table(&connections);
        let release = connections.hold_writer();
        let first = insert(&connections, 1, ok);
        let breaks = insert(&connections, 2, |conn| {
            conn.execute_batch("ROLLBACK").map_err(storage)
        });
        let after = insert(&connections, 3, ok);
        drop(release);
        let first = first.await.unwrap();
        assert!(matches!(first, Err(Error::Storage { .. })), "{first:?}");
        let breaks = breaks.await.unwrap();
        assert!(matches!(breaks, Err(Error::Storage { .. })), "{breaks:?}");
        assert!(after.await.unwrap().is_ok());
        assert_eq!(rows(&connections).await, [3]);
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
