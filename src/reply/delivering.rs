//! The replies this process is sending, so that its own reconciliation
//! leaves them alone.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// The posts this process is replying to right now, each with how many
/// deliveries hold it (an administrator's second reply may overlap the first).
///
/// Keyed by target post rather than reply id because the target is known
/// before the reply is recorded: a delivery holds its target from before the
/// commit that puts the reply in `sending` until the send is settled, so
/// reconciliation in the same process never sees one of its own replies in
/// `sending` without also seeing it held. Shared by every clone of the outbox
/// (the desk's and the daemon's outbox loop).
#[derive(Debug, Clone, Default)]
pub(super) struct Delivering(Arc<Mutex<HashMap<u64, usize>>>);

impl Delivering {
    /// Holds `target` until the guard is dropped (however the delivery ends).
    pub(super) fn hold(&self, target: u64) -> DeliveryGuard {
        *self.lock().entry(target).or_default() += 1;
        DeliveryGuard {
            delivering: self.clone(),
            target,
        }
    }

    /// Whether this process is delivering a reply to `target`.
    pub(super) fn holds(&self, target: u64) -> bool {
        self.lock().contains_key(&target)
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<u64, usize>> {
        // The map stays consistent whatever panicked while holding it.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Releases a target held by [`Delivering::hold`] when dropped.
#[derive(Debug)]
pub(super) struct DeliveryGuard {
    delivering: Delivering,
    target: u64,
}

impl Drop for DeliveryGuard {
    fn drop(&mut self) {
        let mut held = self.delivering.lock();
        if let Some(n) = held.get_mut(&self.target) {
            *n -= 1;
            if *n == 0 {
                held.remove(&self.target);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_target_is_held_until_its_last_guard_is_dropped() {
        let delivering = Delivering::default();
        let clone = delivering.clone();
        assert!(!delivering.holds(7));
        let first = delivering.hold(7);
        let second = clone.hold(7);
        let other = delivering.hold(8);
        assert!(clone.holds(7) && delivering.holds(8));
        drop(first);
        assert!(delivering.holds(7), "the second delivery still holds it");
        drop(second);
        assert!(!clone.holds(7));
        assert!(delivering.holds(8));
        drop(other);
        assert!(!delivering.holds(8));
        assert!(delivering.0.lock().unwrap().is_empty());
    }

    #[test]
    fn a_guard_releases_its_target_when_the_delivery_unwinds() {
        let delivering = Delivering::default();
        let d = delivering.clone();
        let result = std::panic::catch_unwind(move || {
            let _held = d.hold(9);
            panic!("the delivery failed");
        });
        assert!(result.is_err());
        assert!(!delivering.holds(9));
    }
}
