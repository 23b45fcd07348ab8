//! The packer: fits many place names into as few queries as the length limit allows.
//!
//! Every query is `(k1 OR "k 2" OR k3) <suffix>` (a lone keyword drops the parentheses)
//! where the suffix is `-exclusion`… `-from:<author>` `-is:retweet` and the language
//! filter (`lang:en`, or `(lang:en OR lang:cy)` for several). With a keyword group in
//! front, every suffix part is AND-ed to a standalone term, so X accepts the query.
//!
//! Packing is bin packing (see `binpack`): a keyword term of `n` characters costs
//! `n + 4` (its ` OR `) and a query holds `max_len + 2 - (suffix + 1)` of cost (the two
//! parentheses stand in for one ` OR `). Place names are small against the limit, so
//! the packing reaches the lower bound `ceil(total cost / capacity)` on realistic
//! inputs. All of it is deterministic, and every produced query is re-parsed before
//! it is returned.
//!
//! A place name whose matches are a subset of another configured name's (it
//! contains the other as whole words: `East Croydon` and `Croydon`) is left out
//! of the queries: with the suffix common to every query, the other name's query
//! already returns each of its posts, and searching both would read those posts
//! twice when they land in different queries. It still tags posts locally (the
//! tagger matches every configured name); [`PackedQuery::covered`] says which
//! query finds its posts.

use super::binpack::bin_pack;
use super::error::QueryError;
use super::keyword::Keyword;
use super::parse;

/// What to pack: the place names, plus the suffix common to every query.
#[derive(Debug, Clone, Copy)]
pub struct PackSpec<'a> {
    /// Place names; each lands in exactly one query, or is covered by one
    /// that does (see [`coverage`]).
    pub keywords: &'a [Keyword],
    /// Terms to exclude, written `-term` in every query.
    pub exclusions: &'a [Keyword],
    /// Language codes; one gives `lang:xx`, several `(lang:xx OR lang:yy)`.
    pub languages: &'a [String],
    /// A username whose own posts are excluded (`-from:name`), e.g. the council's.
    pub exclude_author: Option<&'a str>,
    /// A username whose mentions are excluded (`-@name`): the council's mentions
    /// are read from its mentions timeline, where reads cost less.
    pub exclude_mention: Option<&'a str>,
    /// The access level's query length limit, in characters.
    pub max_len: usize,
}

/// One packed query and the keywords it covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackedQuery {
    /// The query text, at most `max_len` characters.
    pub text: String,
    /// Indices into `PackSpec::keywords` searched for, ascending.
    pub keywords: Vec<usize>,
    /// Indices of keywords left out of every query because one of `keywords`
    /// covers them: this query finds their posts. Ascending.
    pub covered: Vec<usize>,
}

/// Why keywords could not be packed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PackError {
    /// One keyword plus the common suffix is already over the limit.
    #[error(
        "keyword {keyword:?} needs a {needed}-character query with the common suffix, over the limit of {max}"
    )]
    KeywordTooLong {
        /// The keyword as configured.
        keyword: String,
        /// Characters of the smallest query holding it.
        needed: usize,
        /// The limit.
        max: usize,
    },
    /// A language code that is not letters, digits and `-` (it would change the
    /// query's meaning, e.g. `en cy` reads as `lang:en` AND the keyword `cy`).
    #[error("language code {0:?} is not a BCP 47 code")]
    InvalidLanguage(String),
    /// An author to exclude that is not a username (1–15 of `A-Z a-z 0-9 _`).
    #[error("{0:?} is not an X username")]
    InvalidAuthor(String),
    /// A produced query does not parse (a bug: the parts are validated first).
    #[error("packed query {query:?} is not valid: {source}")]
    Invalid {
        /// The offending query.
        query: String,
        /// What the parser said.
        source: QueryError,
    },
}

/// For each keyword, the keyword whose search finds its posts: itself, or the
/// one that covers it ([`Keyword::is_covered_by`]) with the fewest tokens, the
/// first configured among equals. That one is never covered by another in
/// turn, so following the result once always lands on a searched keyword.
pub fn coverage(keywords: &[Keyword]) -> Vec<usize> {
    keywords
        .iter()
        .enumerate()
        .map(|(i, k)| {
            keywords
                .iter()
                .enumerate()
                .filter(|(_, other)| k.is_covered_by(other))
                .min_by_key(|(j, other)| (other.token_count(), *j))
                .map_or(i, |(j, _)| j)
        })
        .collect()
}

