//! The packer: fits many place names into as few queries as the length limit allows.
//!
//! Every query is `(k1 OR "k 2" OR #k2 OR k3) <suffix>` (a lone term drops the
//! parentheses) where the suffix is `-exclusion`… `-from:<author>` `-is:retweet` and the
//! language filter (`lang:en`, or `(lang:en OR lang:cy)` for several). With a group of
//! terms in front, every suffix part is AND-ed to a standalone term, so X accepts the
//! query.
//!
//! Hashtags count as place names. A one-word place's keyword finds its hashtag (`Croydon`
//! finds `#Croydon`); a place of several words is searched as its phrase and its hashtag
//! form ([`Keyword::hashtag_term`]: `"Thornton Heath" OR #ThorntonHeath`), each a term
//! with its cost.
//!
//! Packing is bin packing (see `binpack`): a term of `n` characters costs `n + 4` (its
//! ` OR `) and a query holds `max_len + 2 - (suffix + 1)` of cost (the two parentheses
//! stand in for one ` OR `). The items packed are groups of terms: a place's phrase, its
//! hashtag form, and the hashtag forms of the places it covers (below), so that a post
//! naming a place both ways, or `East Croydon` and `#EastCroydon`, matches one query and
//! is read (and billed) once. Only a group too long for a query on its own is split into
//! its terms. Place names are small against the limit, so the packing reaches the lower
//! bound `ceil(total cost / capacity)` on realistic inputs. All of it is deterministic,
//! and every produced query is re-parsed before it is returned.
//!
//! A place name whose words' matches are a subset of another configured name's (it
//! contains the other as whole words: `East Croydon` and `Croydon`) is left out of the
//! queries: with the suffix common to every query, the other name's query already
//! returns each post with its words, and searching both would read those posts twice
//! when they land in different queries. Its hashtag form is not covered (`#EastCroydon`
//! is one token, which `Croydon` does not match), so it is searched, in the group of the
//! name that covers it. The place still tags posts locally (the tagger matches every
//! configured name); [`PackedQuery::covered`] says which query finds its posts.
//!
//! Exclusions are searched as written (`-"Croydon Park"`), without hashtag forms: a post
//! whose only mention is `#CroydonPark` names no monitored place (`croydonpark` is one
//! token) so it is not fetched anyway, and `-#CroydonPark` in every query would only
//! drop posts that also name a place, at the cost of query length in every query. The
//! tagger's false-friend flag does match `#CroydonPark` (see `triage::flags`).

use std::collections::HashSet;

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
    /// Indices into `PackSpec::keywords` whose words (their query term) are
    /// searched for, ascending.
    pub keywords: Vec<usize>,
    /// Indices of keywords whose words are left out of every query because one
    /// of `keywords` covers them: this query finds the posts with their words.
    /// Ascending.
    pub covered: Vec<usize>,
    /// Indices of keywords whose hashtag form ([`Keyword::hashtag_term`]) this
    /// query searches for, ascending: among `keywords` and `covered`, unless
    /// the limit forced a group apart. A form already searched for another
    /// keyword (the same hashtag, ignoring case and accents) is searched once.
    pub hashtags: Vec<usize>,
}

impl PackedQuery {
    /// Every keyword this query finds posts for: `keywords`, `covered`, then
    /// any in `hashtags` not among them; each once.
    pub fn places(&self) -> Vec<usize> {
        let mut places: Vec<usize> = self.keywords.iter().chain(&self.covered).copied().collect();
        for i in &self.hashtags {
            if !places.contains(i) {
                places.push(*i);
            }
        }
        places
    }
}

/// Why keywords could not be packed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PackError {
    /// One keyword's term (its phrase or its hashtag form) plus the common
    /// suffix is already over the limit.
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

/// One term of a query: a keyword's words (its query term) or its hashtag
/// form. Ordered as they appear in a query: by keyword, words first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Part {
    keyword: usize,
    hashtag: bool,
}

impl Part {
    fn text(&self, keywords: &[Keyword]) -> String {
        let keyword = &keywords[self.keyword];
        match self.hashtag {
            false => keyword.to_query_term(),
            true => keyword.hashtag_term().unwrap_or_default().to_string(),
        }
    }

    /// Characters it adds to a query with its ` OR `.
    fn cost(&self, keywords: &[Keyword]) -> usize {
        self.text(keywords).chars().count() + 4
    }
}

