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
//! [`Key::to_u64`]/[`Key::from_u64`] pack a key into the number given to mio.
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

    /// The slot index (handy in trace output).
    pub fn index(self) -> u32 {
        self.index
    }
}

struct Entry<T> {
    generation: u32,
    value: Option<T>,
}

/// A vector of slots with a free list; see the module docs.
pub struct Slab<T> {
    entries: Vec<Entry<T>>,
    free: Vec<u32>,
    len: usize,
}

impl<T> Default for Slab<T> {
    fn default() -> Self {
        Slab {
            entries: Vec::new(),
            free: Vec::new(),
            len: 0,
        }
    }
}

impl<T> Slab<T> {
    /// Stores `value` in a free slot (or a new one) and returns its key.
    pub fn insert(&mut self, value: T) -> Key {
        self.len += 1;
        if let Some(index) = self.free.pop() {
            let entry = &mut self.entries[index as usize];
            entry.value = Some(value);
            return Key {
                index,
                generation: entry.generation,
            };
        }
        let index = u32::try_from(self.entries.len()).expect("slab holds at most u32::MAX entries");
        self.entries.push(Entry {
            generation: 0,
            value: Some(value),
        });
        Key { index, generation: 0 }
    }

    /// The value for `key`, or `None` if the key is stale or was never handed out.
    pub fn get(&self, key: Key) -> Option<&T> {
        let entry = self.entries.get(key.index as usize)?;
        if entry.generation != key.generation {
            return None;
        }
        entry.value.as_ref()
    }

    /// Mutable access, same rules as [`Slab::get`].
    pub fn get_mut(&mut self, key: Key) -> Option<&mut T> {
        let entry = self.entries.get_mut(key.index as usize)?;
        if entry.generation != key.generation {
            return None;
        }
        entry.value.as_mut()
    }

    /// Removes the value and bumps the slot's generation so `key` goes stale.
    pub fn remove(&mut self, key: Key) -> Option<T> {
        let entry = self.entries.get_mut(key.index as usize)?;
        if entry.generation != key.generation {
            return None;
        }
        let value = entry.value.take()?;
        entry.generation = entry.generation.wrapping_add(1);
        self.free.push(key.index);
        self.len -= 1;
        Some(value)
    }

    /// Number of live values.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Live values with their keys, in slot order.
    pub fn iter(&self) -> impl Iterator<Item = (Key, &T)> {
        self.entries.iter().enumerate().filter_map(|(i, e)| {
            e.value.as_ref().map(|v| {
                (
                    Key {
                        index: i as u32,
                        generation: e.generation,
                    },
                    v,
                )
            })
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
