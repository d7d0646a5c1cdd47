//! The relational schema of the PostgreSQL backend, as versioned migrations.
//!
//! Two databases take part: the **catalog** (which company lives on which shard, the job queue)
//! and each **shard** (the companies' data). Every table of a shard is one Business Central
//! record kind with columns named and typed for SQL readers; every primary key and every index
//! leads with `company_id`, so `create_distributed_table(t, 'company_id')` (Citus) would work
//! unchanged — `tests/pg_schema.rs` checks it.
//!
//! Conventions: codes are `text` (validated by the domain types before they get here), money is
//! `numeric(17,2)` (BC's largest amount, 999,999,999,999,999.99), durations are whole minutes
//! (`integer`), option fields are `text` holding the names the CLI and JSON use (`hard-copy`,
//! `outbound`, `none` …) with a check constraint, dates are `date` and times `time`.
//!
//! Migrations are applied in order by [`super::migrate_schema`], each in its own transaction
//! together with its row in `interlog_schema`; a database whose recorded version is newer than
//! this build knows is refused.

/// One migration: its version, what it does, and its SQL.
#[derive(Clone, Copy, Debug)]
pub struct Migration {
    /// Version, 1, 2, … in order.
    pub version: i32,
    /// What the migration does, one line.
    pub name: &'static str,
    /// The SQL, run as one batch.
    pub sql: &'static str,
}

/// The table every database records its applied migrations in.
pub const VERSION_TABLE: &str = "CREATE TABLE IF NOT EXISTS interlog_schema (
    version    integer PRIMARY KEY,
    name       text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)";

/// Migrations of the catalog database.
pub const CATALOG: &[Migration] = &[
    Migration {
        version: 1,
        name: "shards, companies, job queue",
        sql: r#"
CREATE TABLE shard (
    shard_id   integer PRIMARY KEY,
    url        text NOT NULL UNIQUE,
    added_at   timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE company (
    company_id integer PRIMARY KEY,
    code       text NOT NULL UNIQUE,
    name       text NOT NULL DEFAULT '',
    shard_id   integer NOT NULL REFERENCES shard(shard_id),
    -- 'active' is served from shard_id; 'moving' refuses work until a move finishes.
    state      text NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'moving')),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE job_queue (
    job_id     bigserial PRIMARY KEY,
    job_name   text NOT NULL,
    company_id integer NOT NULL REFERENCES company(company_id),
    step_no    integer NOT NULL,
    step       jsonb NOT NULL,
    state      text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'running', 'done', 'failed')),
    worker     text,
    result     jsonb,
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (job_name, company_id, step_no)
);
"#,
    },
    Migration {
        version: 2,
        name: "company ids never reused, the state of a move",
        sql: r#"
-- Company ids come from a sequence, never max()+1: an id handed to an add that crashed before
-- its catalog row (its shard rows are invisible, and adopted by a re-run) is never given to
-- another company.
CREATE SEQUENCE company_id_seq AS integer;
SELECT setval('company_id_seq', coalesce((SELECT max(company_id) FROM company), 0) + 1, false);
-- A move in progress: state 'moving' and the shard it goes to (the company is refused meanwhile;
-- shard_id still holds its data). After the switch, leftover_on names the shard still holding the
-- old copy until it is deleted (the company is served from shard_id meanwhile).
ALTER TABLE company
    ADD COLUMN moving_to integer REFERENCES shard(shard_id),
    ADD COLUMN leftover_on integer REFERENCES shard(shard_id),
    ADD CONSTRAINT company_moving_has_a_target CHECK ((state = 'moving') = (moving_to IS NOT NULL));
"#,
    },
];

