//! The plugin work queue: a fixed set of worker threads, run at a lower CPU priority than the
//! threads that serve requests, behind a bounded queue with a bounded wait.
//!
//! Why: a plugin call is CPU work bounded only by its own deadline (`plugins.timeout_ms`, 2 s
//! by default). Sent to tokio's blocking pool, 48 such calls at once took 48 threads on a
//! 2-core machine, and every other request, `/health` included, queued for a core behind them
//! (issue 11, fault 1). Here:
//! - at most `plugins.workers` calls run at once (default: one per core), on threads whose
//!   nice value is raised, so the scheduler serves request threads first;
//! - at most `plugins.queue_length` calls wait; one more is refused at once;
//! - a call that has not started within `plugins.queue_wait_ms` gives up (and is never run):
//!   its time in the queue counts against the caller, who answers 503 `busy` with
//!   `Retry-After` rather than keep a client waiting for minutes.
//!
//! So a plugin call answers within `queue_wait_ms + timeout_ms` (plus the layout of its
//! result), whatever the load. Compiling has a queue of its own (one thread): see
//! [`Runtime::compile`](super::Runtime::compile).

use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::time::Duration;

type Job = Box<dyn FnOnce() + Send>;

/// Why a job did not run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// `capacity` jobs were already waiting.
    QueueFull { capacity: usize },
    /// It waited `waited` without a worker coming free, and was dropped.
    Waited { waited: Duration },
    /// The job panicked (a host bug: guest faults are traps, not panics), or the queue is gone.
    Lost,
}

/// A fixed pool of worker threads with a bounded queue in front.
pub struct WorkQueue {
    sender: SyncSender<Job>,
    capacity: usize,
    wait: Duration,
}

const PENDING: u8 = 0;
const STARTED: u8 = 1;
const ABANDONED: u8 = 2;

/// Marks a job abandoned when its caller stops waiting (timeout, or the request was dropped):
/// a worker that picks it up later skips it.
struct Abandon(Arc<AtomicU8>);

impl Drop for Abandon {
    fn drop(&mut self) {
        let _ = self.0.compare_exchange(PENDING, ABANDONED, Ordering::AcqRel, Ordering::Acquire);
    }
}

impl WorkQueue {
    /// Starts `workers` threads named `{name}-{i}` (at least one), taking jobs from a queue of
    /// `capacity` places; a job waits at most `wait` to start. `lower_priority` raises the
    /// threads' nice value (Linux) so request threads win the CPU.
    pub fn new(
        name: &str,
        workers: usize,
        capacity: usize,
        wait: Duration,
        lower_priority: bool,
    ) -> std::io::Result<Self> {
        let (sender, receiver) = std::sync::mpsc::sync_channel::<Job>(capacity);
        let receiver = Arc::new(Mutex::new(receiver));
        for i in 0..workers.max(1) {
            let receiver = receiver.clone();
            std::thread::Builder::new()
                .name(format!("{name}-{i}"))
                .spawn(move || work(&receiver, lower_priority))?;
        }
        Ok(WorkQueue { sender, capacity, wait })
    }

    /// Runs `f` on a worker and gives its result, or says why it did not run. Refuses at once
    /// when the queue is full; gives up when `f` has not started within the wait. Once started,
    /// `f` runs to its end (its own limits bound it) and its result is awaited.
    pub async fn run<R: Send + 'static>(&self, f: impl FnOnce() -> R + Send + 'static) -> Result<R, Refusal> {
        let state = Arc::new(AtomicU8::new(PENDING));
        let (tx, mut rx) = tokio::sync::oneshot::channel();
        let job_state = state.clone();
        let job: Job = Box::new(move || {
            // Taken off the queue (to run, or to be skipped when abandoned).
            ::metrics::gauge!("sohoa_plugin_queue_waiting").decrement(1.0);
            if job_state.compare_exchange(PENDING, STARTED, Ordering::AcqRel, Ordering::Acquire).is_err() {
                return;
            }
            // A panic must not take the worker thread with it; the caller sees `Lost`.
            if let Ok(result) = std::panic::catch_unwind(AssertUnwindSafe(f)) {
                let _ = tx.send(result);
            }
        });
        // Counted before it is queued: a worker may take it (and count it off) at once.
        ::metrics::gauge!("sohoa_plugin_queue_waiting").increment(1.0);
        let queued = self.sender.try_send(job);
        if queued.is_err() {
            ::metrics::gauge!("sohoa_plugin_queue_waiting").decrement(1.0);
        }
        match queued {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => return Err(Refusal::QueueFull { capacity: self.capacity }),
            Err(TrySendError::Disconnected(_)) => return Err(Refusal::Lost),
        }
        let _abandon = Abandon(state.clone());
        match tokio::time::timeout(self.wait, &mut rx).await {
            Ok(result) => result.map_err(|_| Refusal::Lost),
            Err(_) => {
                if state.compare_exchange(PENDING, ABANDONED, Ordering::AcqRel, Ordering::Acquire).is_ok() {
                    return Err(Refusal::Waited { waited: self.wait });
                }
                // It started just as the wait ran out: its own deadline bounds it.
                rx.await.map_err(|_| Refusal::Lost)
            }
        }
    }
}

