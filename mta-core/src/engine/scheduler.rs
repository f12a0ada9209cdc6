//! The queue manager: picks due messages, runs delivery attempts, applies
//! the results (exponential backoff between minimal_backoff_time and
//! maximal_backoff_time, maximal_queue_lifetime / bounce_queue_lifetime,
//! delay warnings), and writes the notifications.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::sync::{Semaphore, watch};

use crate::clock::Clock;
use crate::delivery::{Agents, SharedRouter, Status};
use crate::dsn::{self, Action, DsnRecipient};
use crate::log;
use crate::queue::{Attempt, Envelope, MessageKind, Queue};

/// How long a shutdown waits for running delivery attempts.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// What the scheduler needs.
pub(crate) struct Scheduler {
    pub queue: Queue,
    pub agents: Arc<Agents>,
    pub router: SharedRouter,
    pub clock: Arc<dyn Clock>,
    pub concurrency: usize,
    pub delay_warning_time: Option<Duration>,
}

/// The delay before attempt number `attempts + 1`: the minimal backoff
/// doubled per earlier attempt, at most the maximal backoff.
#[must_use]
pub(crate) fn backoff(attempts: u32, min: Duration, max: Duration) -> Duration {
    let factor = 1u32
        .checked_shl(attempts.saturating_sub(1).min(30))
        .unwrap_or(u32::MAX);
    min.checked_mul(factor)
        .unwrap_or(max)
        .min(max)
        .max(min.min(max))
}

impl Scheduler {
    pub(crate) async fn run(self: Arc<Self>, mut shutdown: watch::Receiver<bool>) {
        let slots = Arc::new(Semaphore::new(self.concurrency.max(1)));
        loop {
            if *shutdown.borrow() {
                break;
            }
            let free = slots.available_permits();
            if free > 0 {
                let due = self.queue.take_due(self.clock.now(), free);
                for a in due {
                    let Ok(permit) = slots.clone().acquire_owned().await else {
                        break;
                    };
                    let me = self.clone();
                    tokio::spawn(async move {
                        me.attempt(a).await;
                        drop(permit);
                        me.queue.wake();
                    });
                }
            }
            let wait = if slots.available_permits() == 0 {
                Duration::from_secs(3600)
            } else {
                match self.queue.next_due() {
                    Some(t) => t
                        .duration_since(self.clock.now())
                        .unwrap_or_default()
                        .min(Duration::from_secs(3600)),
                    None => Duration::from_secs(3600),
                }
            };
            if wait.is_zero() && slots.available_permits() > 0 {
                // Due work that did not fit: loop again (bounded by the
                // permits taken above).
                tokio::task::yield_now().await;
                continue;
            }
            tokio::select! {
                () = self.queue.notified() => {}
                () = tokio::time::sleep(wait) => {}
                _ = shutdown.changed() => {}
            }
        }
        // Let running attempts finish, for a while: one stuck on a slow
        // server is abandoned (its message stays queued and is retried
        // after the restart).
        let all = u32::try_from(self.concurrency.max(1)).unwrap_or(u32::MAX);
        let _ = tokio::time::timeout(SHUTDOWN_GRACE, slots.acquire_many(all)).await;
    }

    fn settings(&self) -> (Duration, Duration, Duration, Duration, String, String) {
        let r = self
            .router
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let c = r.config();
        (
            c.minimal_backoff_time,
            c.maximal_backoff_time,
            c.maximal_queue_lifetime,
            c.bounce_queue_lifetime,
            c.myhostname.clone(),
            c.myorigin.clone(),
        )
    }

