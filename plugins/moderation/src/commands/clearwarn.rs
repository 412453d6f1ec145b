//! `/clearwarn user [id]`: take back one warning (by its #id) or all of a member's
//! active warnings. Cleared warnings stay in the history, marked as such, and stop
//! counting towards the ladder.

use super::{args, Failure};
use crate::ctx::Ctx;
use crate::infraction::{Cleared, Kind};
use crate::modlog;
use crate::store::{self, Kv};
use astra_sdk::prelude::*;
use astra_sdk::CommandBuilder;

pub fn spec() -> CommandBuilder {
    CommandBuilder::new(
        "clearwarn",
        "Clear one warning (by #id) or all active warnings",
    )
    .permission(Permission::ModerateMembers)
    .option("user", OptionKind::User, true, "the member")
    .option(
        "id",
        OptionKind::Integer,
        false,
        "the warning's #id (all when left out)",
    )
}

pub fn run<K: Kv>(ctx: &mut Ctx<K>, cmd: &CommandInvocation) -> Result<CommandReply, Failure> {
    let user = args::user(cmd)?;
    let only = match cmd.value("id") {
        None => None,
        Some(_) => Some(args::integer(cmd, "id", 1..=i64::MAX)? as u64),
    };
    let now = ctx.now_ms;
    let records = store::list(&mut ctx.kv, &user)?;

    let chosen: Vec<_> = match only {
        Some(id) => {
            let Some(record) = records.into_iter().find(|r| r.id == id) else {
                return Err(Failure::Usage(format!(
                    "<@{user}> has no infraction #{id}."
                )));
            };
            if record.kind != Kind::Warn {
                return Err(Failure::Usage(format!(
                    "#{id} is a {}, not a warning; only warnings can be cleared.",
                    record.kind
                )));
            }
            if !record.is_active_warning(now) {
                return Err(Failure::Usage(format!(
                    "Warning #{id} no longer counts (it expired or was cleared)."
                )));
            }
            vec![record]
        }
        None => records
            .into_iter()
            .filter(|r| r.is_active_warning(now))
            .collect(),
    };
    if chosen.is_empty() {
        return Err(Failure::Usage(format!("<@{user}> has no active warnings.")));
    }

    for mut record in chosen.iter().cloned() {
        record.cleared = Some(Cleared {
            by: cmd.invoker.id.clone(),
            at_ms: now,
        });
        store::save(&mut ctx.kv, &record)?;
    }
    let ids: Vec<String> = chosen.iter().map(|r| format!("#{}", r.id)).collect();
    let what = format!(
        "{} warning{} of <@{user}> ({})",
        ids.len(),
        if ids.len() == 1 { "" } else { "s" },
        ids.join(", ")
    );
    Ok(CommandReply {
        content: format!("Cleared {what}."),
        ephemeral: false,
        actions: modlog::entry(
            &ctx.settings,
            format!("clearwarn · {what} · by <@{}>", cmd.invoker.id),
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use crate::commands;
    use crate::ctx::test_ctx;
    use crate::store;
    use astra_sdk::Action;

    fn warn_twice(ctx: &mut crate::ctx::Ctx<crate::store::mem::MemKv>) {
        for reason in ["a", "b"] {
            let warn = invoke("warn", &[("user", user("42")), ("reason", text(reason))]);
            commands::run(ctx, &warn).unwrap();
        }
    }

    #[test]
    fn clearing_one_warning_keeps_it_in_the_history() {
        let mut ctx = test_ctx(1_000);
        warn_twice(&mut ctx);
        let cmd = invoke("clearwarn", &[("user", user("42")), ("id", int(1))]);
        let reply = commands::run(&mut ctx, &cmd).unwrap();
        assert_eq!(reply.content, "Cleared 1 warning of <@42> (#1).");
        assert!(matches!(&reply.actions[0], Action::LogToModlog(l) if l.ends_with("by <@7>")));
        let records = store::list(&mut ctx.kv, "42").unwrap();
        assert_eq!(records.len(), 2);
        let active: Vec<u64> = records
            .iter()
            .filter(|r| r.is_active_warning(1_000))
            .map(|r| r.id)
            .collect();
        assert_eq!(active, vec![2]);
        let again = commands::run(&mut ctx, &cmd).unwrap();
        assert!(again.ephemeral && again.content.contains("no longer counts"));
    }

    #[test]
    fn clearing_without_an_id_clears_every_active_warning() {
        let mut ctx = test_ctx(1_000);
        warn_twice(&mut ctx);
        let cmd = invoke("clearwarn", &[("user", user("42"))]);
        let reply = commands::run(&mut ctx, &cmd).unwrap();
        assert_eq!(reply.content, "Cleared 2 warnings of <@42> (#2, #1).");
        let again = commands::run(&mut ctx, &cmd).unwrap();
        assert_eq!(again.content, "<@42> has no active warnings.");
        assert!(again.ephemeral);
    }

    #[test]
    fn unknown_ids_and_other_kinds_are_refused() {
        let mut ctx = test_ctx(1_000);
        let ban = invoke("ban", &[("user", user("42")), ("reason", text("raid"))]);
        commands::run(&mut ctx, &ban).unwrap();
        let not_a_warning = invoke("clearwarn", &[("user", user("42")), ("id", int(1))]);
        let reply = commands::run(&mut ctx, &not_a_warning).unwrap();
        assert!(reply.content.contains("#1 is a ban"));
        let missing = invoke("clearwarn", &[("user", user("42")), ("id", int(9))]);
        let reply = commands::run(&mut ctx, &missing).unwrap();
        assert_eq!(reply.content, "<@42> has no infraction #9.");
        let negative = invoke("clearwarn", &[("user", user("42")), ("id", int(-1))]);
        assert!(commands::run(&mut ctx, &negative).unwrap().ephemeral);
    }
}