fn work(receiver: &Mutex<Receiver<Job>>, lower_priority: bool) {
    if lower_priority {
        lower_this_threads_priority();
    }
    loop {
        // The lock is held only while waiting for the next job, never while running one.
        let job = match receiver.lock() {
            Ok(r) => r.recv(),
            Err(_) => return,
        };
        match job {
            Ok(job) => job(),
            // The queue was dropped with its runtime: the thread ends.
            Err(_) => return,
        }
    }
}

/// Nice 10 for the calling thread: under full load a request thread (nice 0) gets about nine
/// tenths of a core against it (kernel weights 1024 : 110). Lowering one's own priority needs
/// no privilege. Linux keeps the nice value per thread, which is what `setpriority` on the
/// thread id sets.
#[cfg(target_os = "linux")]
fn lower_this_threads_priority() {
    // SAFETY: plain system calls on the calling thread's own id; no memory is passed.
    let ok = unsafe {
        let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
        libc::setpriority(libc::PRIO_PROCESS, tid, 10) == 0
    };
    if !ok {
        tracing::debug!("could not lower the plugin worker's priority; it runs at normal priority");
    }
}

#[cfg(not(target_os = "linux"))]
fn lower_this_threads_priority() {}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;

    #[tokio::test]
    async fn runs_jobs_and_refuses_beyond_the_queue_and_the_wait() {
        let queue = WorkQueue::new("test-worker", 1, 2, Duration::from_millis(300), false).unwrap();
        assert_eq!(queue.run(|| 6 * 7).await, Ok(42));

        // One worker busy for 1 s, two jobs waiting: a fourth is refused at once.
        let queue = Arc::new(queue);
        let busy = {
            let q = queue.clone();
            tokio::spawn(async move { q.run(|| std::thread::sleep(Duration::from_millis(1000))).await })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        let ran = Arc::new(AtomicU8::new(0));
        let waiting: Vec<_> = (0..2)
            .map(|_| {
                let (q, ran) = (queue.clone(), ran.clone());
                tokio::spawn(async move { q.run(move || ran.fetch_add(1, Ordering::SeqCst)).await })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(50)).await;
        let started = Instant::now();
        assert_eq!(queue.run(|| 0).await, Err(Refusal::QueueFull { capacity: 2 }));
        assert!(started.elapsed() < Duration::from_millis(50), "refused without waiting");

        // The two waiting ones give up after 300 ms, and are never run.
        for w in waiting {
            assert_eq!(w.await.unwrap(), Err(Refusal::Waited { waited: Duration::from_millis(300) }));
        }
        assert_eq!(busy.await.unwrap(), Ok(()));
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(ran.load(Ordering::SeqCst), 0, "abandoned jobs are skipped");
        assert_eq!(queue.run(|| "free again").await, Ok("free again"));
    }

    #[tokio::test]
    async fn a_panicking_job_does_not_kill_its_worker() {
        let queue = WorkQueue::new("test-worker", 1, 4, Duration::from_secs(5), false).unwrap();
        assert_eq!(queue.run(|| -> u8 { panic!("on purpose") }).await, Err(Refusal::Lost));
        assert_eq!(queue.run(|| 1).await, Ok(1));
    }
}
