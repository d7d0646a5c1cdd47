//! The job file: its checked form (`Job`, `Step`), the parser of JSON and TOML job files
//! and the errors it reports with file, field, line and column.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;

use crate::domain::*;
use crate::exit;
use crate::storage::StorageError;

use super::*;

/// A checked job: its id and its steps, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Job {
    /// Job id; progress is recorded under it.
    pub id: String,
    /// Steps, run in order.
    pub steps: Vec<Step>,
}

/// One step of a job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// Log a segment.
    Log {
        /// The segment.
        segment: SegmentNo,
        /// Create a follow-up segment while logging.
        follow_up: bool,
    },
    /// Make a follow-up segment from a logged segment's entries that match an outcome.
    FollowUpFrom {
        /// Which logged segment.
        from: FollowUpSource,
        /// Only entries with this evaluation.
        evaluation: Option<Evaluation>,
        /// Only failed (`true`) or only successful (`false`) attempts.
        attempt_failed: Option<bool>,
        /// Only canceled (`true`) or only not canceled (`false`) entries.
        canceled: Option<bool>,
    },
    /// Run a clean-up job.
    Cleanup(CleanupKind),
}

/// The logged segment a follow-up step starts from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FollowUpSource {
    /// A logged segment entry number.
    Logged(LoggedSegmentNo),
    /// The logged segment of this segment (logged earlier in this job or before it).
    Segment(SegmentNo),
}

/// The clean-up jobs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CleanupKind {
    /// Delete canceled interaction log entries.
    CanceledEntries,
    /// Delete canceled logged segments (their entries are detached first).
    CanceledLoggedSegments,
}

impl CleanupKind {
    /// The name used in job files.
    pub fn as_str(self) -> &'static str {
        match self {
            CleanupKind::CanceledEntries => "canceled-entries",
            CleanupKind::CanceledLoggedSegments => "canceled-logged-segments",
        }
    }
}

impl<'de> Deserialize<'de> for FollowUpSource {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = FollowUpSource;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(
                    "a logged segment entry number (1, 2, …) or { \"segment\": \"SM00001\" }",
                )
            }
            fn visit_u64<E: de::Error>(self, n: u64) -> Result<FollowUpSource, E> {
                if n == 0 {
                    return Err(E::custom(
                        "invalid value for `follow_up_from`: logged segment entry numbers start at 1",
                    ));
                }
                Ok(FollowUpSource::Logged(LoggedSegmentNo(n)))
            }
            fn visit_i64<E: de::Error>(self, n: i64) -> Result<FollowUpSource, E> {
                if n < 1 {
                    return Err(E::custom(
                        "invalid value for `follow_up_from`: logged segment entry numbers start at 1",
                    ));
                }
                self.visit_u64(n as u64)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<FollowUpSource, A::Error> {
                #[derive(Deserialize)]
                #[serde(deny_unknown_fields)]
                struct SegmentRef {
                    segment: SegmentNo,
                }
                let r = SegmentRef::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(FollowUpSource::Segment(r.segment))
            }
        }
        d.deserialize_any(V)
    }
}

/// A step as written: every key any step may have, checked by `TryFrom`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawStep {
    log: Option<SegmentNo>,
    follow_up: Option<bool>,
    follow_up_from: Option<FollowUpSource>,
    evaluation: Option<Evaluation>,
    attempt_failed: Option<bool>,
    canceled: Option<bool>,
    cleanup: Option<CleanupKind>,
}

impl TryFrom<RawStep> for Step {
    type Error = String;
    fn try_from(r: RawStep) -> Result<Step, String> {
        let actions: Vec<&str> = [
            r.log.as_ref().map(|_| "log"),
            r.follow_up_from.as_ref().map(|_| "follow_up_from"),
            r.cleanup.as_ref().map(|_| "cleanup"),
        ]
        .into_iter()
        .flatten()
        .collect();
        match actions.as_slice() {
            [] => {
                return Err(
                    "a step needs one of the fields `log`, `follow_up_from` or `cleanup`".into(),
                )
            }
            [_] => {}
            [a, b, ..] => {
                return Err(format!(
                    "a step has both `{a}` and `{b}` — give each action its own step"
                ))
            }
        }
        let outcome = [
            r.evaluation.map(|_| "evaluation"),
            r.attempt_failed.map(|_| "attempt_failed"),
            r.canceled.map(|_| "canceled"),
        ];
        if r.follow_up_from.is_none() {
            if let Some(f) = outcome.into_iter().flatten().next() {
                return Err(format!(
                    "field `{f}` belongs to a `follow_up_from` step (an outcome filter), not to `{}`",
                    actions[0]
                ));
            }
        }
        if r.follow_up.is_some() && r.log.is_none() {
            return Err(format!(
                "field `follow_up` belongs to a `log` step, not to `{}` (a `follow_up_from` step always makes a follow-up segment)",
                actions[0]
            ));
        }
        Ok(if let Some(segment) = r.log {
            Step::Log {
                segment,
                follow_up: r.follow_up.unwrap_or(false),
            }
        } else if let Some(from) = r.follow_up_from {
            Step::FollowUpFrom {
                from,
                evaluation: r.evaluation,
                attempt_failed: r.attempt_failed,
                canceled: r.canceled,
            }
        } else if let Some(cleanup) = r.cleanup {
            Step::Cleanup(cleanup)
        } else {
            return Err(
                "a step needs one of the fields `log`, `follow_up_from` or `cleanup`".into(),
            );
        })
    }
}

