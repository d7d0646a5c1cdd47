//! Help and shell integration: `interlog help filters` (the filter syntax and fields),
//! `interlog completions SHELL` (clap_complete) and `interlog man` (clap_mangen, roff on
//! stdout).

use std::io::Write;

use clap::Args;

use super::Env;

/// The text of `interlog help filters`.
pub const FILTERS_HELP: &str = "\
Filters use Business Central's syntax on contact fields, written FIELD=EXPR and combined with
AND when given several times (--filter 'City=London|Paris' --filter 'Type=Person').
Used by: segment add-contacts / reduce / refine, contact list.

Fields (BC caption or interlog name, case-insensitive):
  No., Name, Type, Company No., Salesperson Code, City, Post Code, Country/Region Code,
  E-Mail, Exclude from Segment, Privacy Blocked, Language Code, Phone No., Correspondence Type

Expressions:
  v  or  =v        equals                 <>v        not equal
  <v <=v >v >=v    compare                a..b       range, both ends included (..b, a..)
  a|b              either                 a&b        both (binds tighter than |)
  ( … )            grouping               @v         case-insensitive
  *  ?             any run / one character (with = or <> only)
  '…'              literal text ('a|b', 'O''Brien'); '' is the empty text, so <>'' = not empty

Field rules:
  Code fields (No., Company No., Salesperson Code, Country/Region Code, Language Code) are
  upper-cased: No.=ct1* finds CT100001. Exclude from Segment / Privacy Blocked take yes/no;
  Type takes company/person; Correspondence Type takes '', hard copy, email. Any other exact
  value in those fields is an error, so a typo cannot silently match nothing.

Examples:
  interlog contact list --filter 'City=Manchester|London' --filter 'Type=Person'
  interlog contact list --filter 'Name=@*furn*' --limit 20
  interlog segment add-contacts SM00001 --filter 'Salesperson Code=HR|JO' --filter \"E-Mail=<>''\"
  interlog contact list --filter 'Post Code=GB-M..GB-N'";

/// `interlog filters`: the filter syntax and fields (also `interlog help filters`).
#[derive(Args, Debug)]
pub struct FiltersArgs {}

/// `interlog completions SHELL`.
#[derive(Args, Debug)]
pub struct CompletionsArgs {
    /// The shell: bash, zsh, fish, elvish or powershell.
    shell: clap_complete::Shell,
}

/// `interlog man`.
#[derive(Args, Debug)]
pub struct ManArgs {}

pub fn filters(env: &Env) -> anyhow::Result<()> {
    if env.out.json {
        let fields: Vec<&str> = interlog::domain::filter::ContactField::ALL
            .iter()
            .map(|f| f.caption())
            .collect();
        return env
            .out
            .json(&serde_json::json!({"fields": fields, "help": FILTERS_HELP}));
    }
    let mut o = std::io::stdout().lock();
    o.write_all(FILTERS_HELP.as_bytes())?;
    o.write_all(b"\n")?;
    o.flush()?;
    Ok(())
}

pub fn completions(env: &Env, a: CompletionsArgs) -> anyhow::Result<()> {
    let mut cmd = super::command();
    let mut out = Vec::new();
    clap_complete::generate(a.shell, &mut cmd, "interlog", &mut out);
    if env.out.json {
        return env.out.json(&serde_json::json!({
            "shell": a.shell.to_string(),
            "script": String::from_utf8_lossy(&out),
        }));
    }
    let mut o = std::io::stdout().lock();
    o.write_all(&out)?;
    o.flush()?;
    Ok(())
}

pub fn man(env: &Env, _: ManArgs) -> anyhow::Result<()> {
    let cmd = super::command();
    let mut out = Vec::new();
    clap_mangen::Man::new(cmd).render(&mut out)?;
    if env.out.json {
        return env
            .out
            .json(&serde_json::json!({"roff": String::from_utf8_lossy(&out)}));
    }
    let mut o = std::io::stdout().lock();
    o.write_all(&out)?;
    o.flush()?;
    Ok(())
}
