//! `/warnings user`: the member's active warnings, then the rest of their history
//! (expired or cleared warnings, timeouts, kicks, bans), newest first. Ephemeral: it is
//! for the moderator who asked.

use super::{args, Failure};
use crate::ctx::Ctx;
use crate::infraction::Infraction;
use crate::store::{self, Kv};
use crate::time;
use astra_sdk::prelude::*;
use astra_sdk::CommandBuilder;

/// Discord refuses messages over 2000 characters; leave room for the "more" line.
const MAX_CHARS: usize = 1_900;

pub fn spec() -> CommandBuilder {
    CommandBuilder::new("warnings", "List a member's warnings and past infractions")
        .permission(Permission::ModerateMembers)
        .option("user", OptionKind::User, true, "the member")
}

pub fn run<K: Kv>(ctx: &mut Ctx<K>, cmd: &CommandInvocation) -> Result<CommandReply, Failure> {
    let user = args::user(cmd)?;
    let records = store::list(&mut ctx.kv, &user)?;
    Ok(reply_ephemeral(render(
        &user,
        &records,
        ctx.now_ms,
        ctx.settings.warning_expiry_hours,
    )))
}

/// The listing for `records` (newest first), cut to fit one Discord message.
pub fn render(user: &str, records: &[Infraction], now_ms: u64, expiry_hours: u64) -> String {
    if records.is_empty() {
        return format!("<@{user}> has no warnings or other infractions.");
    }
    let (active, history): (Vec<&Infraction>, Vec<&Infraction>) =
        records.iter().partition(|r| r.is_active_warning(now_ms));
    let mut out = format!(
        "**<@{user}>**: {} active warning{} (warnings count for {}), {} earlier or other record{}.",
        active.len(),
        plural(active.len()),
        time::format_duration(time::hours_ms(expiry_hours)),
        history.len(),
        plural(history.len()),
    );
    let mut left_out = 0;
    for (title, group) in [("Active warnings", &active), ("History", &history)] {
        if group.is_empty() {
            continue;
        }
        let heading = format!("\n__{title}__");
        if left_out > 0 || out.len() + heading.len() > MAX_CHARS {
            left_out += group.len();
            continue;
        }
        out.push_str(&heading);
        for record in group.iter() {
            let line = format!("\n{}", record.describe(now_ms));
            if left_out > 0 || out.len() + line.len() > MAX_CHARS {
                left_out += 1;
            } else {
                out.push_str(&line);
            }
        }
    }
    if left_out > 0 {
        out.push_str(&format!("\n… and {left_out} more not shown"));
    }
    out
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use crate::commands;
    use crate::ctx::test_ctx;
    use crate::infraction::{Issuer, Kind};

    const H: u64 = 3_600_000;

    fn record(id: u64, kind: Kind, at_ms: u64, expires_ms: Option<u64>) -> Infraction {
        Infraction {
            id,
            user: "42".into(),
            kind,
            reason: format!("reason {id}"),
            by: Issuer::Moderator("7".into()),
            at_ms,
            expires_ms,
            cleared: None,
        }
    }

    #[test]
    fn active_warnings_come_before_the_history() {
        let now = 100 * H;
        let records = vec![
            record(3, Kind::Warn, now - H, Some(now + H)),
            record(2, Kind::Timeout, now - 2 * H, Some(now - H)),
            record(1, Kind::Warn, now - 50 * H, Some(now - 20 * H)),
        ];
        let text = render("42", &records, now, 720);
        assert!(
            text.starts_with("**<@42>**: 1 active warning (warnings count for 30 d), 2 earlier")
        );
        let active = text.find("__Active warnings__\n#3 warn").unwrap();
        let history = text.find("__History__\n#2 timeout 1 h").unwrap();
        assert!(active < history);
        assert!(text.contains("#1 warn") && text.contains("· expired "));
    }

    #[test]
    fn long_histories_are_cut_to_one_message() {
        let records: Vec<_> = (0..100)
            .map(|i| record(i, Kind::Ban, i * H, None))
            .collect();
        let text = render("42", &records, 200 * H, 720);
        assert!(text.chars().count() <= 2_000);
        assert!(text.contains("more not shown"));
    }

    #[test]
    fn the_command_lists_what_was_recorded() {
        let mut ctx = test_ctx(10 * H);
        let warn = invoke("warn", &[("user", user("42")), ("reason", text("caps"))]);
        commands::run(&mut ctx, &warn).unwrap();
        let reply = commands::run(&mut ctx, &invoke("warnings", &[("user", user("42"))])).unwrap();
        assert!(reply.ephemeral);
        assert!(reply.content.contains("#1 warn · ") && reply.content.contains("caps"));
        let nobody = commands::run(&mut ctx, &invoke("warnings", &[("user", user("5"))])).unwrap();
        assert_eq!(nobody.content, "<@5> has no warnings or other infractions.");
    }
}
