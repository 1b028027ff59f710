//! The durable log: an embedded redb database in the data folder.
//!
//! Three tables: the log (`seq -> record`), the ids already logged (`id -> seq`, for
//! idempotency) and the latest snapshot of the state machine (`seq` it covers and its
//! bytes). Every change goes through one write transaction, committed with immediate
//! durability (fsync) before anything is acknowledged: a batch of events, their ids and
//! an occasional snapshot land together or not at all.

use std::path::{Path, PathBuf};

use redb::{Database, Durability, ReadableDatabase, ReadableTable, TableDefinition};

use crate::error::ServerError;

/// `seq -> record`: the log, in the order events were applied; seq starts at 1.
const LOG: TableDefinition<'_, u64, &[u8]> = TableDefinition::new("log");
/// `id -> seq`: every event id in the log.
const IDS: TableDefinition<'_, &str, u64> = TableDefinition::new("ids");
/// `"state" -> (seq covered, bytes)` and `"config"`: the snapshot and what it was built from.
const META: TableDefinition<'_, &str, &[u8]> = TableDefinition::new("meta");
const SNAPSHOT_KEY: &str = "snapshot";
const CONFIG_KEY: &str = "config";

/// The database file inside the data folder.
pub const DB_FILE: &str = "guard.redb";

/// The durable log of one service.
pub struct Store {
    db: Database,
    path: PathBuf,
}

/// The latest snapshot: the state after applying every record up to `seq`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// The last log sequence number it covers.
    pub seq: u64,
    /// The state machine's serialized state.
    pub bytes: Vec<u8>,
}

impl Store {
    /// Opens (or creates) the database in `dir`, creating the folder if needed.
    ///
    /// `config` identifies what the state machine was built from (the spec, digested):
    /// a data folder written under another configuration is refused, since replaying
    /// its log would rebuild a different state.
    ///
    /// # Errors
    /// [`ServerError::Io`] for the folder, [`ServerError::Storage`] for the database,
    /// [`ServerError::ConfigMismatch`] for a folder written under another configuration.
    pub fn open(dir: &Path, config: &str) -> Result<Self, ServerError> {
        std::fs::create_dir_all(dir).map_err(|e| ServerError::Io { path: dir.to_path_buf(), source: e })?;
        let path = dir.join(DB_FILE);
        let db = Database::create(&path).map_err(|e| storage(&path, e))?;
        let store = Self { db, path };
        let txn = store.db.begin_write().map_err(|e| store.err(e))?;
        {
            // Creating the tables up front lets readers open them without a special case.
            txn.open_table(LOG).map_err(|e| store.err(e))?;
            txn.open_table(IDS).map_err(|e| store.err(e))?;
            let mut meta = txn.open_table(META).map_err(|e| store.err(e))?;
            let existing = meta.get(CONFIG_KEY).map_err(|e| store.err(e))?.map(|v| v.value().to_vec());
            match existing {
                Some(found) if found != config.as_bytes() => {
                    return Err(ServerError::ConfigMismatch {
                        path: store.path.clone(),
                        expected: config.to_string(),
                        found: String::from_utf8_lossy(&found).into_owned(),
                    });
                }
                Some(_) => {}
                None => {
                    meta.insert(CONFIG_KEY, config.as_bytes()).map_err(|e| store.err(e))?;
                }
            }
        }
        txn.commit().map_err(|e| store.err(e))?;
        Ok(store)
    }

