//! The catalog database: which shards there are, which company lives on which shard, and
//! moving a company from one shard to another.
//!
//! **Adding a company** ([`Catalog::add_company`]) writes the shard first — its `company` row,
//! the number series and marketing setup a new embedded store gets (`ops::master::initial_setup`),
//! in one shard transaction — and the catalog row last. A crash in between leaves shard rows no
//! catalog row points at: invisible, and adopted by running the same `company add` again. Ids
//! come from a catalog sequence, so such an id is never given to another company.
//!
//! **Moving a company** ([`Catalog::move_company`]) is a copy under a company-wide lock:
//!
//! 1. the catalog row goes to state `moving` (with `moving_to`): from then on
//!    [`Catalog::connect_company`] refuses the company, naming the move;
//! 2. on the source shard, one transaction locks the company's `company` row `FOR UPDATE`
//!    (every writer of a company takes that lock first, so writers that connected before the
//!    move finish first, and later ones wait, then find the row gone);
//! 3. on the target shard, one transaction deletes whatever an earlier attempt left of the
//!    company and streams every table's rows of the company
//!    `COPY (SELECT … WHERE company_id = …) TO STDOUT (FORMAT binary)` → `COPY … FROM STDIN`,
//!    parents before children; then per table the row count and a digest
//!    (`sum(hashtextextended(row::text, 0))`) are compared on both sides and the target commits
//!    only when all agree;
//! 4. the catalog switches the company to the target shard (state `active`, `leftover_on` = the
//!    source);
//! 5. the source transaction deletes the company's rows and commits (releasing the lock); then
//!    the catalog clears `leftover_on`.
//!
//! What each catalog state means after a crash, and what running the move again does:
//!
//! | state | data served from | running `company move CODE --to-shard T` |
//! |---|---|---|
//! | `active`, no `leftover_on` | `shard_id` | a new move (or nothing when T is its shard) |
//! | `moving` to T | nobody (refused); `shard_id` holds the data, T may hold a partial or full copy | T: copies again from the start (the copy on T is replaced); the current shard: undoes the move (deletes the copy on T); another shard: refused |
//! | `active`, `leftover_on` = S | `shard_id` | deletes the old copy on S first, then as `active` |
//!
//! So nothing is ever served from two places: before step 4 only the source holds the company
//! (and refuses it), after it only the target.
//!
//! The SQL naming tables and columns is built from the names the shard's own system catalog
//! lists (quoted as identifiers), never from input; the company id reaches `COPY` through a
//! transaction-local setting (`interlog.company`), since `COPY` takes no parameters.

use postgres::{Client, GenericClient, Transaction};
use serde::{Serialize, Serializer};

use super::schema::{CATALOG, SHARD};
use super::{connect, migrate_schema, redact, schema_version, PgError};
use crate::domain::{check_text, CompanyCode, NoSeries};

/// Key of the session advisory lock a move holds on the catalog (with the company id).
const MOVE_LOCK: i32 = 7_429_002;
/// Key of the session advisory lock an add holds on the catalog (with a hash of the code).
const ADD_LOCK: i32 = 7_429_003;
/// Longest company name (BC's Company Display Name is `Text[250]`).
pub const MAX_NAME_LEN: usize = 250;

fn redacted<S: Serializer>(url: &str, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&redact(url))
}

/// A shard: a database holding companies' data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Shard {
    /// Its id in the catalog (1, 2, …).
    pub shard_id: i32,
    /// Its URL (shown without a password).
    #[serde(serialize_with = "redacted")]
    pub url: String,
    /// Companies placed on it (a company being moved counts where its data is).
    pub companies: i64,
}

/// Whether a company can be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CompanyState {
    /// Served from its shard.
    Active,
    /// Being moved: refused until the move finishes or is undone.
    Moving,
}

/// A company as the catalog knows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Company {
    /// Its id: `company_id` in every shard table.
    pub company_id: i32,
    /// Its code (`--company`).
    pub code: String,
    /// Its name.
    pub name: String,
    /// The shard holding its data.
    pub shard_id: i32,
    /// That shard's URL (shown without a password).
    #[serde(serialize_with = "redacted")]
    pub shard_url: String,
    /// Active or being moved.
    pub state: CompanyState,
    /// The shard a move in progress goes to.
    pub moving_to: Option<i32>,
    /// A shard still holding an old copy after a move (deleted by the next move).
    pub leftover_on: Option<i32>,
}

/// A company and a connection to its shard.
pub struct CompanyShard {
    /// The company.
    pub company: Company,
    /// A connection to its shard.
    pub client: Client,
}

/// One shard as `init` left it.
#[derive(Clone, Debug, Serialize)]
pub struct ShardInit {
    /// Its id.
    pub shard_id: i32,
    /// Its URL (shown without a password).
    #[serde(serialize_with = "redacted")]
    pub url: String,
    /// True when this `init` registered it.
    pub added: bool,
    /// Migrations this `init` applied to it.
    pub migrations: Vec<i32>,
}