/// The terms to search, grouped: each searched keyword's words and hashtag
/// form with the hashtag forms of the keywords it covers, in keyword order.
/// A hashtag form already in a group (the same folded hashtag) is not
/// repeated.
fn groups(keywords: &[Keyword], cover: &[usize]) -> Vec<Vec<Part>> {
    let mut groups: Vec<Vec<Part>> = Vec::new();
    let mut group_of = vec![usize::MAX; keywords.len()];
    for (i, &c) in cover.iter().enumerate() {
        if c == i {
            group_of[i] = groups.len();
            groups.push(vec![Part {
                keyword: i,
                hashtag: false,
            }]);
        }
    }
    let mut seen: HashSet<&str> = HashSet::new();
    for (i, keyword) in keywords.iter().enumerate() {
        if let Some(tag) = keyword.folded_hashtag()
            && seen.insert(tag)
        {
            groups[group_of[cover[i]]].push(Part {
                keyword: i,
                hashtag: true,
            });
        }
    }
    groups
}

/// The items to bin-pack: the groups, except that a group too long for one
/// query is split into its terms. Errors when one term alone does not fit.
fn items(
    spec: &PackSpec<'_>,
    cover: &[usize],
    overhead: usize,
) -> Result<Vec<Vec<Part>>, PackError> {
    let capacity = capacity(spec.max_len, overhead);
    let mut items = Vec::new();
    for group in groups(spec.keywords, cover) {
        let cost: usize = group.iter().map(|p| p.cost(spec.keywords)).sum();
        if group.len() > 1 && cost > capacity {
            items.extend(group.into_iter().map(|p| vec![p]));
        } else {
            items.push(group);
        }
    }
    for part in items
        .iter()
        .filter(|item| item.len() == 1)
        .map(|item| item[0])
    {
        let needed = part.cost(spec.keywords) - 4 + overhead;
        if needed > spec.max_len {
            return Err(PackError::KeywordTooLong {
                keyword: spec.keywords[part.keyword].as_str().to_string(),
                needed,
                max: spec.max_len,
            });
        }
    }
    Ok(items)
}

/// Packs the keywords into as few queries as possible, each at most `max_len` chars:
/// each keyword's words (unless another keyword covers them, see [`coverage`]) and its
/// hashtag form. Queries come ordered by their first term; terms keep their keywords'
/// configured order, a keyword's words before its hashtag form.
pub fn pack(spec: &PackSpec<'_>) -> Result<Vec<PackedQuery>, PackError> {
    if spec.keywords.is_empty() {
        return Ok(Vec::new());
    }
    validate_suffix_parts(spec)?;
    let suffix = suffix(spec);
    let overhead = suffix_overhead(&suffix);
    let cover = coverage(spec.keywords);
    let items = items(spec, &cover, overhead)?;
    let costs: Vec<usize> = items
        .iter()
        .map(|item| item.iter().map(|p| p.cost(spec.keywords)).sum())
        .collect();
    let mut bins: Vec<Vec<Part>> = bin_pack(&costs, capacity(spec.max_len, overhead))
        .into_iter()
        .map(|bin| bin.into_iter().flat_map(|b| items[b].clone()).collect())
        .collect();
    for bin in &mut bins {
        bin.sort_unstable();
    }
    bins.sort_unstable_by_key(|bin| bin[0]);
    bins.into_iter()
        .map(|parts| packed_query(spec, &cover, &parts, &suffix))
        .collect()
}