    /// Where the database lives.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn err(&self, e: impl std::fmt::Display) -> ServerError {
        storage(&self.path, e)
    }

    /// The latest snapshot, if one was taken.
    ///
    /// # Errors
    /// [`ServerError::Storage`] on a database error, [`ServerError::Corrupt`] for a
    /// snapshot record too short to hold its sequence number.
    pub fn snapshot(&self) -> Result<Option<Snapshot>, ServerError> {
        let txn = self.db.begin_read().map_err(|e| self.err(e))?;
        let meta = txn.open_table(META).map_err(|e| self.err(e))?;
        let Some(value) = meta.get(SNAPSHOT_KEY).map_err(|e| self.err(e))? else {
            return Ok(None);
        };
        let raw = value.value();
        let (seq, bytes) = raw.split_first_chunk::<8>().ok_or_else(|| ServerError::Corrupt {
            path: self.path.clone(),
            what: format!("snapshot record of {} bytes", raw.len()),
        })?;
        Ok(Some(Snapshot { seq: u64::from_be_bytes(*seq), bytes: bytes.to_vec() }))
    }

    /// The highest sequence number in the log (0 when empty).
    ///
    /// # Errors
    /// [`ServerError::Storage`] on a database error.
    pub fn last_seq(&self) -> Result<u64, ServerError> {
        let txn = self.db.begin_read().map_err(|e| self.err(e))?;
        let log = txn.open_table(LOG).map_err(|e| self.err(e))?;
        Ok(log.last().map_err(|e| self.err(e))?.map_or(0, |(k, _)| k.value()))
    }

    /// Records with `seq > after`, in order, at most `limit` of them.
    ///
    /// # Errors
    /// [`ServerError::Storage`] on a database error.
    pub fn read_after(&self, after: u64, limit: usize) -> Result<Vec<(u64, Vec<u8>)>, ServerError> {
        let txn = self.db.begin_read().map_err(|e| self.err(e))?;
        let log = txn.open_table(LOG).map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        let Some(start) = after.checked_add(1) else {
            return Ok(out);
        };
        for entry in log.range(start..).map_err(|e| self.err(e))?.take(limit) {
            let (k, v) = entry.map_err(|e| self.err(e))?;
            out.push((k.value(), v.value().to_vec()));
        }
        Ok(out)
    }

    /// Calls `f` on every record with `seq > after`, in order (the replay at start).
    ///
    /// # Errors
    /// [`ServerError::Storage`] on a database error, or what `f` returns.
    pub fn for_each_after(
        &self,
        after: u64,
        mut f: impl FnMut(u64, &[u8]) -> Result<(), ServerError>,
    ) -> Result<(), ServerError> {
        let txn = self.db.begin_read().map_err(|e| self.err(e))?;
        let log = txn.open_table(LOG).map_err(|e| self.err(e))?;
        let Some(start) = after.checked_add(1) else {
            return Ok(());
        };
        for entry in log.range(start..).map_err(|e| self.err(e))? {
            let (k, v) = entry.map_err(|e| self.err(e))?;
            f(k.value(), v.value())?;
        }
        Ok(())
    }

    /// The sequence number an id was logged under, if it was.
    ///
    /// # Errors
    /// [`ServerError::Storage`] on a database error.
    pub fn seq_of(&self, id: &str) -> Result<Option<u64>, ServerError> {
        let txn = self.db.begin_read().map_err(|e| self.err(e))?;
        let ids = txn.open_table(IDS).map_err(|e| self.err(e))?;
        Ok(ids.get(id).map_err(|e| self.err(e))?.map(|v| v.value()))
    }

    /// Starts a batch: one write transaction that commits durably.
    ///
    /// # Errors
    /// [`ServerError::Storage`] on a database error.
    pub fn batch(&self) -> Result<Batch<'_>, ServerError> {
        let mut txn = self.db.begin_write().map_err(|e| self.err(e))?;
        txn.set_durability(Durability::Immediate).map_err(|e| self.err(e))?;
        Ok(Batch { store: self, txn })
    }
}

/// The open tables of a [`Batch`].
pub struct Tables<'s, 't> {
    store: &'s Store,
    log: redb::Table<'t, u64, &'static [u8]>,
    ids: redb::Table<'t, &'static str, u64>,
}

impl Tables<'_, '_> {
    /// The sequence number `id` was logged under, counting this batch's appends.
    ///
    /// # Errors
    /// [`ServerError::Storage`] on a database error.
    pub fn seq_of(&self, id: &str) -> Result<Option<u64>, ServerError> {
        Ok(self.ids.get(id).map_err(|e| self.store.err(e))?.map(|v| v.value()))
    }

