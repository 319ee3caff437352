//! A slab whose keys carry a generation.
//!
//! **Concept.** The reactor hands the kernel a number (a mio `Token`) for every socket, and the
//! executor hands wakers a number for every task. When a socket is closed its slot is reused, but
//! an event for the *old* socket may still be waiting in the batch `epoll_wait` just returned.
//! If keys were plain indexes, that stale event would wake whoever owns the slot now. So each key
//! is `(index, generation)`: removing an entry bumps the slot's generation, and a lookup with an
//! old key finds nothing.
//!
//! **Where.** [`Slab::insert`] hands out keys, [`Slab::remove`] bumps the generation, and
//! [`Key::to_u64`]/[`Key::from_u64`] pack a key into the number given to mio. Free slots form
//! a linked list *inside* the vacant entries (each remembers the next free index), so removing
//! never allocates: a separate list of free indexes would grow by reallocation while tasks
//! finish, and each large reallocation makes malloc stop to tidy its free lists (measured as
//! multi-millisecond stalls in the timers benchmark).
//!
//! **In the debugger.** Print a key: `index` says which slot, `generation` how many times the
//! slot has been reused. A lookup returning `None` for a live-looking index means a stale key.

/// A key into a [`Slab`]: slot index plus the slot's generation when the key was made.
#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug)]
pub struct Key {
    index: u32,
    generation: u32,
}

impl Key {
    /// Packs the key into one number (generation in the high half, index in the low half).
    pub fn to_u64(self) -> u64 {
        (u64::from(self.generation) << 32) | u64::from(self.index)
    }

    /// Unpacks a number made by [`Key::to_u64`].
    pub fn from_u64(packed: u64) -> Key {
        Key {
            index: packed as u32,
            generation: (packed >> 32) as u32,
        }
    }

    /// The slot index (only the unit tests below need it).
    #[cfg(test)]
    pub fn index(self) -> u32 {
        self.index
    }
}

enum Slot<T> {
    Occupied(T),
    /// Free; holds the index of the next free slot (`NO_FREE` ends the list).
    Vacant(u32),
}

struct Entry<T> {
    generation: u32,
    slot: Slot<T>,
}

const NO_FREE: u32 = u32::MAX;

/// A vector of slots with a free list; see the module docs.
pub struct Slab<T> {
    entries: Vec<Entry<T>>,
    /// First free slot, or `NO_FREE`.
    free_head: u32,
    len: usize,
}

impl<T> Default for Slab<T> {
    fn default() -> Self {
        Slab {
            entries: Vec::new(),
            free_head: NO_FREE,
            len: 0,
        }
    }
}

impl<T> Slab<T> {
    /// Stores `value` in a free slot (or a new one) and returns its key.
    pub fn insert(&mut self, value: T) -> Key {
        self.len += 1;
        if self.free_head != NO_FREE {
            let index = self.free_head;
            let entry = &mut self.entries[index as usize];
            if let Slot::Vacant(next) = entry.slot {
                self.free_head = next;
            }
            entry.slot = Slot::Occupied(value);
            return Key {
                index,
                generation: entry.generation,
            };
        }
        let index = u32::try_from(self.entries.len())
            .ok()
            .filter(|&i| i != NO_FREE)
            .expect("slab holds fewer than u32::MAX entries");
        self.entries.push(Entry {
            generation: 0,
            slot: Slot::Occupied(value),
        });
        Key { index, generation: 0 }
    }

    /// The value for `key`, or `None` if the key is stale or was never handed out.
    pub fn get(&self, key: Key) -> Option<&T> {
        let entry = self.entries.get(key.index as usize)?;
        match &entry.slot {
            Slot::Occupied(value) if entry.generation == key.generation => Some(value),
            _ => None,
        }
    }

    /// Mutable access, same rules as [`Slab::get`].
    pub fn get_mut(&mut self, key: Key) -> Option<&mut T> {
        let entry = self.entries.get_mut(key.index as usize)?;
        match &mut entry.slot {
            Slot::Occupied(value) if entry.generation == key.generation => Some(value),
            _ => None,
        }
    }

    /// Removes the value and bumps the slot's generation so `key` goes stale.
    pub fn remove(&mut self, key: Key) -> Option<T> {
        let entry = self.entries.get_mut(key.index as usize)?;
        if entry.generation != key.generation || matches!(entry.slot, Slot::Vacant(_)) {
            return None;
        }
        let Slot::Occupied(value) = std::mem::replace(&mut entry.slot, Slot::Vacant(self.free_head)) else {
            return None;
        };
        entry.generation = entry.generation.wrapping_add(1);
        self.free_head = key.index;
        self.len -= 1;
        Some(value)
    }

    /// Number of live values.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Live values with their keys, in slot order.
    pub fn iter(&self) -> impl Iterator<Item = (Key, &T)> {
        self.entries
            .iter()
            .enumerate()
            .filter_map(|(i, e)| match &e.slot {
                Slot::Occupied(v) => Some((
                    Key {
                        index: i as u32,
                        generation: e.generation,
                    },
                    v,
                )),
                Slot::Vacant(_) => None,
            })
    }

    /// Removes every value, returning them (generations are bumped as by `remove`).
    pub fn drain(&mut self) -> Vec<T> {
        let keys: Vec<Key> = self.iter().map(|(k, _)| k).collect();
        keys.into_iter().filter_map(|k| self.remove(k)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Why: a reused slot must not answer to the key of its previous occupant.
    #[test]
    fn stale_key_finds_nothing_after_slot_reuse() {
        let mut slab = Slab::default();
        let old = slab.insert("old");
        slab.remove(old);
        let new = slab.insert("new");
        assert_eq!(old.index(), new.index());
        assert_eq!(slab.get(old), None);
        assert_eq!(slab.get(new), Some(&"new"));
        assert_eq!(Key::from_u64(new.to_u64()), new);
    }
}

#[cfg(test)]
mod free_list_tests {
    use super::*;

    // Why: the free list lives inside vacant slots; slots must be reused (newest freed first)
    // and every key must keep finding exactly its own value through many reuse rounds.
    #[test]
    fn free_slots_are_reused_and_keys_stay_exact() {
        let mut slab = Slab::default();
        let keys: Vec<Key> = (0..100).map(|i| slab.insert(i)).collect();
        for k in keys.iter().step_by(2) {
            assert!(slab.remove(*k).is_some());
            assert!(slab.remove(*k).is_none(), "double remove finds nothing");
        }
        assert_eq!(slab.len(), 50);
        let again: Vec<Key> = (1000..1050).map(|i| slab.insert(i)).collect();
        assert_eq!(slab.entries.len(), 100, "every freed slot was reused, none added");
        for (k, v) in again.iter().zip(1000..) {
            assert_eq!(slab.get(*k), Some(&v));
        }
        for k in keys.iter().step_by(2) {
            assert_eq!(slab.get(*k), None, "old keys stay stale");
        }
        for (k, v) in keys.iter().zip(0..).skip(1).step_by(2) {
            assert_eq!(slab.get(*k), Some(&v));
        }
        assert_eq!(slab.drain().len(), 100);
        assert_eq!(slab.len(), 0);
    }
}
