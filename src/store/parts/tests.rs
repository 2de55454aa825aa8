use super::*;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

const WINDOWS_LIMIT: usize = 2560;
const SERVICE: &str = "tokdeck:/data";

type Hook = Box<dyn FnOnce() + Send>;

/// A keyring in memory that refuses secrets over its limit as the keyring crate's
/// Windows store does, and can be "killed": after `fuse` more writes every call fails,
/// as if the process had died at that point.
#[derive(Default)]
struct Keyring {
    entries: Mutex<BTreeMap<String, Vec<u8>>>,
    /// `Some(limit)`: announced; refused above it either way.
    announced: Option<usize>,
    refuses_above: Option<usize>,
    fuse: Mutex<Option<usize>>,
    writes: Mutex<usize>,
    /// Runs once, at the first read of a part.
    on_part_read: Mutex<Option<Hook>>,
}

impl Keyring {
    fn windows() -> Arc<Self> {
        Arc::new(Self {
            announced: Some(WINDOWS_LIMIT),
            refuses_above: Some(WINDOWS_LIMIT),
            ..Self::default()
        })
    }

    fn names(&self) -> Vec<String> {
        self.entries.lock().expect("lock").keys().cloned().collect()
    }

    fn writes(&self) -> usize {
        *self.writes.lock().expect("lock")
    }

    fn burn(&self) -> Result<(), StoreError> {
        let mut fuse = self.fuse.lock().expect("lock");
        match fuse.as_mut() {
            Some(0) => Err(StoreError::Other("killed".into())),
            Some(left) => {
                *left -= 1;
                Ok(())
            }
            None => Ok(()),
        }
    }
}

impl Entries for Arc<Keyring> {
    fn get(&self, _service: &str, user: &str) -> Result<Option<Vec<u8>>, StoreError> {
        if matches!(*self.fuse.lock().expect("lock"), Some(0)) {
            return Err(StoreError::Other("killed".into()));
        }
        if user.contains('#')
            && let Some(hook) = self.on_part_read.lock().expect("lock").take()
        {
            hook();
        }
        Ok(self.entries.lock().expect("lock").get(user).cloned())
    }

    fn set(&self, _service: &str, user: &str, secret: &[u8]) -> Result<(), StoreError> {
        if let Some(limit) = self.refuses_above
            && secret.len() > limit
        {
            return Err(StoreError::TooLong {
                what: "secret".into(),
                limit,
            });
        }
        self.burn()?;
        *self.writes.lock().expect("lock") += 1;
        self.entries
            .lock()
            .expect("lock")
            .insert(user.to_string(), secret.to_vec());
        Ok(())
    }

    fn delete(&self, _service: &str, user: &str) -> Result<bool, StoreError> {
        self.burn()?;
        Ok(self.entries.lock().expect("lock").remove(user).is_some())
    }

    fn limit(&self) -> Option<usize> {
        self.announced
    }
}

/// A record-like text of `len` bytes, different for each `seed`.
fn record(seed: u8, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| b'a' + ((i + seed as usize * 7) % 26) as u8)
        .collect()
}

fn read(store: &Parted<Arc<Keyring>>) -> Result<Option<Vec<u8>>, StoreError> {
    store.read(SERVICE, "work")
}

#[test]
fn a_record_over_the_limit_is_stored_in_parts_and_read_back_whole() {
    let keyring = Keyring::windows();
    let store = Parted::new(Arc::clone(&keyring));
    let big = record(1, 6000);
    store.write(SERVICE, "work", &big).expect("write");
    assert_eq!(read(&store).expect("read"), Some(big));
    assert_eq!(
        keyring.names(),
        ["work", "work#1.0", "work#1.1", "work#1.2"],
        "three parts of at most 2560 bytes and the manifest"
    );
    let manifest = keyring.entries.lock().expect("lock")["work"].clone();
    assert!(
        manifest.len() < 200,
        "{}",
        String::from_utf8_lossy(&manifest)
    );
}

#[test]
fn a_record_that_fits_stays_one_entry() {
    let keyring = Keyring::windows();
    let store = Parted::new(Arc::clone(&keyring));
    let small = record(1, WINDOWS_LIMIT);
    store.write(SERVICE, "work", &small).expect("write");
    assert_eq!(keyring.names(), ["work"]);
    assert_eq!(read(&store).expect("read"), Some(small));
}

#[test]
fn a_store_without_an_announced_limit_splits_when_the_platform_refuses() {
    let keyring = Arc::new(Keyring {
        refuses_above: Some(1000),
        ..Keyring::default()
    });
    let store = Parted::new(Arc::clone(&keyring));
    let big = record(2, 2500);
    store.write(SERVICE, "work", &big).expect("write");
    assert_eq!(
        keyring.names(),
        ["work", "work#1.0", "work#1.1", "work#1.2"]
    );
    assert_eq!(read(&store).expect("read"), Some(big));
}