    /// Appends one record.
    ///
    /// # Errors
    /// [`ServerError::Storage`] on a database error.
    pub fn append(&mut self, seq: u64, id: &str, bytes: &[u8]) -> Result<(), ServerError> {
        self.log.insert(seq, bytes).map_err(|e| self.store.err(e))?;
        self.ids.insert(id, seq).map_err(|e| self.store.err(e))?;
        Ok(())
    }
}

/// One write transaction: appends, id look-ups that see the batch's own appends, and a
/// snapshot; nothing is visible or durable before [`Batch::commit`] returns.
pub struct Batch<'a> {
    store: &'a Store,
    txn: redb::WriteTransaction,
}

impl Batch<'_> {
    /// Opens the log and id tables once and runs `f` with them: look-ups see the
    /// batch's own appends.
    ///
    /// # Errors
    /// [`ServerError::Storage`] when the tables cannot be opened.
    pub fn with_tables<R>(&mut self, f: impl FnOnce(&mut Tables<'_, '_>) -> R) -> Result<R, ServerError> {
        let log = self.txn.open_table(LOG).map_err(|e| self.store.err(e))?;
        let ids = self.txn.open_table(IDS).map_err(|e| self.store.err(e))?;
        let mut tables = Tables { store: self.store, log, ids };
        Ok(f(&mut tables))
    }

    /// Replaces the snapshot.
    ///
    /// # Errors
    /// [`ServerError::Storage`] on a database error.
    pub fn put_snapshot(&mut self, seq: u64, bytes: &[u8]) -> Result<(), ServerError> {
        let mut meta = self.txn.open_table(META).map_err(|e| self.store.err(e))?;
        let mut raw = Vec::with_capacity(8 + bytes.len());
        raw.extend_from_slice(&seq.to_be_bytes());
        raw.extend_from_slice(bytes);
        meta.insert(SNAPSHOT_KEY, raw.as_slice()).map_err(|e| self.store.err(e))?;
        Ok(())
    }

    /// Commits durably: when this returns `Ok`, the batch survives a crash.
    ///
    /// # Errors
    /// [`ServerError::Storage`] when the commit fails; nothing of the batch is kept.
    pub fn commit(self) -> Result<(), ServerError> {
        self.txn.commit().map_err(|e| self.store.err(e))
    }
}

fn storage(path: &Path, e: impl std::fmt::Display) -> ServerError {
    ServerError::Storage { path: path.to_path_buf(), message: e.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appends_survive_a_reopen_and_ids_are_found() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = Store::open(dir.path(), "c1").unwrap();
            let mut batch = store.batch().unwrap();
            batch
                .with_tables(|t| {
                    t.append(1, "a", b"one").unwrap();
                    t.append(2, "b", b"two").unwrap();
                    assert_eq!(t.seq_of("b").unwrap(), Some(2));
                })
                .unwrap();
            batch.put_snapshot(1, b"state").unwrap();
            batch.commit().unwrap();
        }
        let store = Store::open(dir.path(), "c1").unwrap();
        assert_eq!(store.last_seq().unwrap(), 2);
        assert_eq!(store.seq_of("a").unwrap(), Some(1));
        assert_eq!(store.seq_of("z").unwrap(), None);
        assert_eq!(store.snapshot().unwrap(), Some(Snapshot { seq: 1, bytes: b"state".to_vec() }));
        assert_eq!(store.read_after(1, 10).unwrap(), vec![(2, b"two".to_vec())]);
        assert_eq!(store.read_after(u64::MAX, 10).unwrap(), vec![]);
    }

    #[test]
    fn an_uncommitted_batch_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), "c1").unwrap();
        {
            let mut batch = store.batch().unwrap();
            batch.with_tables(|t| t.append(1, "a", b"one").unwrap()).unwrap();
        }
        assert_eq!(store.last_seq().unwrap(), 0);
        assert_eq!(store.seq_of("a").unwrap(), None);
    }

    #[test]
    fn a_folder_written_under_another_configuration_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        drop(Store::open(dir.path(), "spec A").unwrap());
        let err = Store::open(dir.path(), "spec B").err().unwrap();
        assert!(matches!(err, ServerError::ConfigMismatch { .. }), "{err}");
    }
}
