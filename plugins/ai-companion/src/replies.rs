//! Every sentence the companion says on its own (without the model), in one place so the
//! wording stays consistent and is easy to change. Pure.
use astra_sdk::llm::LlmError;

/// Posted instead of a model reply that the content filter refused.
pub const FILTERED_REPLY: &str = "Sorry, I'd better not say that. Let's talk about something else!";

/// Posted when the model returned nothing usable.
pub const EMPTY_REPLY: &str = "Sorry, I'm not sure what to say to that.";

/// The model is missing, slow or failing.
pub const UNAVAILABLE_REPLY: &str =
    "I can't think right now — my language model is unavailable. Try again in a moment.";

/// The host's model budget (not the user's) is used up.
pub const HOST_BUDGET_REPLY: &str =
    "I've used up my thinking budget for now — please try again later.";

/// The admin has not granted the model to this cog.
pub const DENIED_REPLY: &str = "I'm not allowed to use a language model on this server.";

/// `/ask` without a question.
pub const ASK_USAGE: &str = "Ask me something, e.g. `/ask question: what can you do?`";

/// `/forget` cleared the channel's memory, or there was none.
pub const FORGOT: &str = "Done — I've forgotten our conversation in this channel.";
pub const NOTHING_TO_FORGET: &str = "There was nothing to forget in this channel.";

/// A member reached `limit` replies this hour.
pub fn over_budget(limit: u32) -> String {
    format!(
        "You've reached your limit of {limit} replies from me this hour. \
         Let's chat again a bit later!"
    )
}

/// The fallback reply for a failed model call.
pub fn for_llm_error(error: &LlmError) -> &'static str {
    match error {
        LlmError::Denied => DENIED_REPLY,
        LlmError::BudgetExceeded => HOST_BUDGET_REPLY,
        LlmError::Unavailable(_) | LlmError::Timeout | LlmError::Backend(_) => UNAVAILABLE_REPLY,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_model_error_gets_an_honest_reply() {
        assert_eq!(for_llm_error(&LlmError::Timeout), UNAVAILABLE_REPLY);
        assert_eq!(
            for_llm_error(&LlmError::Unavailable("x".into())),
            UNAVAILABLE_REPLY
        );
        assert_eq!(
            for_llm_error(&LlmError::Backend("x".into())),
            UNAVAILABLE_REPLY
        );
        assert_eq!(for_llm_error(&LlmError::BudgetExceeded), HOST_BUDGET_REPLY);
        assert_eq!(for_llm_error(&LlmError::Denied), DENIED_REPLY);
    }

    #[test]
    fn the_budget_reply_names_the_limit() {
        assert!(over_budget(20).contains("20 replies"));
    }
}
