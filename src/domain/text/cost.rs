//! What X charges for posting a reply (pay-per-use, x-api/FACTS.md §4): a
//! reply with a link costs far more than one without, and a reply to a post
//! that summoned the council costs less.
//!
//! Pure: the prices come in as `ReplyPrices` (the config's `[budget]` makes
//! one), so this module does not depend on `config`.

use serde::Serialize;

use super::weighted_length;

/// Unit prices of creating a post, in US dollars.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ReplyPrices {
    /// A post (reply) without a URL.
    pub post_create_usd: f64,
    /// A post that contains a URL, summoned or not.
    pub post_create_with_url_usd: f64,
    /// A reply to a post whose author mentioned or quoted the council.
    pub summoned_reply_usd: f64,
}

impl ReplyPrices {
    /// X's pay-per-use prices from 2026-04-20 (FACTS.md §4), the config's
    /// defaults.
    pub const X_2026_04_20: ReplyPrices = ReplyPrices {
        post_create_usd: 0.015,
        post_create_with_url_usd: 0.20,
        summoned_reply_usd: 0.010,
    };
}

impl Default for ReplyPrices {
    fn default() -> Self {
        Self::X_2026_04_20
    }
}

/// Which price applies to a reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplyRate {
    /// The text contains a URL: the with-URL price, even when summoned.
    PostCreateWithUrl,
    /// No URL, and the post's author mentioned or quoted the council.
    SummonedReply,
    /// No URL, not summoned.
    PostCreate,
}

impl ReplyRate {
    /// `post_create_with_url`, `summoned_reply` or `post_create`.
    pub fn as_str(self) -> &'static str {
        match self {
            ReplyRate::PostCreateWithUrl => "post_create_with_url",
            ReplyRate::SummonedReply => "summoned_reply",
            ReplyRate::PostCreate => "post_create",
        }
    }

    /// Why this price applies, for people.
    pub fn describe(self) -> &'static str {
        match self {
            ReplyRate::PostCreateWithUrl => "a reply with a link",
            ReplyRate::SummonedReply => "a reply to a post that summoned the council",
            ReplyRate::PostCreate => "a reply without a link",
        }
    }
}

/// The price of sending one reply through the API.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ReplyCost {
    /// US dollars.
    pub usd: f64,
    /// Which price it is.
    pub rate: ReplyRate,
}

impl ReplyCost {
    /// The cost of posting `text` as a reply. A URL anywhere in the text (as
    /// twitter-text finds them, with or without a scheme) makes it the
    /// with-URL price; otherwise `summoned` (the author mentioned or quoted
    /// the council) makes it the summoned-reply price; else the post price.
    pub fn for_text(text: &str, summoned: bool, prices: &ReplyPrices) -> ReplyCost {
        Self::with_urls(weighted_length(text).urls > 0, summoned, prices)
    }

    /// The cost of posting an already-checked reply.
    pub fn for_reply(reply: &super::ReplyText, summoned: bool, prices: &ReplyPrices) -> ReplyCost {
        Self::with_urls(reply.has_url(), summoned, prices)
    }

    /// What the same reply would cost without its link, when the link makes
    /// it dearer (X prices a post with a URL above any other).
    pub fn without_link(&self, summoned: bool, prices: &ReplyPrices) -> Option<ReplyCost> {
        let plain = Self::with_urls(false, summoned, prices);
        (self.rate == ReplyRate::PostCreateWithUrl && plain.usd < self.usd).then_some(plain)
    }

    fn with_urls(has_url: bool, summoned: bool, prices: &ReplyPrices) -> ReplyCost {
        let (usd, rate) = if has_url {
            (
                prices.post_create_with_url_usd,
                ReplyRate::PostCreateWithUrl,
            )
        } else if summoned {
            (prices.summoned_reply_usd, ReplyRate::SummonedReply)
        } else {
            (prices.post_create_usd, ReplyRate::PostCreate)
        };
        ReplyCost { usd, rate }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_is_called_out_only_when_it_raises_the_price() {
        let prices = ReplyPrices {
            post_create_usd: 0.015,
            post_create_with_url_usd: 0.2,
            summoned_reply_usd: 0.01,
        };
        let linked = ReplyCost::for_text("see https://croydon.gov.uk", true, &prices);
        let plain = linked.without_link(true, &prices).unwrap();
        assert_eq!((plain.usd, plain.rate), (0.01, ReplyRate::SummonedReply));
        let text = ReplyCost::for_text("thanks", true, &prices);
        assert_eq!(text.without_link(true, &prices), None);
    }
    use crate::domain::text::ReplyText;

    const P: ReplyPrices = ReplyPrices::X_2026_04_20;

    #[test]
    fn a_plain_reply_costs_a_post_create() {
        let c = ReplyCost::for_text("Thanks, passed on.", false, &P);
        assert_eq!(
            c,
            ReplyCost {
                usd: 0.015,
                rate: ReplyRate::PostCreate
            }
        );
    }

    #[test]
    fn a_summoned_reply_costs_less() {
        let c = ReplyCost::for_text("Thanks, passed on.", true, &P);
        assert_eq!(
            c,
            ReplyCost {
                usd: 0.010,
                rate: ReplyRate::SummonedReply
            }
        );
    }

    #[test]
    fn a_link_costs_the_with_url_price_summoned_or_not() {
        for summoned in [false, true] {
            for text in [
                "Report it at https://www.croydon.gov.uk/report",
                "Report it at croydon.gov.uk/report",
            ] {
                let c = ReplyCost::for_text(text, summoned, &P);
                assert_eq!(c.usd, 0.20, "{text}");
                assert_eq!(c.rate, ReplyRate::PostCreateWithUrl);
            }
        }
    }

    #[test]
    fn what_only_looks_like_a_link_is_not_priced_as_one() {
        let c = ReplyCost::for_text("email streets@croydon.gov.uk or call", false, &P);
        assert_eq!(c.rate, ReplyRate::PostCreate);
    }

    #[test]
    fn prices_come_from_the_caller() {
        let prices = ReplyPrices {
            post_create_usd: 1.0,
            post_create_with_url_usd: 2.0,
            summoned_reply_usd: 0.5,
        };
        assert_eq!(ReplyCost::for_text("hi", false, &prices).usd, 1.0);
        assert_eq!(ReplyCost::for_text("hi", true, &prices).usd, 0.5);
        assert_eq!(ReplyCost::for_text("see x.com", true, &prices).usd, 2.0);
        let reply = ReplyText::parse("see x.com").unwrap();
        assert_eq!(ReplyCost::for_reply(&reply, false, &prices).usd, 2.0);
        assert_eq!(ReplyPrices::default(), P);
    }
}
