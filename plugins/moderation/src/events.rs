//! Moderation actions other cogs took (the `moderation-actions` event): their warnings
//! are recorded and run through the ladder, so e.g. the security cog's profanity
//! warnings escalate to a timeout; their timeouts, kicks and bans are recorded for the
//! member's history. The host never sends this cog its own actions back.

use crate::ctx::Ctx;
use crate::escalate;
use crate::infraction::{Infraction, Issuer, Kind};
use crate::store::{self, Kv};
use astra_sdk::prelude::*;

/// Record the action in `event`; returns the ladder's escalation, if any.
pub fn handle<K: Kv>(ctx: &mut Ctx<K>, event: Event) -> Result<Vec<Action>, HandlerError> {
    match event {
        Event::ActionTaken(taken) => action_taken(ctx, taken),
    }
}

fn action_taken<K: Kv>(ctx: &mut Ctx<K>, taken: ActionTaken) -> Result<Vec<Action>, HandlerError> {
    let by = Issuer::Cog(taken.by_cog);
    let (user, kind, reason, duration_ms) = match taken.action {
        Action::Warn(w) => {
            let reason = or_unspecified(w.reason);
            let recorded = escalate::record_warning(ctx, &w.user_id, &reason, by)?;
            return Ok(recorded.actions);
        }
        Action::Timeout(t) => (
            t.user_id,
            Kind::Timeout,
            t.reason,
            Some(u64::from(t.seconds) * 1000),
        ),
        Action::Kick(r) => (r.user_id, Kind::Kick, r.reason, None),
        Action::Ban(r) => (r.user_id, Kind::Ban, r.reason, None),
        _ => return Ok(Vec::new()),
    };
    let record = Infraction {
        id: store::next_id(&mut ctx.kv)?,
        user,
        kind,
        reason: or_unspecified(reason),
        by,
        at_ms: ctx.now_ms,
        expires_ms: duration_ms.map(|d| ctx.now_ms + d),
        cleared: None,
    };
    store::save(&mut ctx.kv, &record)?;
    Ok(Vec::new())
}

fn or_unspecified(reason: String) -> String {
    if reason.trim().is_empty() {
        "(no reason given)".to_string()
    } else {
        reason
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ctx::test_ctx;

    fn taken(action: Action) -> Event {
        Event::ActionTaken(ActionTaken {
            by_cog: "security".into(),
            action,
            guild_id: "g1".into(),
            channel_id: "c1".into(),
            message_id: "m1".into(),
            timestamp_ms: 0,
        })
    }

    fn profanity() -> Event {
        taken(Action::Warn(Warning {
            user_id: "42".into(),
            reason: "profanity: darn".into(),
        }))
    }

    #[test]
    fn another_cogs_third_warning_escalates_to_a_timeout() {
        let mut ctx = test_ctx(1_000_000);
        assert!(handle(&mut ctx, profanity()).unwrap().is_empty());
        assert!(handle(&mut ctx, profanity()).unwrap().is_empty());
        let actions = handle(&mut ctx, profanity()).unwrap();
        assert!(matches!(&actions[0], Action::Timeout(t) if t.user_id == "42" && t.seconds == 600));
        assert!(matches!(&actions[1], Action::LogToModlog(_)));
        let history = store::list(&mut ctx.kv, "42").unwrap();
        assert_eq!(history[1].by, Issuer::Cog("security".into()));
        assert_eq!(history[1].reason, "profanity: darn");
    }

    #[test]
    fn other_cogs_bans_and_timeouts_are_recorded_without_answer() {
        let mut ctx = test_ctx(1_000);
        let ban = taken(Action::Ban(RemoveUser {
            user_id: "42".into(),
            reason: "scam: link".into(),
        }));
        assert!(handle(&mut ctx, ban).unwrap().is_empty());
        let timeout = taken(Action::Timeout(TimeoutUser {
            user_id: "42".into(),
            seconds: 60,
            reason: String::new(),
        }));
        assert!(handle(&mut ctx, timeout).unwrap().is_empty());
        let history = store::list(&mut ctx.kv, "42").unwrap();
        assert_eq!(history.len(), 2);
        let t = history.iter().find(|r| r.kind == Kind::Timeout).unwrap();
        assert_eq!(
            (t.expires_ms, t.reason.as_str()),
            (Some(61_000), "(no reason given)")
        );
    }

    #[test]
    fn other_actions_are_ignored() {
        let mut ctx = test_ctx(0);
        assert!(handle(&mut ctx, taken(Action::Reply("hi".into())))
            .unwrap()
            .is_empty());
        assert!(ctx.kv.data.is_empty());
    }
}