/// What `init` did.
#[derive(Clone, Debug, Serialize)]
pub struct InitReport {
    /// The catalog's URL (shown without a password).
    #[serde(serialize_with = "redacted")]
    pub catalog: String,
    /// Migrations applied to the catalog.
    pub catalog_migrations: Vec<i32>,
    /// Every shard of the catalog.
    pub shards: Vec<ShardInit>,
}

/// One table of a moved company.
#[derive(Clone, Debug, Serialize)]
pub struct TableMove {
    /// Table name.
    pub table: String,
    /// Rows copied (equal on both sides).
    pub rows: i64,
    /// The digest both sides agreed on (`sum(hashtextextended(row::text, 0))`).
    pub digest: String,
}

/// What `company move` did.
#[derive(Clone, Debug, Serialize)]
pub struct MoveReport {
    /// The company.
    pub company: String,
    /// Where it was.
    pub from_shard: i32,
    /// Where it is now.
    pub to_shard: i32,
    /// `moved`, `already-there` (nothing to do) or `undone` (an interrupted move taken back).
    pub outcome: &'static str,
    /// True when an interrupted move was finished.
    pub resumed: bool,
    /// A shard an old copy was deleted from.
    pub leftover_removed: Option<i32>,
    /// Per table: rows and digest (empty unless moved).
    pub tables: Vec<TableMove>,
    /// Rows moved in all.
    pub rows: i64,
}

/// Where companies are and where the next one goes (`company place`).
#[derive(Clone, Debug, Serialize)]
pub struct Placement {
    /// Every shard with its company count.
    pub shards: Vec<Shard>,
    /// The shard `company add` picks when not told (the one with the fewest companies).
    pub next_shard: i32,
}

/// A connection to an initialised catalog.
pub struct Catalog {
    client: Client,
    url: String,
}

impl std::fmt::Debug for Catalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Catalog")
            .field("url", &redact(&self.url))
            .finish_non_exhaustive()
    }
}

/// Which kind of interlog database a database already is, if any.
fn kind_of(client: &mut Client) -> Result<Option<&'static str>, PgError> {
    let row = client
        .query_one(
            "SELECT to_regclass('job_queue') IS NOT NULL, to_regclass('segment_line') IS NOT NULL",
            &[],
        )
        .map_err(PgError::sql("looking at the database's tables"))?;
    Ok(match (row.get(0), row.get(1)) {
        (true, _) => Some("catalog"),
        (false, true) => Some("shard"),
        _ => None,
    })
}

fn expect_kind(client: &mut Client, url: &str, expected: &'static str) -> Result<(), PgError> {
    match kind_of(client)? {
        Some(found) if found != expected => Err(PgError::WrongKind {
            url: redact(url),
            found,
            expected,
        }),
        _ => Ok(()),
    }
}

/// What makes a database the same database under another URL: the server's system identifier
/// (or its address and port when that is not readable) and the database name.
fn identity(client: &mut Client) -> Result<String, PgError> {
    let server = client
        .query_one(
            "SELECT system_identifier::text FROM pg_control_system()",
            &[],
        )
        .ok()
        .and_then(|r| r.get::<_, Option<String>>(0));
    let row = client
        .query_one(
            "SELECT current_database()::text, \
                    coalesce(host(inet_server_addr()), '') || ':' || \
                    coalesce(inet_server_port()::text, '')",
            &[],
        )
        .map_err(PgError::sql("reading the database's identity"))?;
    let db: String = row.get(0);
    let addr: String = row.get(1);
    Ok(format!("{}/{db}", server.unwrap_or(addr)))
}

/// Connects to a shard and brings its schema up to date (`init` only).
fn open_shard(url: &str) -> Result<(Client, Vec<i32>), PgError> {
    let mut c = connect(url)?;
    expect_kind(&mut c, url, "shard")?;
    let applied = migrate_schema(&mut c, url, SHARD)?;
    Ok((c, applied))
}

/// Connects to a registered shard, refusing one of another schema version than this build's
/// (older: `init` migrates it; newer: upgrade interlog).
fn shard_client(url: &str) -> Result<Client, PgError> {
    let mut client = connect(url)?;
    let found = schema_version(&mut client)?;
    let known = SHARD.iter().map(|m| m.version).max().unwrap_or(0);
    if found > known {
        return Err(PgError::TooNew {
            url: redact(url),
            found,
            known,
        });
    }
    if found < known {
        return Err(PgError::TooOld {
            url: redact(url),
            found,
            known,
        });
    }
    Ok(client)
}

fn known_list<T>(items: &[T], f: impl Fn(&T) -> String) -> String {
    if items.is_empty() {
        "none".to_string()
    } else {
        items.iter().map(f).collect::<Vec<_>>().join(", ")
    }
}

/// The shard `company add` picks: the fewest companies, then the lowest id.
fn pick(shards: &[Shard]) -> Option<i32> {
    shards
        .iter()
        .min_by_key(|s| (s.companies, s.shard_id))
        .map(|s| s.shard_id)
}

