//! What a signed-in person's pages read, kept by this node for a moment, so that loading a
//! page again, or moving between pages, costs no database query (each query is ~0.3 ms of
//! CPU in the embedded database; a page read one to three).
//!
//! Correct by being forgotten, not by expiring: whatever changes a person's data forgets their
//! reads at once — every state-changing request they make (the server's session step, after
//! the response), the work done for them in the background (answers evaluated, interviews
//! finished, the retention sweep) and what ends or changes their account
//! (`auth::service::forget_sessions`). [`MEMO_SECS`] only bounds what a missed case could cost.
//!
//! A page made only of these reads is kept by the server's page cache under the person's
//! [`Stamp`], so it is forgotten with them.
//!
//! Only on when this process is the database's one writer (the embedded store, which one
//! process holds): app nodes sharing a SurrealDB server do not see each other's writes, so
//! there every read goes to the database ([`enable`]).

use std::any::Any;
use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex};

use crate::AppError;

/// Named bound: the longest a read is kept, in seconds.
pub const MEMO_SECS: i64 = 10;

/// Named limit: how many people a node keeps reads for; when full it forgets them all.
pub const MEMO_PEOPLE_MAX: usize = 50_000;

/// The reads kept: each is the answer of one server function that only reads. A request to
/// one of these (`/api/` + [`Read::endpoint`]) is the one kind of POST that forgets nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Read {
    Me,
    PracticeDefaults,
    PracticeSetup,
    History,
    RecordingPolicy,
    Consents,
}

impl Read {
    pub const ALL: [Read; 6] = [
        Read::Me,
        Read::PracticeDefaults,
        Read::PracticeSetup,
        Read::History,
        Read::RecordingPolicy,
        Read::Consents,
    ];

    /// The server function's endpoint (its path under `/api/`).
    pub fn endpoint(self) -> &'static str {
        match self {
            Read::Me => "auth/me",
            Read::PracticeDefaults => "interview/practice_defaults",
            Read::PracticeSetup => "interview/practice_setup",
            Read::History => "interview/history",
            Read::RecordingPolicy => "voice/recording_policy",
            Read::Consents => "auth/consents",
        }
    }
}

/// Whether a request to `path` only reads (one of the [`Read`]s' server functions), so that
/// a POST to it need not forget anything.
pub fn only_reads(path: &str) -> bool {
    path.strip_prefix("/api/")
        .is_some_and(|p| Read::ALL.iter().any(|r| r.endpoint() == p))
}

static ON: AtomicBool = AtomicBool::new(false);

/// Bumped each time the whole memo is forgotten: a read loaded before that is not kept.
static EPOCH: AtomicU64 = AtomicU64::new(0);

/// Reads answered from the memo and from the database since the start (`/metrics`).
static FROM_MEMO: AtomicU64 = AtomicU64::new(0);
static FROM_DATABASE: AtomicU64 = AtomicU64::new(0);

#[derive(Default)]
struct Person {
    /// Bumped by [`forget`]: a read loaded before that is not kept.
    generation: u64,
    reads: HashMap<Read, (i64, Arc<dyn Any + Send + Sync>)>,
}

static PEOPLE: LazyLock<Mutex<HashMap<String, Person>>> = LazyLock::new(Default::default);

/// Turns the memo on (this process is the database's only writer) or off.
pub fn enable(on: bool) {
    ON.store(on, Ordering::Relaxed);
    forget_everyone();
}

