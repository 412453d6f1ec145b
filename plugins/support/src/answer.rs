//! Answers one support message: find the knowledge-base entry that fits (by meaning when
//! the host has an embedding model, by keywords otherwise), reply with it, or admit not
//! knowing and ping the staff (and tell the staff channel, if one is set). Calls the host.
use crate::keywords;
use crate::replies;
use crate::request::question_text;
use crate::settings::Settings;
use crate::vectors;
use astra_sdk::embed::EmbedError;
use astra_sdk::prelude::*;

/// How an entry was found.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Method {
    Meaning,
    Keywords,
}

/// The entry chosen for a question.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Found {
    pub index: usize,
    pub score: f32,
    pub method: Method,
}

/// The actions answering `msg`.
pub fn handle(msg: &Message) -> Vec<Action> {
    let settings = Settings::load();
    let question = question_text(&msg.content);
    match find(&settings, &question) {
        Some(found) => {
            log::debug(&format!(
                "answered by {:?} (score {:.2}) with entry {}",
                found.method, found.score, found.index
            ));
            vec![Action::Reply(replies::answer(
                &settings.kb.entries[found.index],
            ))]
        }
        None => {
            let mut actions = vec![Action::Reply(replies::unknown(&settings.staff_mention))];
            if let Some(channel_id) = settings.staff_channel {
                actions.push(Action::Send(SendMessage {
                    channel_id,
                    content: replies::staff_notice(&msg.author.id, &msg.channel_id, &question),
                }));
            }
            actions
        }
    }
}

/// The best entry for `question` that clears its method's threshold.
pub fn find(settings: &Settings, question: &str) -> Option<Found> {
    let (best, method, threshold) = match vectors::best_by_meaning(&settings.kb, question) {
        Ok(best) => (best, Method::Meaning, settings.min_similarity),
        Err(e) => {
            if let EmbedError::Backend(why) = &e {
                log::warn(&format!(
                    "embedding failed, matching keywords instead: {why}"
                ));
            }
            let best = keywords::Index::for_entries(&settings.kb.entries).best(question);
            (best, Method::Keywords, settings.min_keyword_score)
        }
    };
    let (index, score) = best?;
    if score < threshold {
        log::debug(&format!(
            "best {method:?} score {score:.2} is under {threshold:.2}: no answer"
        ));
        return None;
    }
    Some(Found {
        index,
        score,
        method,
    })
}