const COMPANY_SELECT: &str = "SELECT c.company_id, c.code, c.name, c.shard_id, s.url, c.state, \
     c.moving_to, c.leftover_on FROM company c JOIN shard s ON s.shard_id = c.shard_id";

fn company_from(row: &postgres::Row) -> Result<Company, PgError> {
    let state: String = row.get(5);
    let state = match state.as_str() {
        "active" => CompanyState::Active,
        "moving" => CompanyState::Moving,
        other => {
            return Err(PgError::BadValue {
                table: "company",
                column: "state",
                value: other.to_string(),
                reason: "expected active or moving".into(),
            })
        }
    };
    Ok(Company {
        company_id: row.get(0),
        code: row.get(1),
        name: row.get(2),
        shard_id: row.get(3),
        shard_url: row.get(4),
        state,
        moving_to: row.get(6),
        leftover_on: row.get(7),
    })
}

impl Catalog {
    /// Migrates the catalog and registers and migrates each shard. Idempotent: running it
    /// again with the same shards only applies new migrations (to the catalog and to every
    /// registered shard); a new shard URL is added. Refuses a shard that is the catalog, a
    /// catalog given as a shard (and the other way round), and a database registered twice.
    pub fn init(url: &str, shards: &[String]) -> Result<InitReport, PgError> {
        let mut client = connect(url)?;
        expect_kind(&mut client, url, "catalog")?;
        let catalog_migrations = migrate_schema(&mut client, url, CATALOG)?;
        let mut cat = Catalog {
            client,
            url: url.to_string(),
        };
        let mut seen = vec![(identity(&mut cat.client)?, url.to_string())];
        let registered = cat.shards()?;
        if registered.is_empty() && shards.is_empty() {
            return Err(PgError::NoShards);
        }
        let mut report = InitReport {
            catalog: url.to_string(),
            catalog_migrations,
            shards: Vec::new(),
        };
        for s in &registered {
            let (mut c, migrations) = open_shard(&s.url)?;
            seen.push((identity(&mut c)?, s.url.clone()));
            report.shards.push(ShardInit {
                shard_id: s.shard_id,
                url: s.url.clone(),
                added: false,
                migrations,
            });
        }
        for new in shards {
            if report.shards.iter().any(|s| &s.url == new) {
                continue;
            }
            let mut c = connect(new)?;
            let id = identity(&mut c)?;
            if let Some((_, other)) = seen.iter().find(|(i, _)| *i == id) {
                return Err(PgError::SameDatabase {
                    url: redact(new),
                    other: redact(other),
                });
            }
            expect_kind(&mut c, new, "shard")?;
            let migrations = migrate_schema(&mut c, new, SHARD)?;
            seen.push((id, new.clone()));
            let mut tx = cat
                .client
                .transaction()
                .map_err(PgError::sql("starting to register a shard"))?;
            tx.batch_execute("LOCK TABLE shard IN EXCLUSIVE MODE")
                .map_err(PgError::sql("locking the shard list"))?;
            let shard_id: i32 = tx
                .query_one(
                    "INSERT INTO shard (shard_id, url) \
                     SELECT coalesce(max(shard_id), 0) + 1, $1 FROM shard RETURNING shard_id",
                    &[new],
                )
                .map_err(PgError::sql("registering a shard"))?
                .get(0);
            tx.commit()
                .map_err(PgError::sql("committing the new shard"))?;
            report.shards.push(ShardInit {
                shard_id,
                url: new.clone(),
                added: true,
                migrations,
            });
        }
        Ok(report)
    }

    /// Opens an initialised catalog. Refuses a database `init` never ran on (saying to run
    /// it), a shard, and a catalog of another schema version (newer: upgrade interlog; older:
    /// run `init`).
    pub fn open(url: &str) -> Result<Catalog, PgError> {
        let mut client = connect(url)?;
        expect_kind(&mut client, url, "catalog")?;
        let found = schema_version(&mut client)?;
        let known = CATALOG.iter().map(|m| m.version).max().unwrap_or(0);
        if found == 0 {
            return Err(PgError::NotInitialised { url: redact(url) });
        }
        if found > known {
            return Err(PgError::TooNew {
                url: redact(url),
                found,
                known,
            });
        }
        if found < known {
            return Err(PgError::TooOld {
                url: redact(url),
                found,
                known,
            });
        }
        Ok(Catalog {
            client,
            url: url.to_string(),
        })
    }

    /// The catalog's URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Every shard, by id, with its company count.
    pub fn shards(&mut self) -> Result<Vec<Shard>, PgError> {
        self.client
            .query(
                "SELECT s.shard_id, s.url, count(c.company_id) FROM shard s \
                 LEFT JOIN company c ON c.shard_id = s.shard_id \
                 GROUP BY s.shard_id, s.url ORDER BY s.shard_id",
                &[],
            )
            .map_err(PgError::sql("listing the shards"))
            .map(|rows| {
                rows.iter()
                    .map(|r| Shard {
                        shard_id: r.get(0),
                        url: r.get(1),
                        companies: r.get(2),
                    })
                    .collect()
            })
    }

