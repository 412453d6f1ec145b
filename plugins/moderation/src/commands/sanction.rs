//! `/timeout user minutes reason`, `/kick user reason`, `/ban user reason`: record the
//! infraction, carry it out (Action::Timeout/Kick/Ban) and log it. One file because
//! the three differ only in their action and, for timeouts, a duration.

use super::{args, Failure};
use crate::ctx::Ctx;
use crate::infraction::{Infraction, Issuer, Kind};
use crate::store::{self, Kv};
use crate::{modlog, time};
use astra_sdk::prelude::*;
use astra_sdk::CommandBuilder;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sanction {
    Timeout,
    Kick,
    Ban,
}

pub fn spec(sanction: Sanction) -> CommandBuilder {
    let user = "the member";
    let reason = "why (kept in the mod-log and audit log)";
    match sanction {
        Sanction::Timeout => CommandBuilder::new("timeout", "Time a member out (up to 28 days)")
            .permission(Permission::ModerateMembers)
            .option("user", OptionKind::User, true, user)
            .option("minutes", OptionKind::Integer, true, "1 to 40320 (28 days)")
            .option("reason", OptionKind::Text, true, reason),
        Sanction::Kick => CommandBuilder::new("kick", "Kick a member from the server")
            .permission(Permission::KickMembers)
            .option("user", OptionKind::User, true, user)
            .option("reason", OptionKind::Text, true, reason),
        Sanction::Ban => CommandBuilder::new("ban", "Ban a member from the server")
            .permission(Permission::BanMembers)
            .option("user", OptionKind::User, true, user)
            .option("reason", OptionKind::Text, true, reason),
    }
}

pub fn run<K: Kv>(
    ctx: &mut Ctx<K>,
    cmd: &CommandInvocation,
    sanction: Sanction,
) -> Result<CommandReply, Failure> {
    let user = args::target(cmd)?;
    let (kind, expires_ms) = match sanction {
        Sanction::Timeout => {
            let minutes = args::minutes(cmd)?;
            let end = ctx.now_ms + time::minutes_ms(u64::from(minutes));
            (Kind::Timeout, Some(end))
        }
        Sanction::Kick => (Kind::Kick, None),
        Sanction::Ban => (Kind::Ban, None),
    };
    let reason = args::reason(cmd)?;
    let record = Infraction {
        id: store::next_id(&mut ctx.kv)?,
        user: user.clone(),
        kind,
        reason: reason.clone(),
        by: Issuer::Moderator(cmd.invoker.id.clone()),
        at_ms: ctx.now_ms,
        expires_ms,
        cleared: None,
    };
    store::save(&mut ctx.kv, &record)?;

    let done = match sanction {
        Sanction::Timeout => format!(
            "Timed out <@{user}> for {}",
            time::format_duration(expires_ms.unwrap_or(ctx.now_ms) - ctx.now_ms)
        ),
        Sanction::Kick => format!("Kicked <@{user}>"),
        Sanction::Ban => format!("Banned <@{user}>"),
    };
    let mut actions = vec![record.action()];
    actions.extend(modlog::entry(&ctx.settings, record.log_line()));
    Ok(CommandReply {
        content: format!("{done} (#{}): {reason}.", record.id),
        ephemeral: false,
        actions,
    })
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use crate::commands;
    use crate::ctx::test_ctx;
    use crate::store;
    use astra_sdk::Action;

    #[test]
    fn a_timeout_is_carried_out_recorded_and_logged() {
        let mut ctx = test_ctx(1_000_000);
        let cmd = invoke(
            "timeout",
            &[
                ("user", user("42")),
                ("minutes", int(90)),
                ("reason", text("flood")),
            ],
        );
        let reply = commands::run(&mut ctx, &cmd).unwrap();
        assert_eq!(reply.content, "Timed out <@42> for 1 h 30 min (#1): flood.");
        assert!(matches!(&reply.actions[0],
            Action::Timeout(t) if t.user_id == "42" && t.seconds == 5_400 && t.reason == "flood"));
        assert!(matches!(&reply.actions[1],
            Action::LogToModlog(l) if l == "timeout 1 h 30 min #1 · <@42> · by <@7> · flood"));
        let history = store::list(&mut ctx.kv, "42").unwrap();
        assert_eq!(history[0].expires_ms, Some(1_000_000 + 5_400_000));
    }

    #[test]
    fn kicks_and_bans_have_their_own_actions() {
        let mut ctx = test_ctx(0);
        let args = [("user", user("42")), ("reason", text("raid"))];
        let kick = commands::run(&mut ctx, &invoke("kick", &args)).unwrap();
        assert!(matches!(&kick.actions[0], Action::Kick(r) if r.user_id == "42"));
        let ban = commands::run(&mut ctx, &invoke("ban", &args)).unwrap();
        assert!(matches!(&ban.actions[0], Action::Ban(r) if r.reason == "raid"));
        assert_eq!(ban.content, "Banned <@42> (#2): raid.");
    }

    #[test]
    fn a_too_long_timeout_is_refused() {
        let mut ctx = test_ctx(0);
        let cmd = invoke(
            "timeout",
            &[
                ("user", user("42")),
                ("minutes", int(50_000)),
                ("reason", text("x")),
            ],
        );
        let reply = commands::run(&mut ctx, &cmd).unwrap();
        assert!(reply.ephemeral && reply.actions.is_empty());
        assert!(reply.content.contains("40320"));
    }
}