/// Packs the keywords into as few queries as possible, each at most `max_len` chars,
/// leaving out the keywords another one covers (see [`coverage`]).
/// Queries come ordered by their first keyword; keywords keep their configured order.
pub fn pack(spec: &PackSpec<'_>) -> Result<Vec<PackedQuery>, PackError> {
    if spec.keywords.is_empty() {
        return Ok(Vec::new());
    }
    validate_suffix_parts(spec)?;
    let suffix = suffix(spec);
    let overhead = suffix_overhead(&suffix);
    let cover = coverage(spec.keywords);
    let searched: Vec<usize> = (0..spec.keywords.len())
        .filter(|&i| cover[i] == i)
        .collect();
    let terms: Vec<String> = spec.keywords.iter().map(Keyword::to_query_term).collect();
    let costs: Vec<usize> = searched
        .iter()
        .map(|&i| terms[i].chars().count() + 4)
        .collect();
    for (&i, cost) in searched.iter().zip(&costs) {
        let needed = cost - 4 + overhead;
        if needed > spec.max_len {
            return Err(PackError::KeywordTooLong {
                keyword: spec.keywords[i].as_str().to_string(),
                needed,
                max: spec.max_len,
            });
        }
    }
    let capacity = capacity(spec.max_len, overhead);
    let mut bins: Vec<Vec<usize>> = bin_pack(&costs, capacity)
        .into_iter()
        .map(|bin| bin.into_iter().map(|b| searched[b]).collect())
        .collect();
    for bin in &mut bins {
        bin.sort_unstable();
    }
    bins.sort_unstable_by_key(|bin| bin[0]);
    bins.into_iter()
        .map(|keywords| {
            let text = query_text(&keywords, &terms, &suffix);
            let covered = (0..cover.len())
                .filter(|&i| cover[i] != i && keywords.contains(&cover[i]))
                .collect();
            match parse(&text, spec.max_len) {
                Ok(_) => Ok(PackedQuery {
                    text,
                    keywords,
                    covered,
                }),
                Err(source) => Err(PackError::Invalid {
                    query: text,
                    source,
                }),
            }
        })
        .collect()
}