    fn shard(&mut self, id: i32) -> Result<Shard, PgError> {
        let shards = self.shards()?;
        shards
            .iter()
            .find(|s| s.shard_id == id)
            .cloned()
            .ok_or_else(|| PgError::NoShard {
                id,
                known: known_list(&shards, |s| format!("{} = {}", s.shard_id, redact(&s.url))),
            })
    }

    /// Every company, by code.
    pub fn companies(&mut self) -> Result<Vec<Company>, PgError> {
        let rows = self
            .client
            .query(&format!("{COMPANY_SELECT} ORDER BY c.code"), &[])
            .map_err(PgError::sql("listing the companies"))?;
        rows.iter().map(company_from).collect()
    }

    /// The codes of every company, for messages ("none" when there is none).
    pub fn known_companies(&mut self) -> Result<String, PgError> {
        Ok(known_list(&self.companies()?, |c| c.code.clone()))
    }

    /// One company, by code (upper-cased like every code).
    pub fn company(&mut self, code: &str) -> Result<Company, PgError> {
        let code = CompanyCode::new(code)?;
        let row = self
            .client
            .query_opt(
                &format!("{COMPANY_SELECT} WHERE c.code = $1"),
                &[&code.as_str()],
            )
            .map_err(PgError::sql("reading a company"))?;
        match row {
            Some(r) => company_from(&r),
            None => Err(PgError::NoCompany {
                code: code.to_string(),
                known: self.known_companies()?,
            }),
        }
    }

    /// Where companies are and where `company add` would put the next one.
    pub fn placement(&mut self) -> Result<Placement, PgError> {
        let shards = self.shards()?;
        let next_shard = pick(&shards).ok_or(PgError::NoShards)?;
        Ok(Placement { shards, next_shard })
    }

    /// Adds a company on `shard` (or the shard with the fewest companies), with what a new
    /// embedded store starts with: number series CONT, SEGM, CAMP and marketing setup. The
    /// shard's rows are written in one transaction and the catalog row last; a re-run after a
    /// crash in between adopts the shard rows.
    pub fn add_company(
        &mut self,
        code: &str,
        name: &str,
        shard: Option<i32>,
    ) -> Result<Company, PgError> {
        let code = CompanyCode::new(code)?;
        let name = check_text("company name", name, MAX_NAME_LEN)?;
        // Adds of one code run one at a time, so one never takes another's rows in flight for
        // those of a crashed add. The server drops the lock with a dead session.
        self.client
            .execute(
                "SELECT pg_advisory_lock($1, hashtext($2))",
                &[&ADD_LOCK, &code.as_str()],
            )
            .map_err(PgError::sql("locking the company code"))?;
        let result = self.add_locked(&code, &name, shard);
        let _ = self.client.execute(
            "SELECT pg_advisory_unlock($1, hashtext($2))",
            &[&ADD_LOCK, &code.as_str()],
        );
        result
    }

    fn add_locked(
        &mut self,
        code: &CompanyCode,
        name: &str,
        shard: Option<i32>,
    ) -> Result<Company, PgError> {
        match self.company(code.as_str()) {
            Ok(c) => {
                return Err(PgError::CompanyExists {
                    code: c.code,
                    shard_id: c.shard_id,
                })
            }
            Err(PgError::NoCompany { .. }) => {}
            Err(e) => return Err(e),
        }
        let shards = self.shards()?;
        let target = match shard {
            Some(id) => self.shard(id)?.shard_id,
            None => pick(&shards).ok_or(PgError::NoShards)?,
        };
        // Shard rows of this code no catalog row points at: left by an add that crashed.
        let mut adopted = None;
        for s in &shards {
            let mut c = shard_client(&s.url)?;
            let orphans: Vec<i32> = c
                .query(
                    "SELECT company_id FROM company WHERE code = $1",
                    &[&code.as_str()],
                )
                .map_err(PgError::sql("looking for an unfinished add"))?
                .iter()
                .map(|r| r.get(0))
                .collect();
            for id in orphans {
                let in_catalog = self
                    .client
                    .query_opt("SELECT 1 FROM company WHERE company_id = $1", &[&id])
                    .map_err(PgError::sql("reading a company"))?
                    .is_some();
                if in_catalog {
                    continue;
                }
                if s.shard_id == target && adopted.is_none() {
                    adopted = Some(id);
                } else {
                    delete_company_rows(&mut c, id)?;
                }
            }
        }
        let target_url = self.shard(target)?.url;
        let mut shard = shard_client(&target_url)?;
        let company_id = match adopted {
            Some(id) => id,
            None => {
                let id: i32 = self
                    .client
                    .query_one("SELECT nextval('company_id_seq')::integer", &[])
                    .map_err(PgError::sql("drawing a company id"))?
                    .get(0);
                let mut tx = shard
                    .transaction()
                    .map_err(PgError::sql("starting to add a company"))?;
                write_new_company(&mut tx, id, code)?;
                tx.commit()
                    .map_err(PgError::sql("committing the company's shard rows"))?;
                id
            }
        };
        let inserted = self.client.execute(
            "INSERT INTO company (company_id, code, name, shard_id) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (code) DO NOTHING",
            &[&company_id, &code.as_str(), &name, &target],
        );
        match inserted {
            Ok(1) => self.company(code.as_str()),
            Ok(_) => {
                // Another process added the same code meanwhile: ours is not needed.
                if adopted.is_none() {
                    delete_company_rows(&mut shard, company_id)?;
                }
                let c = self.company(code.as_str())?;
                Err(PgError::CompanyExists {
                    code: c.code,
                    shard_id: c.shard_id,
                })
            }
            Err(e) => Err(PgError::sql("adding the company to the catalog")(e)),
        }
    }

