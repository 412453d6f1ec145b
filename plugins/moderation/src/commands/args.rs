//! Reading and checking command options. Every check returns the sentence the invoker
//! sees when it fails, so all commands word their errors the same way.

use super::Failure;
use crate::ladder::MAX_TIMEOUT_MINUTES;
use astra_sdk::prelude::*;

/// Longest reason accepted (Discord's audit log keeps 512 characters).
pub const MAX_REASON_CHARS: usize = 400;

fn usage(text: impl Into<String>) -> Failure {
    Failure::Usage(text.into())
}

/// The `user` option.
pub fn user(cmd: &CommandInvocation) -> Result<String, Failure> {
    match cmd.text("user").map(str::trim) {
        Some(id) if !id.is_empty() => Ok(id.to_string()),
        _ => Err(usage("Pick a member in the `user` option.")),
    }
}

/// The `user` option, who must not be the invoker (for warn, timeout, kick, ban).
pub fn target(cmd: &CommandInvocation) -> Result<String, Failure> {
    let id = user(cmd)?;
    if id == cmd.invoker.id {
        return Err(usage(format!("You cannot /{} yourself.", cmd.name)));
    }
    Ok(id)
}

/// The `reason` option: required, trimmed, at most [`MAX_REASON_CHARS`].
pub fn reason(cmd: &CommandInvocation) -> Result<String, Failure> {
    let text = cmd.text("reason").map(str::trim).unwrap_or_default();
    if text.is_empty() {
        return Err(usage(
            "Give a `reason`: it is shown to the member and kept in the log.",
        ));
    }
    let chars = text.chars().count();
    if chars > MAX_REASON_CHARS {
        return Err(usage(format!(
            "The reason is {chars} characters long; keep it to {MAX_REASON_CHARS}."
        )));
    }
    Ok(text.to_string())
}

/// The integer option `name`, required and within `range`.
pub fn integer(
    cmd: &CommandInvocation,
    name: &str,
    range: std::ops::RangeInclusive<i64>,
) -> Result<i64, Failure> {
    match cmd.integer(name) {
        Some(n) if range.contains(&n) => Ok(n),
        Some(n) => Err(usage(format!(
            "`{name}` must be between {} and {}; got {n}.",
            range.start(),
            range.end()
        ))),
        None => Err(usage(format!(
            "Give `{name}` as a whole number between {} and {}.",
            range.start(),
            range.end()
        ))),
    }
}

/// `minutes` for a timeout: 1 minute to 28 days.
pub fn minutes(cmd: &CommandInvocation) -> Result<u32, Failure> {
    integer(cmd, "minutes", 1..=i64::from(MAX_TIMEOUT_MINUTES)).map(|n| n as u32)
}

#[cfg(test)]
mod tests {
    use super::super::testing::{int, invoke, text, user as user_opt};
    use super::*;

    fn usage_text(r: Result<impl std::fmt::Debug, Failure>) -> String {
        match r {
            Err(Failure::Usage(text)) => text,
            other => panic!("expected a usage error, got {other:?}"),
        }
    }

    #[test]
    fn a_user_is_required_and_cannot_be_yourself() {
        assert!(usage_text(user(&invoke("warn", &[]))).contains("`user`"));
        let me = invoke("warn", &[("user", user_opt("7"))]);
        assert!(usage_text(target(&me)).contains("yourself"));
        assert_eq!(
            target(&invoke("warn", &[("user", user_opt("42"))])).unwrap(),
            "42"
        );
    }

    #[test]
    fn reasons_are_trimmed_and_bounded() {
        assert!(usage_text(reason(&invoke("warn", &[("reason", text("  "))]))).contains("reason"));
        let long = "x".repeat(MAX_REASON_CHARS + 1);
        assert!(usage_text(reason(&invoke("warn", &[("reason", text(&long))]))).contains("401"));
        assert_eq!(
            reason(&invoke("warn", &[("reason", text(" spam "))])).unwrap(),
            "spam"
        );
    }

    #[test]
    fn minutes_are_capped_at_28_days() {
        assert_eq!(
            minutes(&invoke("timeout", &[("minutes", int(40_320))])).unwrap(),
            40_320
        );
        assert!(
            usage_text(minutes(&invoke("timeout", &[("minutes", int(40_321))])))
                .contains("between 1 and 40320")
        );
        assert!(usage_text(minutes(&invoke("timeout", &[("minutes", int(0))]))).contains("got 0"));
        assert!(usage_text(minutes(&invoke("timeout", &[]))).contains("whole number"));
    }
}