    async fn attempt(&self, a: Attempt) {
        let mut env = a.envelope;
        let id = env.id.clone();
        let (min_backoff, max_backoff, lifetime, bounce_lifetime, myhostname, myorigin) =
            self.settings();
        let content = match self.queue.content(&id) {
            Ok(c) => c,
            Err(e) => {
                log::warning(&id, &format!("cannot read the queued message: {e}"));
                env.attempts += 1;
                env.next_attempt =
                    self.clock.now() + backoff(env.attempts, min_backoff, max_backoff);
                if let Err(e) = self.queue.finish(env) {
                    log::warning(&id, &format!("cannot update the queue: {e}"));
                }
                return;
            }
        };
        if env.attempts == 0 {
            log::queued(&id, &env.reverse_path, content.len(), env.recipients.len());
        }
        let reports = self.agents.attempt(&env, content.clone()).await;
        let now = self.clock.now();
        let age = now.duration_since(env.arrival).unwrap_or_default();
        let mut deferred = BTreeSet::new();
        let mut failed: Vec<DsnRecipient> = Vec::new();
        for rep in reports {
            let Some(r) = env.recipients.get_mut(rep.index) else {
                continue;
            };
            let orig = (!rep.address.eq_ignore_ascii_case(&r.address)).then(|| r.address.clone());
            let d = DsnRecipient {
                final_recipient: rep.address.clone(),
                original_recipient: orig.clone(),
                action: Action::Failed,
                remote_mta: rep
                    .relay
                    .contains('[')
                    .then(|| rep.relay.split('[').next().unwrap_or("").to_owned()),
                diagnostic: rep.outcome.text.clone(),
            };
            log::delivery(&log::DeliveryLine {
                id: &id,
                to: &rep.address,
                orig_to: orig.as_deref(),
                relay: &rep.relay,
                delay: age,
                dsn: &d.status().to_string(),
                status: rep.outcome.status,
                text: &rep.outcome.text,
            });
            match rep.outcome.status {
                Status::Sent => r.delivered.push(rep.address),
                Status::Deferred => {
                    deferred.insert(rep.index);
                    r.reason = Some(rep.outcome.text);
                }
                Status::Bounced => {
                    // Finished too: a retry of the other routes must not
                    // bounce it again.
                    r.delivered.push(rep.address);
                    failed.push(d);
                }
            }
        }
        for (i, r) in env.recipients.iter_mut().enumerate() {
            if !r.done && !deferred.contains(&i) {
                r.done = true;
            }
        }
        let mut delayed = Vec::new();
        if !deferred.is_empty() {
            env.attempts += 1;
            let limit = if env.reverse_path.is_empty() {
                bounce_lifetime
            } else {
                lifetime
            };
            if age >= limit {
                for &i in &deferred {
                    if let Some(r) = env.recipients.get_mut(i) {
                        r.done = true;
                        log::expired(&id, &r.address, age);
                        let reason = r
                            .reason
                            .clone()
                            .unwrap_or_else(|| "451 4.4.7 delivery time expired".into());
                        failed.push(DsnRecipient {
                            final_recipient: r.address.clone(),
                            original_recipient: None,
                            action: Action::Failed,
                            remote_mta: None,
                            diagnostic: format!("{reason} (delivery time expired)"),
                        });
                    }
                }
            } else {
                env.next_attempt = now + backoff(env.attempts, min_backoff, max_backoff);
                if let Some(dwt) = self.delay_warning_time
                    && !env.warned
                    && age >= dwt
                    && env.kind == MessageKind::Normal
                    && !env.reverse_path.is_empty()
                {
                    env.warned = true;
                    for &i in &deferred {
                        if let Some(r) = env.recipients.get(i) {
                            delayed.push(DsnRecipient {
                                final_recipient: r.address.clone(),
                                original_recipient: None,
                                action: Action::Delayed,
                                remote_mta: None,
                                diagnostic: r
                                    .reason
                                    .clone()
                                    .unwrap_or_else(|| "451 4.0.0 delayed".into()),
                            });
                        }
                    }
                }
            }
        }
        let names = (myhostname.as_str(), myorigin.as_str());
        if !failed.is_empty() {
            self.notify(&env, &content, &failed, names, "sender non-delivery")
                .await;
        }
        if !delayed.is_empty() {
            self.notify(&env, &content, &delayed, names, "sender delay")
                .await;
        }
        let finished = env.pending().next().is_none();
        match self.queue.finish(env) {
            Ok(()) if finished => log::removed(&id),
            Ok(()) => {}
            Err(e) => log::warning(&id, &format!("cannot update the queue: {e}")),
        }
    }