    /// The company named by `code`, or the refusal saying `--company` is needed (with the
    /// companies there are) when there is none.
    pub fn required_company(&mut self, code: Option<&str>) -> Result<Company, PgError> {
        match code {
            Some(c) => self.company(c),
            None => Err(PgError::CompanyNeeded {
                known: self.known_companies()?,
            }),
        }
    }

    /// Connects to the company's shard. Refuses a company being moved, a shard of another
    /// schema version and a shard without the company's row.
    pub fn connect_company(&mut self, code: &str) -> Result<CompanyShard, PgError> {
        let company = self.company(code)?;
        if let (CompanyState::Moving, Some(to)) = (company.state, company.moving_to) {
            return Err(PgError::Moving {
                code: company.code,
                from: company.shard_id,
                to,
            });
        }
        let mut client = shard_client(&company.shard_url)?;
        let here = client
            .query_opt(
                "SELECT 1 FROM company WHERE company_id = $1",
                &[&company.company_id],
            )
            .map_err(PgError::sql("finding the company on its shard"))?;
        if here.is_none() {
            return Err(PgError::Inconsistent(format!(
                "the catalog places company {} (id {}) on shard {} ({}), which has no row of it",
                company.code,
                company.company_id,
                company.shard_id,
                redact(&company.shard_url)
            )));
        }
        Ok(CompanyShard { company, client })
    }

    /// Moves a company to shard `to_shard` (see the module docs for the steps and for what
    /// running it again after an interruption does).
    pub fn move_company(&mut self, code: &str, to_shard: i32) -> Result<MoveReport, PgError> {
        let first = self.company(code)?;
        let target = self.shard(to_shard)?;
        let locked: bool = self
            .client
            .query_one(
                "SELECT pg_try_advisory_lock($1, $2)",
                &[&MOVE_LOCK, &first.company_id],
            )
            .map_err(PgError::sql("locking the company for a move"))?
            .get(0);
        if !locked {
            return Err(PgError::MoveRunning { code: first.code });
        }
        let result = self.move_locked(&first.code, target);
        let _ = self.client.execute(
            "SELECT pg_advisory_unlock($1, $2)",
            &[&MOVE_LOCK, &first.company_id],
        );
        result
    }

    fn move_locked(&mut self, code: &str, target: Shard) -> Result<MoveReport, PgError> {
        // Read again under the lock: another move may have finished meanwhile.
        let c = self.company(code)?;
        let mut report = MoveReport {
            company: c.code.clone(),
            from_shard: c.shard_id,
            to_shard: target.shard_id,
            outcome: "moved",
            resumed: false,
            leftover_removed: None,
            tables: Vec::new(),
            rows: 0,
        };
        if let Some(old) = c.leftover_on.filter(|&s| s != c.shard_id) {
            let url = self.shard(old)?.url;
            let mut client = shard_client(&url)?;
            delete_company_rows(&mut client, c.company_id)?;
            self.client
                .execute(
                    "UPDATE company SET leftover_on = NULL WHERE company_id = $1",
                    &[&c.company_id],
                )
                .map_err(PgError::sql("clearing the old copy's mark"))?;
            report.leftover_removed = Some(old);
        }
        match (c.state, c.moving_to) {
            (CompanyState::Active, _) if target.shard_id == c.shard_id => {
                report.outcome = "already-there";
                return Ok(report);
            }
            (CompanyState::Active, _) => {
                let n = self
                    .client
                    .execute(
                        "UPDATE company SET state = 'moving', moving_to = $2 \
                         WHERE company_id = $1 AND state = 'active'",
                        &[&c.company_id, &target.shard_id],
                    )
                    .map_err(PgError::sql("marking the company as moving"))?;
                if n != 1 {
                    return Err(PgError::Inconsistent(format!(
                        "company {} changed while a move was starting — run the move again",
                        c.code
                    )));
                }
            }
            (CompanyState::Moving, Some(to)) if to == target.shard_id => report.resumed = true,
            (CompanyState::Moving, Some(to)) if target.shard_id == c.shard_id => {
                // Undo: the data never left the source; drop the copy on the target.
                let url = self.shard(to)?.url;
                let mut client = shard_client(&url)?;
                delete_company_rows(&mut client, c.company_id)?;
                self.client
                    .execute(
                        "UPDATE company SET state = 'active', moving_to = NULL \
                         WHERE company_id = $1 AND state = 'moving'",
                        &[&c.company_id],
                    )
                    .map_err(PgError::sql("undoing the move in the catalog"))?;
                report.outcome = "undone";
                report.to_shard = c.shard_id;
                return Ok(report);
            }
            (CompanyState::Moving, to) => {
                return Err(PgError::Moving {
                    code: c.code,
                    from: c.shard_id,
                    to: to.unwrap_or(c.shard_id),
                })
            }
        }
        let source = self.shard(c.shard_id)?;
        self.copy_and_switch(&c, &source, &target, &mut report)?;
        Ok(report)
    }

