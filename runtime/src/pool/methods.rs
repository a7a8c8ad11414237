//! The methods [`Group`](super::Group) and [`Pool`](super::Pool) share,
//! generated over their `members` field so that each type documents them.

macro_rules! group_methods {
    ($name:literal) => {
        /// Spawns `f` as a new member greenlet and returns its handle. For a
        /// pool, blocks the current greenlet until a slot is free (waiting
        /// spawners are served in FIFO order); other greenlets run
        /// meanwhile. The member leaves when it ends, however it ends.
        ///
        /// # Panics
        ///
        /// As [`spawn`](crate::spawn); also if a pool's slot could never be
        /// freed (a deadlock: "would block forever").
        #[track_caller]
        pub fn spawn<F, T>(&self, f: F) -> $crate::JoinHandle<T>
        where
            F: FnOnce() -> T + 'static,
            T: 'static,
        {
            self.members.take_slot(concat!($name, "::spawn"), None);
            self.members.spawn_member(f)
        }

        /// Like [`spawn`](Self::spawn), with the name and stack size set in
        /// `builder`. For a pool, blocks the current greenlet until a slot
        /// is free, like `spawn`.
        ///
        /// # Errors
        ///
        /// As [`Builder::spawn`](crate::Builder::spawn), for example when no
        /// stack can be allocated; the slot taken for the member is given
        /// back and `f` is dropped.
        ///
        /// # Panics
        ///
        /// If a pool's slot could never be freed (a deadlock: "would block
        /// forever").
        #[track_caller]
        pub fn spawn_with<F, T>(
            &self,
            builder: $crate::Builder,
            f: F,
        ) -> std::io::Result<$crate::JoinHandle<T>>
        where
            F: FnOnce() -> T + 'static,
            T: 'static,
        {
            self.members.take_slot(concat!($name, "::spawn_with"), None);
            self.members.spawn_member_with(builder, f)
        }

        /// Adds a greenlet spawned elsewhere; it leaves when it ends. For a
        /// pool it takes a slot: blocks the current greenlet until one is
        /// free; other greenlets run meanwhile.
        pub fn add<T>(&self, handle: &$crate::JoinHandle<T>) {
            if self.contains(handle) {
                return;
            }
            self.members.take_slot(concat!($name, "::add"), None);
            self.members.add_member(handle);
        }

        /// Removes a member without killing it (it keeps running; a pool
        /// frees its slot). Returns whether it was a member.
        pub fn discard<T>(&self, handle: &$crate::JoinHandle<T>) -> bool {
            self.members.discard_id(handle.id().as_u64())
        }

        /// Whether the greenlet is a member.
        pub fn contains<T>(&self, handle: &$crate::JoinHandle<T>) -> bool {
            self.members.contains_id(handle.id().as_u64())
        }

        /// Number of members (running, or spawned and not started).
        pub fn len(&self) -> usize {
            self.members.len()
        }

        /// Whether there is no member.
        pub fn is_empty(&self) -> bool {
            self.members.len() == 0
        }

        /// Waits until every member has ended (including members spawned
        /// while waiting). Blocks the current greenlet until then; other
        /// greenlets run meanwhile.
        ///
        /// # Panics
        ///
        /// Panics if a member could never end (a deadlock), for example when
        /// called from a member.
        pub fn join(&self) {
            self.members.wait_empty(concat!($name, "::join"), None);
        }

        /// Like [`join`](Self::join), but gives up after `timeout` and
        /// returns `false`.
        pub fn join_timeout(&self, timeout: std::time::Duration) -> bool {
            self.members.wait_empty(
                concat!($name, "::join_timeout"),
                Some(std::time::Instant::now() + timeout),
            )
        }

        /// Kills every member and waits until all have ended. Blocks the
        /// current greenlet until then; other greenlets run meanwhile.
        /// Members that have not started never run.
        ///
        /// # Panics
        ///
        /// Panics if called from one of the members (it would wait for
        /// itself).
        pub fn kill(&self) {
            assert!(
                !self.members.caller_is_member(),
                concat!(
                    $name,
                    "::kill called from one of its own greenlets: it would wait for itself"
                )
            );
            self.members.request_kill_all();
            self.members.wait_empty(concat!($name, "::kill"), None);
        }

        /// Like [`kill`](Self::kill), but waits at most `timeout` for the
        /// members to end; returns whether they all did.
        pub fn kill_timeout(&self, timeout: std::time::Duration) -> bool {
            self.members.request_kill_all();
            self.members.wait_empty(
                concat!($name, "::kill_timeout"),
                Some(std::time::Instant::now() + timeout),
            )
        }

        /// Runs `f` on every item, each in its own member greenlet, and
        /// returns the results in input order. A job that panics or is
        /// killed gives its `Err` at its position; the others go on. Blocks
        /// the current greenlet until all have finished; other greenlets run
        /// meanwhile. A pool runs at most its size at once.
        pub fn map<I, F, R>(&self, f: F, items: I) -> Vec<Result<R, $crate::JoinError>>
        where
            I: IntoIterator,
            I::Item: 'static,
            F: Fn(I::Item) -> R + 'static,
            R: 'static,
        {
            self.imap(f, items).collect()
        }

        /// Like [`map`](Self::map), but lazy: an iterator whose `next`
        /// blocks the current greenlet until the next result in input order
        /// is ready (other greenlets run meanwhile). Items are taken from
        /// `items` only as jobs are started, at most the pool's size ahead.
        pub fn imap<I, F, R>(&self, f: F, items: I) -> $crate::pool::Imap<'_, I::IntoIter, R>
        where
            I: IntoIterator,
            I::Item: 'static,
            F: Fn(I::Item) -> R + 'static,
            R: 'static,
        {
            $crate::pool::Imap::new(&self.members, items.into_iter(), std::rc::Rc::new(f))
        }

        /// Like [`imap`](Self::imap), but yields results in the order the
        /// jobs finish (the seeds' `as_completed`).
        pub fn imap_unordered<I, F, R>(
            &self,
            f: F,
            items: I,
        ) -> $crate::pool::ImapUnordered<'_, I::IntoIter, R>
        where
            I: IntoIterator,
            I::Item: 'static,
            F: Fn(I::Item) -> R + 'static,
            R: 'static,
        {
            $crate::pool::ImapUnordered::new(&self.members, items.into_iter(), std::rc::Rc::new(f))
        }

        /// Runs `f` in a member greenlet and waits for its result. Blocks
        /// the current greenlet until it has finished (for a pool, first
        /// until a slot is free); other greenlets run meanwhile.
        ///
        /// # Errors
        ///
        /// [`JoinError`](crate::JoinError) if `f` panicked or was killed.
        pub fn apply<F, R>(&self, f: F) -> Result<R, $crate::JoinError>
        where
            F: FnOnce() -> R + 'static,
            R: 'static,
        {
            self.spawn(f).join()
        }

        /// Runs `f` in a member greenlet and, in that greenlet, `callback`
        /// with its result; returns the handle at once (for a pool, after
        /// blocking the current greenlet until a slot is free). The callback
        /// does not run if `f` panics or is killed.
        pub fn apply_async<F, R, C>(&self, f: F, callback: C) -> $crate::JoinHandle<R>
        where
            F: FnOnce() -> R + 'static,
            C: FnOnce(&R) + 'static,
            R: 'static,
        {
            self.spawn(move || {
                let r = f();
                callback(&r);
                r
            })
        }
    };
}