    /// Queues a notification about `env` to its sender, or to the
    /// postmaster when the sender is `<>`; a failed notification to the
    /// postmaster is only logged.
    async fn notify(
        &self,
        env: &Envelope,
        content: &[u8],
        recipients: &[DsnRecipient],
        (myhostname, myorigin): (&str, &str),
        what: &str,
    ) {
        let (to, kind) = if !env.reverse_path.is_empty() {
            (env.reverse_path.clone(), MessageKind::Bounce)
        } else if env.kind == MessageKind::DoubleBounce {
            log::warning(&env.id, "undeliverable postmaster notification discarded");
            return;
        } else {
            (format!("postmaster@{myorigin}"), MessageKind::DoubleBounce)
        };
        let now: SystemTime = self.clock.now();
        let message = dsn::build(&dsn::Report {
            reporting_mta: myhostname,
            to: &to,
            queue_id: env.id.as_str(),
            arrival: env.arrival,
            original: content,
            recipients,
            now,
        });
        let new = self.queue.next_id();
        match self
            .queue
            .enqueue(&new, "", std::slice::from_ref(&to), "local", kind, &message)
            .await
        {
            Ok(()) => log::notification(&env.id, what, &new),
            Err(e) => log::warning(
                &env.id,
                &format!("cannot queue the {what} notification: {e}"),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::backoff;
    use std::sync::Arc;
    use std::time::Duration;

    use crate::clock::SystemClock;
    use crate::queue::{MessageKind, Queue, QueueOptions};

    #[tokio::test]
    async fn take_due_hands_out_the_oldest_first_and_each_once() {
        let dir = tempfile::tempdir().unwrap();
        let queue = Queue::open(QueueOptions::new(dir.path()), Arc::new(SystemClock)).unwrap();
        let mut ids = Vec::new();
        for n in 0..40 {
            let id = queue.next_id();
            let to = [format!("u{n}@example.org")];
            queue
                .enqueue(&id, "", &to, "local", MessageKind::Normal, b"x\r\n")
                .await
                .unwrap();
            ids.push(id);
        }
        let now = std::time::SystemTime::now() + Duration::from_secs(1);
        let ids_of = |a: Vec<crate::queue::Attempt>| -> Vec<_> {
            a.into_iter().map(|a| a.envelope.id).collect()
        };
        assert!(queue.take_due(now, 0).is_empty());
        let first = ids_of(queue.take_due(now, 7));
        let rest = ids_of(queue.take_due(now, 100));
        assert!(queue.take_due(now, 100).is_empty(), "all are busy now");
        let mut all = first.clone();
        all.extend(rest.clone());
        let mut want: Vec<_> = ids.clone();
        want.sort_by_key(|id| {
            let e = queue
                .list()
                .into_iter()
                .find(|e| e.envelope.id == *id)
                .unwrap();
            (e.envelope.next_attempt, id.clone())
        });
        assert_eq!(first, want[..7]);
        assert_eq!(rest, want[7..]);
        assert_eq!(all.len(), 40);
    }

    #[test]
    fn backoff_doubles_between_the_limits() {
        let (min, max) = (Duration::from_secs(300), Duration::from_secs(4000));
        let got: Vec<u64> = (1..=6).map(|a| backoff(a, min, max).as_secs()).collect();
        assert_eq!(got, [300, 600, 1200, 2400, 4000, 4000]);
        assert_eq!(backoff(1000, min, max).as_secs(), 4000);
    }
}