/// Migrations of a shard database.
pub const SHARD: &[Migration] = &[
    Migration {
        version: 1,
        name: "one table per Relationship Management record kind",
        sql: r#"
-- One row per company placed on this shard. Its row lock serialises the company's writes
-- (SELECT … FOR UPDATE), and it carries the company's entry counters.
CREATE TABLE company (
    company_id           integer PRIMARY KEY,
    code                 text NOT NULL,
    next_entry_no        bigint NOT NULL DEFAULT 1,
    next_logged_no       bigint NOT NULL DEFAULT 1,
    next_campaign_entry  bigint NOT NULL DEFAULT 1,
    UNIQUE (company_id, code)
);

CREATE TABLE marketing_setup (
    company_id                   integer PRIMARY KEY REFERENCES company(company_id),
    contact_nos                  text,
    segment_nos                  text,
    campaign_nos                 text,
    default_salesperson          text,
    default_correspondence_type  text NOT NULL DEFAULT 'none'
        CHECK (default_correspondence_type IN ('none', 'hard-copy', 'email')),
    default_language             text
);

CREATE TABLE no_series (
    company_id   integer NOT NULL REFERENCES company(company_id),
    code         text NOT NULL,
    description  text NOT NULL DEFAULT '',
    default_nos  boolean NOT NULL DEFAULT false,
    manual_nos   boolean NOT NULL DEFAULT false,
    PRIMARY KEY (company_id, code)
);

CREATE TABLE no_series_line (
    company_id      integer NOT NULL,
    series_code     text NOT NULL,
    line_no         integer NOT NULL,
    starting_date   date,
    starting_no     text NOT NULL,
    ending_no       text,
    warning_no      text,
    increment_by    integer NOT NULL DEFAULT 1,
    last_no_used    text,
    last_date_used  date,
    open            boolean NOT NULL DEFAULT true,
    PRIMARY KEY (company_id, series_code, line_no),
    FOREIGN KEY (company_id, series_code) REFERENCES no_series(company_id, code) ON DELETE CASCADE
);

CREATE TABLE user_setup (
    company_id        integer NOT NULL REFERENCES company(company_id),
    user_id           text NOT NULL,
    salesperson_code  text,
    PRIMARY KEY (company_id, user_id)
);

CREATE TABLE contact (
    company_id            integer NOT NULL REFERENCES company(company_id),
    no                    text NOT NULL,
    name                  text NOT NULL DEFAULT '',
    kind                  text NOT NULL CHECK (kind IN ('company', 'person')),
    company_no            text,
    salesperson_code      text,
    language_code         text,
    email                 text NOT NULL DEFAULT '',
    correspondence_type   text NOT NULL DEFAULT 'none'
        CHECK (correspondence_type IN ('none', 'hard-copy', 'email')),
    exclude_from_segment  boolean NOT NULL DEFAULT false,
    privacy_blocked       boolean NOT NULL DEFAULT false,
    city                  text NOT NULL DEFAULT '',
    post_code             text NOT NULL DEFAULT '',
    country_code          text,
    phone                 text NOT NULL DEFAULT '',
    PRIMARY KEY (company_id, no)
);
CREATE INDEX contact_company_no ON contact (company_id, company_no);

CREATE TABLE salesperson (
    company_id       integer NOT NULL REFERENCES company(company_id),
    code             text NOT NULL,
    name             text NOT NULL DEFAULT '',
    email            text NOT NULL DEFAULT '',
    blocked          boolean NOT NULL DEFAULT false,
    privacy_blocked  boolean NOT NULL DEFAULT false,
    PRIMARY KEY (company_id, code)
);

CREATE TABLE interaction_group (
    company_id   integer NOT NULL REFERENCES company(company_id),
    code         text NOT NULL,
    description  text NOT NULL DEFAULT '',
    PRIMARY KEY (company_id, code)
);

CREATE TABLE interaction_template (
    company_id                          integer NOT NULL REFERENCES company(company_id),
    code                                text NOT NULL,
    group_code                          text NOT NULL,
    description                         text NOT NULL DEFAULT '',
    unit_cost                           numeric(17,2) NOT NULL DEFAULT 0,
    unit_duration_min                   integer NOT NULL DEFAULT 0,
    information_flow                    text NOT NULL DEFAULT 'none'
        CHECK (information_flow IN ('none', 'outbound', 'inbound')),
    initiated_by                        text NOT NULL DEFAULT 'none'
        CHECK (initiated_by IN ('none', 'us', 'them')),
    correspondence_type_default         text NOT NULL DEFAULT 'none'
        CHECK (correspondence_type_default IN ('none', 'hard-copy', 'email')),
    ignore_contact_correspondence_type  boolean NOT NULL DEFAULT false,
    language_code_default               text,
    campaign_no                         text,
    PRIMARY KEY (company_id, code)
);

CREATE TABLE campaign (
    company_id        integer NOT NULL REFERENCES company(company_id),
    no                text NOT NULL,
    description       text NOT NULL DEFAULT '',
    starting_date     date,
    ending_date       date,
    salesperson_code  text,
    PRIMARY KEY (company_id, no)
);

CREATE TABLE segment_header (
    company_id                          integer NOT NULL REFERENCES company(company_id),
    no                                  text NOT NULL,
    description                         text NOT NULL DEFAULT '',
    date                                date NOT NULL,
    salesperson_code                    text,
    campaign_no                         text,
    -- The interaction set on the segment (SPEC §2.6), inherited by lines that do not override it.
    template_code                       text,
    group_code                          text,
    unit_cost                           numeric(17,2) NOT NULL DEFAULT 0,
    unit_duration_min                   integer NOT NULL DEFAULT 0,
    subject_default                     text NOT NULL DEFAULT '',
    language_code_default               text,
    correspondence_type_default         text NOT NULL DEFAULT 'none'
        CHECK (correspondence_type_default IN ('none', 'hard-copy', 'email')),
    ignore_contact_correspondence_type  boolean NOT NULL DEFAULT false,
    information_flow                    text NOT NULL DEFAULT 'none'
        CHECK (information_flow IN ('none', 'outbound', 'inbound')),
    initiated_by                        text NOT NULL DEFAULT 'none'
        CHECK (initiated_by IN ('none', 'us', 'them')),
    last_line_no                        bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (company_id, no)
);

-- The criteria actions of a segment, in order (add / reduce / refine / reuse-logged).
CREATE TABLE segment_criteria (
    company_id         integer NOT NULL,
    segment_no         text NOT NULL,
    action_no          integer NOT NULL,
    kind               text NOT NULL CHECK (kind IN ('add', 'reduce', 'refine', 'reuse-logged')),
    filters            text[] NOT NULL DEFAULT '{}',
    allow_existing     boolean NOT NULL DEFAULT false,
    expand_companies   boolean NOT NULL DEFAULT false,
    related_companies  boolean NOT NULL DEFAULT false,
    ignore_exclusion   boolean NOT NULL DEFAULT false,
    entire_companies   boolean NOT NULL DEFAULT false,
    logged_segment     bigint,
    inserted_from      bigint,
    inserted_to        bigint,
    inserted_count     bigint NOT NULL DEFAULT 0,
    deleted_count      bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (company_id, segment_no, action_no),
    FOREIGN KEY (company_id, segment_no) REFERENCES segment_header(company_id, no) ON DELETE CASCADE
);

-- Segment lines. A line removed by a reduce / refine stays, marked with the action that removed
-- it, so `go back` can restore it; the segment's lines are those with removed_by_action NULL.
CREATE TABLE segment_line (
    company_id                   integer NOT NULL,
    segment_no                   text NOT NULL,
    line_no                      bigint NOT NULL,
    contact_no                   text NOT NULL,
    contact_company_no           text,
    contact_correspondence_type  text NOT NULL DEFAULT 'none'
        CHECK (contact_correspondence_type IN ('none', 'hard-copy', 'email')),
    contact_has_email            boolean NOT NULL DEFAULT false,
    template_code                text,
    group_code                   text,
    description                  text NOT NULL DEFAULT '',
    description_typed            boolean NOT NULL DEFAULT false,
    subject                      text NOT NULL DEFAULT '',
    cost                         numeric(17,2) NOT NULL DEFAULT 0,
    duration_min                 integer NOT NULL DEFAULT 0,
    date                         date NOT NULL,
    time                         time,
    salesperson_code             text,
    correspondence_type          text NOT NULL DEFAULT 'none'
        CHECK (correspondence_type IN ('none', 'hard-copy', 'email')),
    language_code                text,
    campaign_no                  text,
    evaluation                   text NOT NULL DEFAULT 'none'
        CHECK (evaluation IN ('none', 'very-positive', 'positive', 'neutral', 'negative', 'very-negative')),
    information_flow             text NOT NULL DEFAULT 'none'
        CHECK (information_flow IN ('none', 'outbound', 'inbound')),
    initiated_by                 text NOT NULL DEFAULT 'none'
        CHECK (initiated_by IN ('none', 'us', 'them')),
    attempt_failed               boolean NOT NULL DEFAULT false,
    removed_by_action            integer,
    PRIMARY KEY (company_id, segment_no, line_no),
    FOREIGN KEY (company_id, segment_no) REFERENCES segment_header(company_id, no) ON DELETE CASCADE
);

CREATE TABLE saved_criteria (
    company_id   integer NOT NULL REFERENCES company(company_id),
    code         text NOT NULL,
    description  text NOT NULL DEFAULT '',
    user_id      text NOT NULL,
    PRIMARY KEY (company_id, code)
);

CREATE TABLE saved_criteria_action (
    company_id         integer NOT NULL,
    criteria_code      text NOT NULL,
    action_no          integer NOT NULL,
    kind               text NOT NULL CHECK (kind IN ('add', 'reduce', 'refine', 'reuse-logged')),
    filters            text[] NOT NULL DEFAULT '{}',
    allow_existing     boolean NOT NULL DEFAULT false,
    expand_companies   boolean NOT NULL DEFAULT false,
    related_companies  boolean NOT NULL DEFAULT false,
    ignore_exclusion   boolean NOT NULL DEFAULT false,
    entire_companies   boolean NOT NULL DEFAULT false,
    logged_segment     bigint,
    PRIMARY KEY (company_id, criteria_code, action_no),
    FOREIGN KEY (company_id, criteria_code) REFERENCES saved_criteria(company_id, code) ON DELETE CASCADE
);

-- Interaction log entries. A logged segment's entries are the range
-- first_entry_no .. first_entry_no + entries_written - 1, read through the primary key.
CREATE TABLE interaction_log_entry (
    company_id               integer NOT NULL,
    entry_no                 bigint NOT NULL,
    contact_no               text NOT NULL,
    contact_company_no       text,
    date                     date NOT NULL,
    time_of_interaction      time NOT NULL,
    description              text NOT NULL DEFAULT '',
    subject                  text NOT NULL DEFAULT '',
    information_flow         text NOT NULL DEFAULT 'none'
        CHECK (information_flow IN ('none', 'outbound', 'inbound')),
    initiated_by             text NOT NULL DEFAULT 'none'
        CHECK (initiated_by IN ('none', 'us', 'them')),
    cost                     numeric(17,2) NOT NULL DEFAULT 0,
    duration_min             integer NOT NULL DEFAULT 0,
    user_id                  text NOT NULL,
    group_code               text NOT NULL,
    template_code            text NOT NULL,
    campaign_no              text,
    campaign_entry_no        bigint,
    segment_no               text,
    logged_segment_entry_no  bigint,
    salesperson_code         text NOT NULL,
    correspondence_type      text NOT NULL DEFAULT 'none'
        CHECK (correspondence_type IN ('none', 'hard-copy', 'email')),
    language_code            text,
    evaluation               text NOT NULL DEFAULT 'none'
        CHECK (evaluation IN ('none', 'very-positive', 'positive', 'neutral', 'negative', 'very-negative')),
    attempt_failed           boolean NOT NULL DEFAULT false,
    postponed                boolean NOT NULL DEFAULT false,
    canceled                 boolean NOT NULL DEFAULT false,
    PRIMARY KEY (company_id, entry_no)
);
-- A contact's history (BC: Contact No. + Date key) without reading the whole table.
CREATE INDEX interaction_log_entry_contact ON interaction_log_entry (company_id, contact_no, entry_no);

CREATE TABLE interaction_comment (
    company_id  integer NOT NULL,
    entry_no    bigint NOT NULL,
    line_no     integer NOT NULL,
    date        date NOT NULL,
    text        text NOT NULL,
    PRIMARY KEY (company_id, entry_no, line_no),
    FOREIGN KEY (company_id, entry_no) REFERENCES interaction_log_entry(company_id, entry_no) ON DELETE CASCADE
);

CREATE TABLE logged_segment (
    company_id         integer NOT NULL REFERENCES company(company_id),
    entry_no           bigint NOT NULL,
    segment_no         text NOT NULL,
    description        text NOT NULL DEFAULT '',
    creation_date      date NOT NULL,
    user_id            text NOT NULL,
    canceled           boolean NOT NULL DEFAULT false,
    first_entry_no     bigint NOT NULL,
    entries_written    bigint NOT NULL,
    entries            bigint NOT NULL,
    canceled_entries   bigint NOT NULL DEFAULT 0,
    follow_up_segment  text,
    PRIMARY KEY (company_id, entry_no),
    -- A segment number is logged at most once: two workers racing to log it cannot both commit.
    UNIQUE (company_id, segment_no)
);

CREATE TABLE campaign_entry (
    company_id               integer NOT NULL REFERENCES company(company_id),
    entry_no                 bigint NOT NULL,
    campaign_no              text NOT NULL,
    description              text NOT NULL DEFAULT '',
    date                     date NOT NULL,
    user_id                  text NOT NULL,
    segment_no               text,
    salesperson_code         text,
    logged_segment_entry_no  bigint,
    canceled                 boolean NOT NULL DEFAULT false,
    PRIMARY KEY (company_id, entry_no)
);
CREATE INDEX campaign_entry_logged ON campaign_entry (company_id, logged_segment_entry_no);

-- Progress of nightly jobs run against this company (the catalog's queue hands out the work).
CREATE TABLE job_progress (
    company_id  integer NOT NULL REFERENCES company(company_id),
    job_id      text NOT NULL,
    record      jsonb NOT NULL,
    PRIMARY KEY (company_id, job_id)
);

-- Idempotency keys of create commands (`--idempotency-key`).
CREATE TABLE idempotency_key (
    company_id   integer NOT NULL REFERENCES company(company_id),
    key          text NOT NULL,
    command      text NOT NULL,
    fingerprint  bigint NOT NULL,
    result       text NOT NULL,
    date         date NOT NULL,
    PRIMARY KEY (company_id, key)
);
"#,
    },
    Migration {
        version: 2,
        name: "moving a store in: logged segments' campaign entries, transfer progress",
        sql: r#"
-- The campaign entries a logging run made (the embedded store keeps the list on the logged
-- segment; a clean-up may delete a campaign entry, so the list is not derivable).
ALTER TABLE logged_segment ADD COLUMN campaign_entry_nos bigint[] NOT NULL DEFAULT '{}';

-- Where `interlog migrate` (an embedded store into a company) got to, per record kind: each
-- batch commits its rows together with this row, so running the transfer again resumes after
-- the last committed batch. `source` names the store's state (its counters); a different
-- store is refused.
CREATE TABLE transfer_progress (
    company_id  integer NOT NULL REFERENCES company(company_id),
    kind        text NOT NULL,
    source      text NOT NULL,
    done        boolean NOT NULL DEFAULT false,
    -- The last record copied: contact no / segment no (after_key), entry no / line no
    -- (after_no), and for segment lines the part of the segment (0 = its lines, n = the lines
    -- its n-th criteria action removed).
    after_key   text,
    after_no    bigint,
    after_part  integer,
    rows        bigint NOT NULL DEFAULT 0,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (company_id, kind)
);
"#,
    },
];