#[test]
fn shrinking_growing_and_deleting_leave_no_stale_parts() {
    let keyring = Keyring::windows();
    let store = Parted::new(Arc::clone(&keyring));
    store
        .write(SERVICE, "work", &record(1, 9000))
        .expect("four parts");
    store
        .write(SERVICE, "work", &record(2, 3000))
        .expect("two parts");
    assert_eq!(keyring.names(), ["work", "work#0.0", "work#0.1"]);
    store
        .write(SERVICE, "work", &record(3, 100))
        .expect("whole");
    assert_eq!(keyring.names(), ["work"]);
    store
        .write(SERVICE, "work", &record(4, 5200))
        .expect("three parts");
    assert_eq!(read(&store).expect("read"), Some(record(4, 5200)));
    store.delete(SERVICE, "work").expect("delete");
    assert!(keyring.names().is_empty(), "{:?}", keyring.names());
    assert_eq!(read(&store).expect("read"), None);
}

#[test]
fn an_unchanged_record_is_not_written_again() {
    for len in [500, 7000] {
        let keyring = Keyring::windows();
        let store = Parted::new(Arc::clone(&keyring));
        store
            .write(SERVICE, "work", &record(1, len))
            .expect("write");
        let writes = keyring.writes();
        store
            .write(SERVICE, "work", &record(1, len))
            .expect("again");
        assert_eq!(keyring.writes(), writes, "{len} bytes written twice");
    }
}

/// A write killed after each of its steps in turn: a reader then finds the old record
/// or the new one, whole, never an error; the next write leaves no leftovers.
#[test]
fn a_write_killed_at_any_step_leaves_the_old_or_the_new_record() {
    let cases = [(7000, 3000), (3000, 9000), (100, 6000), (6000, 100)];
    for (old_len, new_len) in cases {
        let (old, new) = (record(1, old_len), record(2, new_len));
        for fuse in 0.. {
            let keyring = Keyring::windows();
            Parted::new(Arc::clone(&keyring))
                .write(SERVICE, "work", &old)
                .expect("old");
            *keyring.fuse.lock().expect("lock") = Some(fuse);
            let finished = Parted::new(Arc::clone(&keyring))
                .write(SERVICE, "work", &new)
                .is_ok()
                && keyring.fuse.lock().expect("lock").is_some_and(|f| f > 0);
            // A new process after the kill.
            *keyring.fuse.lock().expect("lock") = None;
            let store = Parted::new(Arc::clone(&keyring));
            let seen = read(&store)
                .unwrap_or_else(|e| panic!("{old_len}->{new_len}, killed after {fuse}: {e}"))
                .expect("a record");
            assert!(
                seen == old || seen == new,
                "{old_len}->{new_len}, killed after {fuse} writes: a mixed record"
            );
            let next = record(3, 4000);
            store.write(SERVICE, "work", &next).expect("next write");
            assert_eq!(read(&store).expect("read"), Some(next));
            let names = keyring.names();
            let slot0 = ["work", "work#0.0", "work#0.1"].map(String::from);
            let slot1 = ["work", "work#1.0", "work#1.1"].map(String::from);
            assert!(
                names == slot0 || names == slot1,
                "{old_len}->{new_len}, killed after {fuse}: leftovers in {names:?}"
            );
            if finished {
                break;
            }
        }
    }
}

#[test]
fn a_torn_record_is_an_error_that_names_the_missing_part_and_the_way_out() {
    let keyring = Keyring::windows();
    let store = Parted::new(Arc::clone(&keyring));
    store
        .write(SERVICE, "work", &record(1, 6000))
        .expect("write");
    keyring.entries.lock().expect("lock").remove("work#1.1");
    let e = read(&store).expect_err("torn").to_string();
    assert!(
        e.contains("part 2 of 3 (entry 'work#1.1') is missing"),
        "{e}"
    );
    assert!(e.contains("tokdeck login"), "{e}");

    // A part from another write: the checksum tells.
    let keyring = Keyring::windows();
    let store = Parted::new(Arc::clone(&keyring));
    store
        .write(SERVICE, "work", &record(1, 6000))
        .expect("write");
    keyring
        .entries
        .lock()
        .expect("lock")
        .insert("work#1.2".into(), record(9, 880));
    let e = read(&store).expect_err("mixed").to_string();
    assert!(e.contains("do not add up"), "{e}");
}

/// A reader whose parts are overwritten while it reads starts over and returns the
/// newest record, never a mix.
#[test]
fn a_reader_overtaken_by_writers_starts_over() {
    let keyring = Keyring::windows();
    let store = Arc::new(Parted::new(Arc::clone(&keyring)));
    store
        .write(SERVICE, "work", &record(1, 6000))
        .expect("write");
    let writer = Arc::clone(&store);
    *keyring.on_part_read.lock().expect("lock") = Some(Box::new(move || {
        // Two generations later the reader's slot holds other bytes.
        writer.write(SERVICE, "work", &record(2, 6100)).expect("w2");
        writer.write(SERVICE, "work", &record(3, 6200)).expect("w3");
    }));
    assert_eq!(read(&store).expect("read"), Some(record(3, 6200)));
}

#[test]
fn a_whole_record_never_reads_as_a_manifest() {
    let keyring = Keyring::windows();
    let store = Parted::new(Arc::clone(&keyring));
    let json = br#"{"tokens":{"access_token":"x"},"tokdeck_parts_like":1}"#;
    store.write(SERVICE, "work", json).expect("write");
    assert_eq!(read(&store).expect("read").as_deref(), Some(&json[..]));
}