/// A job id as written: 1–100 characters, no control characters nor any other character that
/// [`breaks_text`](crate::domain::breaks_text) (it is printed in reports).
#[derive(Deserialize)]
#[serde(try_from = "String")]
pub(super) struct JobId(String);

impl TryFrom<String> for JobId {
    type Error = String;
    fn try_from(s: String) -> Result<JobId, String> {
        check_id(&s).map(|()| JobId(s))
    }
}

pub(super) fn check_id(s: &str) -> Result<(), String> {
    let n = s.chars().count();
    if s.trim().is_empty() {
        Err("invalid value for `id`: the job id is empty".into())
    } else if n > JOB_ID_LEN {
        Err(format!(
            "invalid value for `id`: the job id has {n} characters, at most {JOB_ID_LEN} are allowed"
        ))
    } else if let Some(c) = s.chars().find(|&c| crate::domain::breaks_text(c)) {
        Err(format!(
            "invalid value for `id`: the job id contains the {} {c:?}",
            crate::domain::char_kind(c)
        ))
    } else {
        Ok(())
    }
}

/// The steps as written: each checked as it is read, so an error carries the step number and
/// the parser's position.
pub(super) struct Steps(Vec<Step>);

impl<'de> Deserialize<'de> for Steps {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Steps;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of steps")
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Steps, A::Error> {
                let mut steps = Vec::new();
                while let Some(raw) = seq.next_element::<RawStep>()? {
                    let n = steps.len() + 1;
                    let step = Step::try_from(raw)
                        .map_err(|m| <A::Error as de::Error>::custom(format!("step {n}: {m}")))?;
                    steps.push(step);
                }
                Ok(Steps(steps))
            }
        }
        d.deserialize_seq(V)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawJob {
    id: JobId,
    steps: Steps,
}

/// The syntax of a job file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobFormat {
    /// JSON.
    Json,
    /// TOML.
    Toml,
}

impl JobFormat {
    /// TOML for a name ending in `.toml`, JSON otherwise.
    pub fn for_path(path: &Path) -> JobFormat {
        match path.extension().and_then(|e| e.to_str()) {
            Some(e) if e.eq_ignore_ascii_case("toml") => JobFormat::Toml,
            _ => JobFormat::Json,
        }
    }
}

/// Why a job could not run.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// The job file cannot be read.
    #[error("cannot read job file {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The error.
        source: std::io::Error,
    },
    /// The job file is not a valid job.
    #[error("job file {origin}: {detail}")]
    Invalid {
        /// The file (or another name for the text).
        origin: String,
        /// What is wrong, with line and column or step number.
        detail: String,
    },
    /// The job changed since its progress was recorded.
    #[error("job {id} has changed since its progress was recorded ({done} of {steps} step(s) done) — run it with --restart to forget that progress, or give the job a new id")]
    Changed {
        /// The job id.
        id: String,
        /// Steps of the recorded job that are done.
        done: usize,
        /// Steps of the recorded job.
        steps: usize,
    },
    /// A [`JobObserver::checkpoint`] asked to stop (tests use it to simulate a crash).
    #[error("job stopped at step {step} ({at:?}) as asked")]
    Stopped {
        /// The step (from 1).
        step: usize,
        /// Where.
        at: Checkpoint,
    },
    /// The store failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl JobError {
    /// The exit code `interlog batch run` gives for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            JobError::Storage(_) => exit::STORE_UNAVAILABLE,
            _ => exit::COULD_NOT_RUN,
        }
    }
}

/// Parses and checks a job from text; `origin` names it in errors.
pub fn parse_job(text: &str, format: JobFormat, origin: &str) -> Result<Job, JobError> {
    let invalid = |detail: String| JobError::Invalid {
        origin: origin.to_string(),
        detail,
    };
    let raw: RawJob = match format {
        JobFormat::Json => serde_json::from_str(text).map_err(|e| invalid(e.to_string()))?,
        JobFormat::Toml => toml::from_str(text).map_err(|e| invalid(e.to_string()))?,
    };
    let job = Job {
        id: raw.id.0,
        steps: raw.steps.0,
    };
    job.check().map_err(invalid)?;
    Ok(job)
}