/// `what` of `user`'s data, from the memo when read less than [`MEMO_SECS`] ago and not
/// forgotten since, else from `load` (kept unless it was forgotten while loading). A failed
/// load forgets the person: nothing made while it failed (a page showing the error) is kept.
pub async fn read<T, F, Fut>(user: &str, what: Read, now: i64, load: F) -> Result<T, AppError>
where
    T: Clone + Send + Sync + 'static,
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<T, AppError>>,
{
    if !ON.load(Ordering::Relaxed) {
        return load().await;
    }
    let epoch = EPOCH.load(Ordering::Acquire);
    let generation = {
        let people = PEOPLE.lock().map_err(|_| poisoned())?;
        match people.get(user) {
            Some(p) => {
                if let Some((at, v)) = p.reads.get(&what) {
                    if (*at..at + MEMO_SECS).contains(&now) {
                        if let Some(v) = v.downcast_ref::<T>() {
                            FROM_MEMO.fetch_add(1, Ordering::Relaxed);
                            return Ok(v.clone());
                        }
                    }
                }
                p.generation
            }
            None => 0,
        }
    };
    let value = match load().await {
        Ok(v) => v,
        Err(e) => {
            forget(user);
            return Err(e);
        }
    };
    FROM_DATABASE.fetch_add(1, Ordering::Relaxed);
    let mut people = PEOPLE.lock().map_err(|_| poisoned())?;
    if EPOCH.load(Ordering::Acquire) == epoch {
        if people.len() >= MEMO_PEOPLE_MAX && !people.contains_key(user) {
            people.clear();
            EPOCH.fetch_add(1, Ordering::AcqRel);
            return Ok(value);
        }
        let p = people.entry(user.to_string()).or_default();
        if p.generation == generation {
            p.reads.insert(what, (now, Arc::new(value.clone())));
        }
    }
    Ok(value)
}

/// Which version of `user`'s kept reads is current: it changes whenever they (or everyone) are
/// forgotten. Something made from their reads (a rendered page) is as fresh as they are while
/// the stamp it was made under is still the current one. None while the memo is off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stamp {
    epoch: u64,
    generation: u64,
}

/// The current [`Stamp`] of `user`'s reads (None while the memo is off).
pub fn stamp(user: &str) -> Option<Stamp> {
    if !ON.load(Ordering::Relaxed) {
        return None;
    }
    let people = PEOPLE.lock().ok()?;
    Some(Stamp {
        epoch: EPOCH.load(Ordering::Acquire),
        generation: people.get(user).map_or(0, |p| p.generation),
    })
}

/// Forgets every read of `user`'s data, and any read of it still loading.
pub fn forget(user: &str) {
    if !ON.load(Ordering::Relaxed) {
        return;
    }
    if let Ok(mut people) = PEOPLE.lock() {
        let p = people.entry(user.to_string()).or_default();
        p.generation += 1;
        p.reads.clear();
        if people.len() > MEMO_PEOPLE_MAX {
            people.clear();
            EPOCH.fetch_add(1, Ordering::AcqRel);
        }
    }
}

/// Forgets everyone's reads (work that changed many people's data at once).
pub fn forget_everyone() {
    // The epoch moves while the lock is held: no stamp is taken, nor read kept, in between.
    let mut people = PEOPLE.lock();
    if let Ok(p) = people.as_mut() {
        p.clear();
    }
    EPOCH.fetch_add(1, Ordering::AcqRel);
    drop(people);
}

/// How many reads the memo answered, and how many went to the database while it was on.
pub fn counts() -> (u64, u64) {
    (
        FROM_MEMO.load(Ordering::Relaxed),
        FROM_DATABASE.load(Ordering::Relaxed),
    )
}

fn poisoned() -> AppError {
    AppError::internal("memo", "memory poisoned")
}