fn validate_suffix_parts(spec: &PackSpec<'_>) -> Result<(), PackError> {
    if let Some(lang) = spec
        .languages
        .iter()
        .find(|l| l.is_empty() || !l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
    {
        return Err(PackError::InvalidLanguage(lang.clone()));
    }
    for author in spec.exclude_author.iter().chain(&spec.exclude_mention) {
        if !super::is_username(author.trim_start_matches('@')) {
            return Err(PackError::InvalidAuthor(author.to_string()));
        }
    }
    Ok(())
}

/// The suffix common to every query (no leading space); may be empty.
pub(crate) fn suffix(spec: &PackSpec<'_>) -> String {
    let mut parts: Vec<String> = spec
        .exclusions
        .iter()
        .map(|k| format!("-{}", k.to_query_term()))
        .collect();
    if let Some(author) = spec.exclude_author {
        parts.push(format!("-from:{}", author.trim_start_matches('@')));
    }
    if let Some(mention) = spec.exclude_mention {
        parts.push(format!("-@{}", mention.trim_start_matches('@')));
    }
    parts.push("-is:retweet".to_string());
    match spec.languages {
        [] => {}
        [one] => parts.push(format!("lang:{one}")),
        many => {
            let langs: Vec<String> = many.iter().map(|l| format!("lang:{l}")).collect();
            parts.push(format!("({})", langs.join(" OR ")));
        }
    }
    parts.join(" ")
}

/// Characters the suffix adds to a query, counting the space before it.
fn suffix_overhead(suffix: &str) -> usize {
    match suffix.chars().count() {
        0 => 0,
        n => n + 1,
    }
}

/// Room for keyword costs in one query: `2 + Σlen + 4(n-1) + overhead <= max_len`.
fn capacity(max_len: usize, overhead: usize) -> usize {
    (max_len + 2).saturating_sub(overhead)
}

fn query_text(keywords: &[usize], terms: &[String], suffix: &str) -> String {
    let mut text = match keywords {
        [one] => terms[*one].clone(),
        many => {
            let group: Vec<&str> = many.iter().map(|i| terms[*i].as_str()).collect();
            format!("({})", group.join(" OR "))
        }
    };
    if !suffix.is_empty() {
        text.push(' ');
        text.push_str(suffix);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    const LONDON: &[&str] = &[
        "Croydon",
        "East Croydon",
        "West Croydon",
        "South Croydon",
        "Purley",
        "Coulsdon",
        "Thornton Heath",
        "Norbury",
        "South Norwood",
        "Upper Norwood",
        "Selhurst",
        "Addiscombe",
        "Shirley",
        "Sanderstead",
        "Selsdon",
        "New Addington",
        "Kenley",
        "Waddon",
        "Broad Green",
        "Crystal Palace",
        "Woodside",
        "Park Hill",
        "Fairfield Halls",
        "Whitgift Centre",
        "Boxpark",
        "Wandle Park",
        "Lloyd Park",
        "Norwood Junction",
        "Thornton Heath Pond",
        "London Road",
        "North End",
        "Wellesley Road",
        "Purley Way",
        "Brighton Road",
        "Mitcham Road",
        "Streatham",
        "Brixton",
        "Peckham",
        "Café Nero Croydon",
        "St. Helier",
    ];

    fn keywords(names: &[&str]) -> Vec<Keyword> {
        names.iter().map(|n| Keyword::parse(n).unwrap()).collect()
    }

    fn spec<'a>(kws: &'a [Keyword], excl: &'a [Keyword], langs: &'a [String]) -> PackSpec<'a> {
        PackSpec {
            keywords: kws,
            exclusions: excl,
            languages: langs,
            exclude_author: Some("@CroydonCouncil"),
            exclude_mention: None,
            max_len: 512,
        }
    }

    /// The lower bound over the keywords that must be searched.
    fn lower_bound(spec: &PackSpec<'_>) -> usize {
        let overhead = suffix_overhead(&suffix(spec));
        let cover = coverage(spec.keywords);
        let total: usize = spec
            .keywords
            .iter()
            .enumerate()
            .filter(|(i, _)| cover[*i] == *i)
            .map(|(_, k)| k.to_query_term().chars().count() + 4)
            .sum();
        total.div_ceil(capacity(spec.max_len, overhead))
    }

    /// Every keyword exactly once, searched or covered by a searched one of the
    /// same query; every query parses and fits.
    fn assert_sound(spec: &PackSpec<'_>, packed: &[PackedQuery]) {
        let mut seen = vec![0; spec.keywords.len()];
        for q in packed {
            assert!(q.text.chars().count() <= spec.max_len, "{}", q.text);
            parse(&q.text, spec.max_len).unwrap();
            for i in &q.keywords {
                seen[*i] += 1;
                assert!(q.text.contains(&spec.keywords[*i].to_query_term()));
            }
            for i in &q.covered {
                seen[*i] += 1;
                assert!(
                    q.keywords
                        .iter()
                        .any(|&j| spec.keywords[*i].is_covered_by(&spec.keywords[j]))
                );
            }
        }
        assert!(seen.iter().all(|n| *n == 1), "{seen:?}");
    }

    #[test]
    fn suffix_has_exclusions_author_retweets_and_languages() {
        let excl = keywords(&["Croydon Athletic", "crime"]);
        let langs = vec!["en".to_string(), "cy".to_string()];
        let kws = keywords(&["Croydon"]);
        assert_eq!(
            suffix(&spec(&kws, &excl, &langs)),
            "-\"Croydon Athletic\" -crime -from:CroydonCouncil -is:retweet (lang:en OR lang:cy)"
        );
        let one = vec!["en".to_string()];
        let packed = pack(&spec(&kws, &[], &one)).unwrap();
        assert_eq!(
            packed[0].text,
            "Croydon -from:CroydonCouncil -is:retweet lang:en"
        );
        assert_eq!(packed[0].keywords, [0]);
    }

    #[test]
    fn london_at_512_reaches_the_lower_bound() {
        let kws = keywords(LONDON);
        let excl = keywords(&["Croydon Athletic"]);
        let langs = vec!["en".to_string(), "cy".to_string()];
        let spec = spec(&kws, &excl, &langs);
        let packed = pack(&spec).unwrap();
        assert_sound(&spec, &packed);
        assert_eq!(packed.len(), lower_bound(&spec));
        assert_eq!(packed.len(), 2);
        assert_eq!(pack(&spec).unwrap(), packed, "deterministic");
    }

    #[test]
    fn london_at_4096_is_one_query() {
        let kws = keywords(LONDON);
        let langs = vec!["en".to_string()];
        let spec = PackSpec {
            max_len: 4096,
            ..spec(&kws, &[], &langs)
        };
        let packed = pack(&spec).unwrap();
        assert_sound(&spec, &packed);
        assert_eq!(packed.len(), 1);
        assert!(
            packed[0]
                .text
                .starts_with("(Croydon OR Purley OR Coulsdon OR "),
            "{}",
            packed[0].text
        );
    }

    #[test]
    fn many_names_at_several_limits_reach_the_lower_bound() {
        let names: Vec<String> = (0..150)
            .map(|i| {
                format!(
                    "{} {}",
                    LONDON[i % LONDON.len()],
                    ["Road", "Street", "Lane", "Park"][i % 4]
                )
            })
            .chain((0..30).map(|i| format!("Place{i}")))
            .collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let kws = keywords(&refs);
        let langs = vec!["en".to_string()];
        for max_len in [256, 512, 1024, 4096] {
            let spec = PackSpec {
                max_len,
                ..spec(&kws, &[], &langs)
            };
            let packed = pack(&spec).unwrap();
            assert_sound(&spec, &packed);
            assert_eq!(packed.len(), lower_bound(&spec), "max_len {max_len}");
        }
    }

    #[test]
    fn places_another_place_covers_are_left_out_of_the_search() {
        let kws = keywords(&[
            "Croydon",
            "East Croydon",
            "Thornton Heath Pond",
            "Thornton Heath",
            "Purley",
            "#croydon",
            "Purley Way",
            "Croydonian",
        ]);
        assert_eq!(coverage(&kws), [0, 0, 3, 3, 4, 0, 4, 7]);
        // A limit that forces several queries: coverage crosses query lines.
        let spec = PackSpec {
            max_len: 60,
            ..spec(&kws, &[], &[])
        };
        let packed = pack(&spec).unwrap();
        assert_sound(&spec, &packed);
        let searched: Vec<usize> = packed.iter().flat_map(|q| q.keywords.clone()).collect();
        assert_eq!(searched.len(), 4, "{packed:?}");
        for q in &packed {
            assert!(!q.text.contains("East Croydon") && !q.text.contains("Pond"));
        }
        // Whatever any place name matches (with the common suffix), some query
        // matches, and no post matches two queries through covered names.
        let posts = [
            "Delays at East Croydon again",
            "Thornton Heath Pond is frozen",
            "The Purley Way retail park",
            "#Croydon at night",
            "Croydonian pride",
            "nothing to see",
        ];
        for post in posts {
            let text = super::super::TextIndex::new(post);
            let doc = super::super::Document::new(&text, "someone");
            let any_place = kws.iter().any(|k| k.matches(&text));
            let hits = packed
                .iter()
                .filter(|q| parse(&q.text, 512).unwrap().matches(&doc))
                .count();
            assert_eq!(any_place, hits > 0, "{post}");
            assert!(hits <= 1, "{post} matched {hits} queries");
        }
    }

    #[test]
    fn a_keyword_that_cannot_fit_is_an_error() {
        let kws = keywords(&["Croydon", &"x".repeat(120)]);
        let spec = PackSpec {
            max_len: 100,
            ..spec(&kws, &[], &[])
        };
        let err = pack(&spec).unwrap_err();
        assert!(
            matches!(err, PackError::KeywordTooLong { needed, max: 100, .. } if needed == 120 + 33)
        );
    }

    #[test]
    fn a_keyword_that_fits_only_alone_gets_its_own_query() {
        // 40-char term + " -is:retweet" = 52; in a group it would need 54.
        let long = "y".repeat(40);
        let kws = keywords(&[&long, "a", "b"]);
        let spec = PackSpec {
            keywords: &kws,
            exclusions: &[],
            languages: &[],
            exclude_author: None,
            exclude_mention: None,
            max_len: 52,
        };
        let packed = pack(&spec).unwrap();
        assert_sound(&spec, &packed);
        assert_eq!(packed[0].text, format!("{long} -is:retweet"));
        assert_eq!(packed[1].text, "(a OR b) -is:retweet");
    }

    #[test]
    fn bad_language_codes_and_authors_are_reported() {
        let kws = keywords(&["Croydon"]);
        let langs = vec!["en cy".to_string()];
        assert_eq!(
            pack(&spec(&kws, &[], &langs)),
            Err(PackError::InvalidLanguage("en cy".into()))
        );
        assert_eq!(pack(&spec(&[], &[], &langs)), Ok(Vec::new()));
        let bad_author = PackSpec {
            exclude_author: Some("Croydon Council"),
            exclude_mention: None,
            ..spec(&kws, &[], &[])
        };
        assert_eq!(
            pack(&bad_author),
            Err(PackError::InvalidAuthor("Croydon Council".into()))
        );
    }
}