/// Reads, parses and checks a job file (TOML when its name ends in `.toml`, else JSON).
pub fn load_job(path: &Path) -> Result<Job, JobError> {
    let text = std::fs::read_to_string(path).map_err(|source| JobError::Read {
        path: path.display().to_string(),
        source,
    })?;
    parse_job(
        &text,
        JobFormat::for_path(path),
        &path.display().to_string(),
    )
}

impl Job {
    /// Checks the rules that span steps (see the module docs).
    pub fn check(&self) -> Result<(), String> {
        check_id(&self.id)?;
        if self.steps.is_empty() {
            return Err("field `steps`: a job needs at least one step".into());
        }
        let mut logged_by: HashMap<&SegmentNo, usize> = HashMap::new();
        for (i, s) in self.steps.iter().enumerate() {
            let n = i + 1;
            match s {
                Step::Log { segment, .. } => {
                    if let Some(first) = logged_by.insert(segment, n) {
                        return Err(format!(
                            "step {n}, field `log`: segment {segment} is already logged by step {first} — a segment is logged once"
                        ));
                    }
                }
                Step::FollowUpFrom {
                    from: FollowUpSource::Segment(seg),
                    ..
                } => {
                    let later = self.steps[i + 1..]
                        .iter()
                        .position(|t| matches!(t, Step::Log { segment, .. } if segment == seg));
                    if let Some(p) = later {
                        return Err(format!(
                            "step {n}, field `follow_up_from`: segment {seg} is logged by a later step ({}) — move the follow-up after it",
                            n + 1 + p
                        ));
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// The hash recorded with the job's progress: FNV-1a 64 over a canonical text of the job.
    pub fn hash(&self) -> u64 {
        let mut text = format!("interlog job v1\nid {}\n", self.id);
        for s in &self.steps {
            text.push_str(&s.canonical());
            text.push('\n');
        }
        fnv1a(text.as_bytes())
    }
}

pub(super) fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

pub(super) fn opt_bool(b: Option<bool>) -> &'static str {
    match b {
        None => "-",
        Some(true) => "yes",
        Some(false) => "no",
    }
}

impl Step {
    /// The step's kind as named in job files: `log`, `follow_up_from` or `cleanup`.
    pub fn kind(&self) -> &'static str {
        match self {
            Step::Log { .. } => "log",
            Step::FollowUpFrom { .. } => "follow_up_from",
            Step::Cleanup(_) => "cleanup",
        }
    }

    /// What the step works on: a segment, `logged segment N`, `segment X` or a clean-up name.
    pub fn target(&self) -> String {
        match self {
            Step::Log { segment, .. } => segment.to_string(),
            Step::FollowUpFrom {
                from: FollowUpSource::Logged(n),
                ..
            } => format!("logged segment {n}"),
            Step::FollowUpFrom {
                from: FollowUpSource::Segment(s),
                ..
            } => format!("segment {s}"),
            Step::Cleanup(k) => k.as_str().to_string(),
        }
    }

    /// The step's options in words (`follow-up`, `evaluation=positive`, …), maybe empty.
    pub fn options(&self) -> String {
        match self {
            Step::Log { follow_up, .. } => {
                if *follow_up {
                    "follow-up".into()
                } else {
                    String::new()
                }
            }
            Step::FollowUpFrom {
                evaluation,
                attempt_failed,
                canceled,
                ..
            } => {
                let mut v = Vec::new();
                if let Some(e) = evaluation {
                    v.push(format!("evaluation={e}"));
                }
                if let Some(f) = attempt_failed {
                    v.push(format!("attempt_failed={f}"));
                }
                if let Some(c) = canceled {
                    v.push(format!("canceled={c}"));
                }
                v.join(", ")
            }
            Step::Cleanup(_) => String::new(),
        }
    }

    fn canonical(&self) -> String {
        match self {
            Step::Log { segment, follow_up } => {
                format!("log {segment} follow_up={}", opt_bool(Some(*follow_up)))
            }
            Step::FollowUpFrom {
                from,
                evaluation,
                attempt_failed,
                canceled,
            } => format!(
                "follow_up_from {} evaluation={} attempt_failed={} canceled={}",
                match from {
                    FollowUpSource::Logged(n) => format!("logged:{n}"),
                    FollowUpSource::Segment(s) => format!("segment:{s}"),
                },
                evaluation.map_or("-", |e| e.as_str()),
                opt_bool(*attempt_failed),
                opt_bool(*canceled)
            ),
            Step::Cleanup(k) => format!("cleanup {}", k.as_str()),
        }
    }
}