/// Tests: the memo is one per process; a test that counts on it takes its turn (and the memo
/// is on while it holds it), and uses user ids of its own.
#[cfg(test)]
pub(crate) async fn exclusive() -> tokio::sync::MutexGuard<'static, ()> {
    static TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    let turn = TURN.lock().await;
    ON.store(true, Ordering::Relaxed);
    turn
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    async fn on() -> tokio::sync::MutexGuard<'static, ()> {
        exclusive().await
    }

    async fn counted(loads: &AtomicUsize, v: u32) -> Result<u32, AppError> {
        loads.fetch_add(1, Ordering::SeqCst);
        Ok(v)
    }

    #[tokio::test]
    async fn a_read_is_kept_until_forgotten_or_older_than_the_bound() {
        let _turn = on().await;
        let loads = AtomicUsize::new(0);
        let u = "memo-test-kept";
        assert_eq!(
            read(u, Read::History, 100, || counted(&loads, 1))
                .await
                .unwrap(),
            1
        );
        assert_eq!(
            read(u, Read::History, 105, || counted(&loads, 2))
                .await
                .unwrap(),
            1
        );
        assert_eq!(
            loads.load(Ordering::SeqCst),
            1,
            "the second read came from the memo"
        );
        // Another kind of read of the same person is its own entry.
        assert_eq!(
            read(u, Read::Me, 105, || counted(&loads, 7)).await.unwrap(),
            7
        );
        forget(u);
        assert_eq!(
            read(u, Read::History, 106, || counted(&loads, 3))
                .await
                .unwrap(),
            3
        );
        assert_eq!(
            read(u, Read::History, 106 + MEMO_SECS, || counted(&loads, 4))
                .await
                .unwrap(),
            4,
            "older than MEMO_SECS: read again"
        );
        // Someone else's reads are not theirs.
        assert_eq!(
            read("memo-test-other", Read::History, 107, || counted(&loads, 9))
                .await
                .unwrap(),
            9
        );
        assert_eq!(loads.load(Ordering::SeqCst), 5);
    }

    #[tokio::test]
    async fn a_read_loading_while_it_is_forgotten_is_not_kept() {
        let _turn = on().await;
        let u = "memo-test-race";
        let v = read(u, Read::History, 100, || async {
            forget(u); // a write finished while this read was in the database
            Ok::<u32, AppError>(1)
        })
        .await
        .unwrap();
        assert_eq!(v, 1);
        let again = read(u, Read::History, 101, || async { Ok::<u32, AppError>(2) })
            .await
            .unwrap();
        assert_eq!(again, 2, "the read from before the write was not kept");
        // The same with everyone forgotten (another kind of read, not kept yet).
        let v = read(u, Read::Me, 102, || async {
            forget_everyone();
            Ok::<u32, AppError>(3)
        })
        .await
        .unwrap();
        assert_eq!(v, 3);
        let again = read(u, Read::Me, 103, || async { Ok::<u32, AppError>(4) })
            .await
            .unwrap();
        assert_eq!(again, 4);
    }

    #[tokio::test]
    async fn off_every_read_goes_to_the_database() {
        let _turn = on().await;
        enable(false);
        let loads = AtomicUsize::new(0);
        let u = "memo-test-off";
        for now in [100, 101] {
            assert_eq!(
                read(u, Read::Me, now, || counted(&loads, 1)).await.unwrap(),
                1
            );
        }
        enable(true);
        assert_eq!(loads.load(Ordering::SeqCst), 2, "off: nothing was kept");
    }

    #[tokio::test]
    async fn the_stamp_changes_with_every_forget_and_only_then() {
        let _turn = on().await;
        let u = "memo-test-stamp";
        let first = stamp(u).expect("on");
        assert_eq!(stamp(u), Some(first), "nothing forgotten: the same stamp");
        forget("memo-test-stamp-someone-else");
        assert_eq!(stamp(u), Some(first), "someone else's forget is theirs");
        forget(u);
        let second = stamp(u).unwrap();
        assert_ne!(second, first);
        forget_everyone();
        let third = stamp(u).unwrap();
        assert!(third != second && third != first);
        // A person never seen before after everyone was forgotten is not the one from before.
        assert_ne!(stamp("memo-test-stamp-new"), Some(first));
        enable(false);
        assert_eq!(stamp(u), None, "off: nothing is made from the memo");
        enable(true);
    }

    #[tokio::test]
    async fn a_failed_read_is_not_kept() {
        let _turn = on().await;
        let u = "memo-test-error";
        let before = stamp(u);
        let e = read(u, Read::History, 100, || async {
            Err::<u32, _>(AppError::Unauthorized)
        })
        .await;
        assert!(e.is_err());
        assert_ne!(
            stamp(u),
            before,
            "what was made while it failed is not kept"
        );
        let v = read(u, Read::History, 100, || async { Ok::<u32, AppError>(5) })
            .await
            .unwrap();
        assert_eq!(v, 5);
    }
}