    fn copy_and_switch(
        &mut self,
        c: &Company,
        source: &Shard,
        target: &Shard,
        report: &mut MoveReport,
    ) -> Result<(), PgError> {
        let mut src = shard_client(&source.url)?;
        let mut dst = shard_client(&target.url)?;
        if identity(&mut src)? == identity(&mut dst)? {
            return Err(PgError::SameDatabase {
                url: redact(&target.url),
                other: redact(&source.url),
            });
        }
        let tables = company_tables(&mut src)?;
        let mut stx = src
            .transaction()
            .map_err(PgError::sql("starting the move on the source"))?;
        settle(&mut stx, c.company_id)?;
        let here = stx
            .query_opt(
                "SELECT 1 FROM company WHERE company_id = $1 FOR UPDATE",
                &[&c.company_id],
            )
            .map_err(PgError::sql("locking the company on the source"))?;
        if here.is_none() {
            return Err(PgError::Inconsistent(format!(
                "company {} (id {}) has no row on its shard {} — nothing was moved",
                c.code, c.company_id, source.shard_id
            )));
        }
        let mut ttx = dst
            .transaction()
            .map_err(PgError::sql("starting the move on the target"))?;
        settle(&mut ttx, c.company_id)?;
        for t in tables.iter().rev() {
            ttx.execute(
                &format!("DELETE FROM {} WHERE company_id = $1", ident(t)),
                &[&c.company_id],
            )
            .map_err(PgError::sql(format!("clearing {t} on the target")))?;
        }
        for t in &tables {
            let cols = columns(&mut stx, t)?;
            if columns(&mut ttx, t)? != cols {
                return Err(PgError::Inconsistent(format!(
                    "table {t} has other columns on shard {} than on shard {} — run \
                     `interlog init` to bring both to this interlog's schema",
                    target.shard_id, source.shard_id
                )));
            }
            let list = cols.iter().map(|c| ident(c)).collect::<Vec<_>>().join(", ");
            let mut reader = stx
                .copy_out(&format!(
                    "COPY (SELECT {list} FROM {} WHERE company_id = \
                     current_setting('interlog.company')::integer) TO STDOUT (FORMAT binary)",
                    ident(t)
                ))
                .map_err(PgError::sql(format!("reading {t} from the source")))?;
            let mut writer = ttx
                .copy_in(&format!(
                    "COPY {} ({list}) FROM STDIN (FORMAT binary)",
                    ident(t)
                ))
                .map_err(PgError::sql(format!("writing {t} to the target")))?;
            std::io::copy(&mut reader, &mut writer).map_err(|source| PgError::Stream {
                what: format!("copying {t}"),
                source,
            })?;
            drop(reader);
            writer
                .finish()
                .map_err(PgError::sql(format!("finishing the copy of {t}")))?;
        }
        // Both servers compute their digests at the same time.
        let (here, there) = std::thread::scope(|s| {
            let theirs = s.spawn(|| digests(&mut ttx, &tables, c.company_id));
            let ours = digests(&mut stx, &tables, c.company_id);
            let theirs = theirs.join().unwrap_or_else(|_| {
                Err(PgError::Inconsistent(
                    "the digest of the target failed unexpectedly".into(),
                ))
            });
            (ours, theirs)
        });
        let (here, there) = (here?, there?);
        for ((t, (rows, sum)), there) in tables.iter().zip(here).zip(there) {
            if there != (rows, sum.clone()) {
                return Err(PgError::MoveMismatch {
                    code: c.code.clone(),
                    table: t.clone(),
                    source_rows: format!("{rows} rows, digest {sum}"),
                    target: format!("{} rows, digest {}", there.0, there.1),
                });
            }
            report.rows += rows;
            report.tables.push(TableMove {
                table: t.clone(),
                rows,
                digest: sum,
            });
        }
        ttx.commit()
            .map_err(PgError::sql("committing the copy on the target"))?;
        let switched = self
            .client
            .execute(
                "UPDATE company SET shard_id = $2, state = 'active', moving_to = NULL, \
                 leftover_on = $3 \
                 WHERE company_id = $1 AND state = 'moving' AND moving_to = $2 AND shard_id = $3",
                &[&c.company_id, &target.shard_id, &source.shard_id],
            )
            .map_err(PgError::sql("switching the company to its new shard"))?;
        if switched != 1 {
            return Err(PgError::Inconsistent(format!(
                "company {} changed in the catalog during its move — look at `interlog company \
                 list` and run the move again",
                c.code
            )));
        }
        for t in tables.iter().rev() {
            stx.execute(
                &format!("DELETE FROM {} WHERE company_id = $1", ident(t)),
                &[&c.company_id],
            )
            .map_err(PgError::sql(format!("deleting {t} on the old shard")))?;
        }
        stx.commit()
            .map_err(PgError::sql("committing the deletion on the old shard"))?;
        self.client
            .execute(
                "UPDATE company SET leftover_on = NULL WHERE company_id = $1 AND leftover_on = $2",
                &[&c.company_id, &source.shard_id],
            )
            .map_err(PgError::sql("clearing the old copy's mark"))?;
        Ok(())
    }
}

