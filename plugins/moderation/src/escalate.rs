//! Recording a warning and escalating it: the one path shared by `/warn` and by
//! warnings other cogs issued (`events.rs`).
//!
//! Saves the warning, counts the user's active warnings, asks the ladder
//! (`ladder::evaluate`) whether this one crosses a step and, if so, records the
//! timeout/kick/ban as an infraction of its own and returns the action plus its
//! mod-log line.

use crate::ctx::Ctx;
use crate::infraction::{Infraction, Issuer, Kind};
use crate::ladder::{self, StepAction};
use crate::store::{self, Kv};
use crate::{modlog, time};
use astra_sdk::{Action, HandlerError};

/// What recording a warning did.
pub struct Recorded {
    pub warning: Infraction,
    /// active warnings of the user, this one included
    pub active: usize,
    /// the ladder's punishment, if this warning crossed a step
    pub escalation: Option<Infraction>,
    /// the punishment's action and its mod-log line (empty without escalation)
    pub actions: Vec<Action>,
}

/// Record a warning for `user` and apply the ladder.
pub fn record_warning<K: Kv>(
    ctx: &mut Ctx<K>,
    user: &str,
    reason: &str,
    by: Issuer,
) -> Result<Recorded, HandlerError> {
    let now = ctx.now_ms;
    let history = store::list(&mut ctx.kv, user)?;
    let warning = Infraction {
        id: store::next_id(&mut ctx.kv)?,
        user: user.to_string(),
        kind: Kind::Warn,
        reason: reason.to_string(),
        by,
        at_ms: now,
        expires_ms: Some(now.saturating_add(time::hours_ms(ctx.settings.warning_expiry_hours))),
        cleared: None,
    };
    store::save(&mut ctx.kv, &warning)?;

    let mut times: Vec<u64> = history
        .iter()
        .filter(|r| r.is_active_warning(now))
        .map(|r| r.at_ms)
        .collect();
    times.push(now);
    let active = times.len();

    let Some((n, step)) = ladder::evaluate(&ctx.settings.ladder, &times, now) else {
        return Ok(Recorded {
            warning,
            active,
            escalation: None,
            actions: Vec::new(),
        });
    };
    let (kind, expires_ms) = match step.action {
        StepAction::Timeout { minutes } => (
            Kind::Timeout,
            Some(now + time::minutes_ms(u64::from(minutes))),
        ),
        StepAction::Kick => (Kind::Kick, None),
        StepAction::Ban => (Kind::Ban, None),
    };
    let escalation = Infraction {
        id: store::next_id(&mut ctx.kv)?,
        user: user.to_string(),
        kind,
        reason: format!(
            "escalation: {} warnings within {}",
            step.warnings,
            time::format_duration(time::hours_ms(step.within_hours))
        ),
        by: Issuer::Ladder(n),
        at_ms: now,
        expires_ms,
        cleared: None,
    };
    store::save(&mut ctx.kv, &escalation)?;
    let mut actions = vec![escalation.action()];
    actions.extend(modlog::entry(&ctx.settings, escalation.log_line()));
    Ok(Recorded {
        warning,
        active,
        escalation: Some(escalation),
        actions,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ctx::test_ctx as ctx;
    use crate::store::mem::MemKv;

    const H: u64 = 3_600_000;

    fn warn(ctx: &mut Ctx<MemKv>) -> Recorded {
        record_warning(ctx, "42", "profanity: darn", Issuer::Cog("security".into())).unwrap()
    }

    #[test]
    fn the_third_warning_in_a_day_times_out_once() {
        let mut ctx = ctx(1_000 * H);
        assert!(warn(&mut ctx).escalation.is_none());
        ctx.now_ms += H;
        assert!(warn(&mut ctx).escalation.is_none());
        ctx.now_ms += H;
        let third = warn(&mut ctx);
        assert_eq!(third.active, 3);
        let timeout = third.escalation.unwrap();
        assert_eq!(timeout.kind, Kind::Timeout);
        assert_eq!(timeout.by, Issuer::Ladder(1));
        assert!(matches!(&third.actions[0], Action::Timeout(t) if t.seconds == 600));
        assert!(matches!(&third.actions[1], Action::LogToModlog(l) if l.contains("ladder step 1")));
        ctx.now_ms += H;
        let fourth = warn(&mut ctx);
        assert!(fourth.escalation.is_none());
        assert!(fourth.actions.is_empty());
    }

    #[test]
    fn expired_warnings_do_not_count() {
        let mut ctx = ctx(1_000 * H);
        ctx.settings.warning_expiry_hours = 1;
        for _ in 0..5 {
            let r = warn(&mut ctx);
            assert_eq!(r.active, 1);
            assert!(r.escalation.is_none());
            ctx.now_ms += 2 * H;
        }
    }

    #[test]
    fn escalations_are_stored_as_infractions() {
        let mut ctx = ctx(1_000 * H);
        for _ in 0..3 {
            warn(&mut ctx);
        }
        let history = store::list(&mut ctx.kv, "42").unwrap();
        assert_eq!(history.len(), 4);
        assert_eq!(
            history.iter().filter(|r| r.kind == Kind::Timeout).count(),
            1
        );
    }

    #[test]
    fn an_empty_ladder_never_escalates() {
        let mut ctx = ctx(1_000 * H);
        ctx.settings.ladder.clear();
        for _ in 0..10 {
            assert!(warn(&mut ctx).escalation.is_none());
        }
    }
}