fn packed_query(
    spec: &PackSpec<'_>,
    cover: &[usize],
    parts: &[Part],
    suffix: &str,
) -> Result<PackedQuery, PackError> {
    let terms: Vec<String> = parts.iter().map(|p| p.text(spec.keywords)).collect();
    let text = query_text(&terms, suffix);
    let of_kind = |hashtag: bool| -> Vec<usize> {
        parts
            .iter()
            .filter(|p| p.hashtag == hashtag)
            .map(|p| p.keyword)
            .collect()
    };
    let keywords = of_kind(false);
    let covered = (0..cover.len())
        .filter(|&i| cover[i] != i && keywords.contains(&cover[i]))
        .collect();
    match parse(&text, spec.max_len) {
        Ok(_) => Ok(PackedQuery {
            text,
            keywords,
            covered,
            hashtags: of_kind(true),
        }),
        Err(source) => Err(PackError::Invalid {
            query: text,
            source,
        }),
    }
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

fn query_text(terms: &[String], suffix: &str) -> String {
    let mut text = match terms {
        [one] => one.clone(),
        many => format!("({})", many.join(" OR ")),
    };
    if !suffix.is_empty() {
        text.push(' ');
        text.push_str(suffix);
    }
    text
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

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

    /// The lower bound over the terms that must be searched: the words of the
    /// keywords no other covers, and every distinct hashtag form.
    fn lower_bound(spec: &PackSpec<'_>) -> usize {
        let overhead = suffix_overhead(&suffix(spec));
        let cover = coverage(spec.keywords);
        let mut tags = HashSet::new();
        let mut total = 0;
        for (i, k) in spec.keywords.iter().enumerate() {
            if cover[i] == i {
                total += k.to_query_term().chars().count() + 4;
            }
            if let Some(tag) = k.hashtag_term()
                && tags.insert(k.folded_hashtag())
            {
                total += tag.chars().count() + 4;
            }
        }
        total.div_ceil(capacity(spec.max_len, overhead))
    }

    /// True when `term` stands in `text` as a whole term of the group.
    fn has_term(text: &str, term: &str) -> bool {
        text.match_indices(term).any(|(at, _)| {
            let before = text[..at].chars().next_back();
            let after = text[at + term.len()..].chars().next();
            matches!(before, None | Some(' ' | '(')) && matches!(after, None | Some(' ' | ')'))
        })
    }

    /// Every keyword's words exactly once, searched or covered by a searched
    /// one of the same query; every distinct hashtag form searched exactly
    /// once; every query parses and fits.
    fn assert_sound(spec: &PackSpec<'_>, packed: &[PackedQuery]) {
        let mut seen = vec![0; spec.keywords.len()];
        let mut tags: HashMap<&str, usize> = HashMap::new();
        for q in packed {
            assert!(q.text.chars().count() <= spec.max_len, "{}", q.text);
            parse(&q.text, spec.max_len).unwrap();
            for i in &q.keywords {
                seen[*i] += 1;
                assert!(has_term(&q.text, &spec.keywords[*i].to_query_term()));
            }
            for i in &q.covered {
                seen[*i] += 1;
                assert!(
                    q.keywords
                        .iter()
                        .any(|&j| spec.keywords[*i].is_covered_by(&spec.keywords[j]))
                );
            }
            for i in &q.hashtags {
                let k = &spec.keywords[*i];
                *tags.entry(k.folded_hashtag().unwrap()).or_default() += 1;
                assert!(has_term(&q.text, k.hashtag_term().unwrap()), "{}", q.text);
            }
        }
        assert!(seen.iter().all(|n| *n == 1), "{seen:?}");
        for k in spec.keywords {
            if let Some(tag) = k.folded_hashtag() {
                assert_eq!(tags.get(tag), Some(&1), "{k}: {packed:?}");
            }
        }
    }

    /// Each hashtag form sits in the query of the keyword whose words find
    /// its own or, covered, the coverer's: no group was split.
    fn assert_grouped(spec: &PackSpec<'_>, packed: &[PackedQuery]) {
        let cover = coverage(spec.keywords);
        for q in packed {
            assert!(q.hashtags.iter().all(|&i| q.keywords.contains(&cover[i])));
        }
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
        assert_grouped(&spec, &packed);
        assert_eq!(packed.len(), lower_bound(&spec));
        assert_eq!(packed.len(), 3, "two without the hashtag forms");
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
            packed[0].text.starts_with(
                "(Croydon OR #EastCroydon OR #WestCroydon OR #SouthCroydon OR Purley OR Coulsdon OR \"Thornton Heath\" OR #ThorntonHeath OR "
            ),
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
        // A limit that forces several queries: coverage crosses query lines,
        // and the Thornton Heath group (its words and hashtag form, and the
        // hashtag form of Thornton Heath Pond: 60 of the 50 a query holds) is
        // split into its terms.
        let spec = PackSpec {
            max_len: 60,
            ..spec(&kws, &[], &[])
        };
        let packed = pack(&spec).unwrap();
        assert_sound(&spec, &packed);
        let searched: Vec<usize> = packed.iter().flat_map(|q| q.keywords.clone()).collect();
        assert_eq!(searched.len(), 4, "{packed:?}");
        for q in &packed {
            assert!(!q.text.contains("\"East Croydon\"") && !q.text.contains("Pond\""));
        }
        // Whatever any place name matches (with the common suffix), some query
        // matches, and no post matches two queries through covered names.
        let posts = [
            "Delays at East Croydon again",
            "Thornton Heath Pond is frozen",
            "The Purley Way retail park",
            "#Croydon at night",
            "Croydonian pride",
            "#EastCroydon delays",
            "frozen #thorntonheathpond",
            "#PurleyWay traffic",
            "East Croydon delays #EastCroydon",
            "#CroydonPark at sunset",
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

    /// Does any of the packed queries match `post`?
    fn found(packed: &[PackedQuery], post: &str) -> usize {
        let text = super::super::TextIndex::new(post);
        let doc = super::super::Document::new(&text, "someone");
        packed
            .iter()
            .filter(|q| parse(&q.text, 4096).unwrap().matches(&doc))
            .count()
    }

    #[test]
    fn places_of_several_words_are_searched_with_their_hashtag_form() {
        let kws = keywords(&[
            "Croydon",
            "East Croydon",
            "Thornton Heath",
            "Thornton Heath Pond",
            "Purley",
            "St. Helier",
            "Café Nero",
            "Cafe Nero",
        ]);
        let excl = keywords(&["Croydon Park"]);
        let spec = spec(&kws, &excl, &[]);
        let packed = pack(&spec).unwrap();
        assert_sound(&spec, &packed);
        assert_grouped(&spec, &packed);
        // East Croydon's words are covered by Croydon, not its hashtag form,
        // which goes with Croydon; St. Helier has no hashtag form; Cafe Nero
        // is covered by Café Nero, whose hashtag form is the same hashtag.
        assert_eq!(
            packed[0].text,
            "(Croydon OR #EastCroydon OR \"Thornton Heath\" OR #ThorntonHeath OR \
             #ThorntonHeathPond OR Purley OR \"St. Helier\" OR \"Café Nero\" OR #CaféNero) \
             -\"Croydon Park\" -from:CroydonCouncil -is:retweet"
        );
        assert_eq!(packed[0].keywords, [0, 2, 4, 5, 6]);
        assert_eq!(packed[0].covered, [1, 3, 7]);
        assert_eq!(packed[0].hashtags, [1, 2, 3, 6]);
        assert_eq!(packed[0].places(), [0, 2, 4, 5, 6, 1, 3, 7]);
        for post in [
            "pond frozen #ThorntonHeath",
            "#thorntonheathpond",
            "#EastCroydon delays",
            "#Croydon is lovely",
            "#cafenero queue",
        ] {
            assert_eq!(found(&packed, post), 1, "{post}");
        }
        // Not searched: the hashtags of a place with punctuation and of an
        // exclusion (which names no monitored place).
        for post in ["#StHelier", "#CroydonPark at sunset"] {
            assert_eq!(found(&packed, post), 0, "{post}");
        }
        // A hashtag does not escape an exclusion written out.
        assert_eq!(found(&packed, "#ThorntonHeath to Croydon Park"), 0);
    }

    #[test]
    fn hashtag_forms_count_in_the_length_budget() {
        let kws = keywords(&["Thornton Heath", "Purley"]);
        let at = |max_len, grouped| {
            let spec = PackSpec {
                keywords: &kws,
                exclusions: &[],
                languages: &[],
                exclude_author: None,
                exclude_mention: None,
                max_len,
            };
            let packed = pack(&spec).unwrap();
            assert_sound(&spec, &packed);
            if grouped {
                assert_grouped(&spec, &packed);
            }
            assert_eq!(packed.len(), lower_bound(&spec), "max_len {max_len}");
            packed.into_iter().map(|q| q.text).collect::<Vec<_>>()
        };
        let one = "(\"Thornton Heath\" OR #ThorntonHeath OR Purley) -is:retweet";
        assert_eq!(one.chars().count(), 58);
        assert_eq!(at(58, true), [one]);
        assert_eq!(
            at(57, true),
            [
                "(\"Thornton Heath\" OR #ThorntonHeath) -is:retweet",
                "Purley -is:retweet"
            ]
        );
        // Too short for the place's two terms together: they are packed apart.
        assert_eq!(
            at(40, false),
            [
                "(\"Thornton Heath\" OR Purley) -is:retweet",
                "#ThorntonHeath -is:retweet"
            ]
        );
        let spec = PackSpec {
            keywords: &kws,
            exclusions: &[],
            languages: &[],
            exclude_author: None,
            exclude_mention: None,
            max_len: 40,
        };
        let split = pack(&spec).unwrap();
        assert_eq!(
            (split[1].keywords.len(), split[1].hashtags.as_slice()),
            (0, &[0][..])
        );
        assert_eq!(split[1].places(), [0]);
        assert!(matches!(
            pack(&PackSpec {
                max_len: 25,
                ..spec
            }),
            Err(PackError::KeywordTooLong { needed: 28, .. })
        ));
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