/// Fixes the settings that row text depends on (so digests agree between servers) and hands
/// the company id to `COPY` statements.
fn settle(tx: &mut Transaction<'_>, company_id: i32) -> Result<(), PgError> {
    tx.batch_execute(
        "SET LOCAL TimeZone = 'UTC'; SET LOCAL DateStyle = 'ISO, YMD'; \
         SET LOCAL IntervalStyle = 'postgres'; SET LOCAL extra_float_digits = 1",
    )
    .map_err(PgError::sql("setting the session for a move"))?;
    tx.execute(
        "SELECT set_config('interlog.company', $1, true)",
        &[&company_id.to_string()],
    )
    .map_err(PgError::sql("setting the company of a move"))?;
    Ok(())
}

/// A name from the system catalog, quoted as an SQL identifier.
fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The tables of the shard that hold companies' rows (a `company_id` column), parents before
/// the tables referencing them. A table without `company_id` (other than `interlog_schema`)
/// is refused: its rows could not be told apart by company.
fn company_tables(client: &mut Client) -> Result<Vec<String>, PgError> {
    let rows = client
        .query(
            "SELECT c.relname::text, EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid \
                 AND a.attname = 'company_id' AND NOT a.attisdropped) \
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') \
               AND NOT c.relispartition \
             ORDER BY c.relname",
            &[],
        )
        .map_err(PgError::sql("listing the shard's tables"))?;
    let mut tables = Vec::new();
    for r in &rows {
        let name: String = r.get(0);
        let has: bool = r.get(1);
        if name == "interlog_schema" {
            continue;
        }
        if !has {
            return Err(PgError::Inconsistent(format!(
                "shard table {name} has no company_id column, so a move cannot tell whose rows \
                 it holds — nothing was moved"
            )));
        }
        tables.push(name);
    }
    let edges: Vec<(String, String)> = client
        .query(
            "SELECT a.relname::text, b.relname::text FROM pg_constraint k \
             JOIN pg_class a ON a.oid = k.conrelid JOIN pg_class b ON b.oid = k.confrelid \
             JOIN pg_namespace n ON n.oid = a.relnamespace \
             WHERE k.contype = 'f' AND n.nspname = current_schema() AND a.oid <> b.oid",
            &[],
        )
        .map_err(PgError::sql("listing the shard's foreign keys"))?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    // Kahn's algorithm, smallest name first among the ready ones: a stable order.
    let mut ordered = Vec::with_capacity(tables.len());
    let mut left = tables;
    while !left.is_empty() {
        let ready = left.iter().position(|t| {
            !edges
                .iter()
                .any(|(child, parent)| child == t && left.contains(parent))
        });
        match ready {
            Some(i) => ordered.push(left.remove(i)),
            None => {
                return Err(PgError::Inconsistent(format!(
                    "the foreign keys among {} form a cycle — interlog cannot order a move",
                    left.join(", ")
                )))
            }
        }
    }
    Ok(ordered)
}

/// The columns of `table`, in their order (generated columns left out).
fn columns(client: &mut impl GenericClient, table: &str) -> Result<Vec<String>, PgError> {
    Ok(client
        .query(
            "SELECT a.attname::text FROM pg_attribute a \
             WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped \
               AND a.attgenerated = '' ORDER BY a.attnum",
            &[&ident(table)],
        )
        .map_err(PgError::sql(format!("reading the columns of {table}")))?
        .iter()
        .map(|r| r.get(0))
        .collect())
}

/// Row count and digest of a company's rows of `table`: the sum of a 64-bit hash of each
/// row's text, which does not depend on row order.
fn digest(
    client: &mut impl GenericClient,
    table: &str,
    company_id: i32,
) -> Result<(i64, String), PgError> {
    let row = client
        .query_one(
            &format!(
                "SELECT count(*), coalesce(sum(hashtextextended(t::text, 0)), 0)::text \
                 FROM {} AS t WHERE company_id = $1",
                ident(table)
            ),
            &[&company_id],
        )
        .map_err(PgError::sql(format!("counting {table}")))?;
    Ok((row.get(0), row.get(1)))
}

/// [`digest`] of each table in turn.
fn digests(
    client: &mut impl GenericClient,
    tables: &[String],
    company_id: i32,
) -> Result<Vec<(i64, String)>, PgError> {
    tables
        .iter()
        .map(|t| digest(client, t, company_id))
        .collect()
}

/// Deletes every row of a company on one shard, children first, in one transaction.
fn delete_company_rows(client: &mut Client, company_id: i32) -> Result<(), PgError> {
    let tables = company_tables(client)?;
    let mut tx = client
        .transaction()
        .map_err(PgError::sql("starting to delete a company's rows"))?;
    for t in tables.iter().rev() {
        tx.execute(
            &format!("DELETE FROM {} WHERE company_id = $1", ident(t)),
            &[&company_id],
        )
        .map_err(PgError::sql(format!("deleting the company's rows of {t}")))?;
    }
    tx.commit()
        .map_err(PgError::sql("committing the deletion of a company's rows"))
}

/// The shard rows of a new company: its `company` row, the number series and marketing setup
/// `interlog init` gives a new embedded store.
fn write_new_company(
    tx: &mut Transaction<'_>,
    company_id: i32,
    code: &CompanyCode,
) -> Result<(), PgError> {
    let (series, setup) = crate::ops::master::initial_setup()
        .map_err(|e| PgError::Inconsistent(format!("the initial setup: {e}")))?;
    tx.execute(
        "INSERT INTO company (company_id, code) VALUES ($1, $2)",
        &[&company_id, &code.as_str()],
    )
    .map_err(PgError::sql("adding the company's row"))?;
    for s in &series {
        write_series(tx, company_id, s)?;
    }
    let code_of = |c: &Option<crate::domain::SeriesCode>| c.as_ref().map(|c| c.to_string());
    tx.execute(
        "INSERT INTO marketing_setup (company_id, contact_nos, segment_nos, campaign_nos, \
         default_salesperson, default_correspondence_type, default_language) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &[
            &company_id,
            &code_of(&setup.contact_nos),
            &code_of(&setup.segment_nos),
            &code_of(&setup.campaign_nos),
            &setup.default_salesperson.as_ref().map(|c| c.to_string()),
            &setup.default_correspondence_type.as_str(),
            &setup.default_language.as_ref().map(|c| c.to_string()),
        ],
    )
    .map_err(PgError::sql("writing marketing setup"))?;
    Ok(())
}

/// Inserts a number series and its lines (line numbers 10000, 20000, … as BC numbers them).
fn write_series(tx: &mut Transaction<'_>, company_id: i32, s: &NoSeries) -> Result<(), PgError> {
    tx.execute(
        "INSERT INTO no_series (company_id, code, description, default_nos, manual_nos) \
         VALUES ($1, $2, $3, $4, $5)",
        &[
            &company_id,
            &s.code.as_str(),
            &s.description,
            &s.default_nos,
            &s.manual_nos,
        ],
    )
    .map_err(PgError::sql(format!("writing number series {}", s.code)))?;
    for (i, l) in s.lines.iter().enumerate() {
        let line_no = i32::try_from((i + 1) * 10_000).map_err(|_| {
            PgError::Inconsistent(format!("number series {} has too many lines", s.code))
        })?;
        let increment = i32::try_from(l.increment_by).map_err(|_| {
            PgError::Inconsistent(format!(
                "number series {} increments by {}, more than a PostgreSQL integer holds",
                s.code, l.increment_by
            ))
        })?;
        tx.execute(
            "INSERT INTO no_series_line (company_id, series_code, line_no, starting_date, \
             starting_no, ending_no, warning_no, increment_by, last_no_used, last_date_used, open) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            &[
                &company_id,
                &s.code.as_str(),
                &line_no,
                &l.starting_date,
                &l.starting_no,
                &l.ending_no,
                &l.warning_no,
                &increment,
                &l.last_no_used,
                &l.last_date_used,
                &l.open,
            ],
        )
        .map_err(PgError::sql(format!(
            "writing a line of number series {}",
            s.code
        )))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_company_goes_to_the_emptiest_shard_then_the_lowest_id() {
        let s = |id, n| Shard {
            shard_id: id,
            url: String::new(),
            companies: n,
        };
        assert_eq!(pick(&[s(1, 2), s(2, 1), s(3, 1)]), Some(2));
        assert_eq!(pick(&[s(1, 0), s(2, 0)]), Some(1));
        assert_eq!(pick(&[]), None);
    }

    #[test]
    fn identifiers_are_quoted() {
        assert_eq!(ident("contact"), "\"contact\"");
        assert_eq!(ident("a\"b"), "\"a\"\"b\"");
    }
}
