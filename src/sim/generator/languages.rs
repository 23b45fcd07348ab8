//! Posts not in English, and posts that name the place in another sense.
//!
//! The Welsh and community-language sentences are real, everyday sentences
//! (with their BCP 47 codes); the false friends are the other Croydons
//! (Victoria and NSW in Australia, Bucks County in Pennsylvania), people and
//! pets called Croydon, and the "Croydon facelift".

/// Real Welsh sentences (`cy`).
pub(super) const WELSH: &[&str] = &[
    "Bore da o {place}! Mae hi'n braf heddiw ☀️",
    "Dw i wedi byw yn {place} ers deng mlynedd ond dw i'n dal i golli Cymru.",
    "Oes unrhyw un yn gwybod am gôr Cymraeg yn {place}?",
    "Mae'r trên o {station} yn hwyr eto, a dw i'n sownd yn {place}. Diolch, Southern 🙄",
    "Gêm rygbi yn y dafarn yn {place} heno. Dewch i gefnogi Cymru! 🏴󠁧󠁢󠁷󠁬󠁳󠁿",
    "Hiraeth am y mynyddoedd, ond mae'r parc yn {place} yn ddigon da am heddiw.",
    "Dydd Gŵyl Dewi hapus i bawb yn {place}! 🌼",
    "Mae'r biniau heb eu casglu eto ar ein stryd ni yn {place}.",
    "Ble mae'r siop goffi orau yn {place}? Dw i angen paned.",
    "Diolch yn fawr i'r gyrrwr bws caredig yn {place} heddiw.",
    "Mae hi'n bwrw glaw yn {place} eto. Syndod mawr.",
    "Newydd symud i {place} o Abertawe. Unrhyw gyngor?",
];

/// A community language: its BCP 47 code and real sentences in it.
pub(super) struct Language {
    pub code: &'static str,
    /// Relative share of community-language posts.
    pub weight: u32,
    pub templates: &'static [&'static str],
}

/// Croydon's larger communities' languages.
pub(super) const OTHER: &[Language] = &[
    Language {
        code: "pl",
        weight: 25,
        templates: &[
            "Czy ktoś wie, gdzie w {place} kupić polski chleb? 🍞",
            "Znowu nie odebrali śmieci na naszej ulicy w {place}. Masakra.",
            "Tramwaj z {tram_stop} znowu spóźniony. Typowe. {#place}",
            "Piękny dzień w {place}! Idziemy z dziećmi do parku ☀️",
            "Szukam polskiego fryzjera w okolicy {place}, polecacie kogoś?",
        ],
    },
    Language {
        code: "ro",
        weight: 12,
        templates: &[
            "Știe cineva un magazin românesc bun în {place}?",
            "Iar n-au ridicat gunoiul în {place}. Incredibil.",
            "Ce zi frumoasă în {place} astăzi! ☀️",
        ],
    },
    Language {
        code: "pt",
        weight: 12,
        templates: &[
            "Alguém sabe de um bom restaurante português em {place}?",
            "Mais um dia de chuva em {place}... saudades do sol 🌧️",
            "O autocarro {bus} em {place} atrasado outra vez.",
        ],
    },
    Language {
        code: "es",
        weight: 5,
        templates: &[
            "¿Alguien sabe dónde comprar productos latinos en {place}?",
            "Otra vez obras en la carretera en {place}, un caos total 🚧",
            "¡Qué bonito está el parque en {place} hoy!",
        ],
    },
    Language {
        code: "fr",
        weight: 5,
        templates: &[
            "Quelqu'un connaît un bon coiffeur à {place} ?",
            "Encore des travaux sur la route à {place}, c'est pénible.",
        ],
    },
    Language {
        code: "ur",
        weight: 18,
        templates: &[
            "آج {place} میں بہت بارش ہو رہی ہے",
            "کیا کوئی جانتا ہے کہ {place} میں اچھی حلال دکان کہاں ہے؟",
            "عید مبارک {place}! 🌙",
        ],
    },
    Language {
        code: "zh",
        weight: 8,
        templates: &[
            "今天{place}的天气真好！☀️",
            "有人知道{place}哪里有好吃的中餐馆吗？",
            "{place}的电车又晚点了，真烦人。",
        ],
    },
    Language {
        code: "ta",
        weight: 15,
        templates: &[
            "இன்று {place} இல் நல்ல வானிலை ☀️",
            "{place} இல் நல்ல தமிழ் கடை எங்கே இருக்கிறது?",
            "பொங்கல் வாழ்த்துக்கள் {place}! 🎉",
        ],
    },
];

/// Who plausibly writes a false-friend post.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Region {
    Australia,
    America,
    /// Anyone, including residents of the borough.
    Anywhere,
}

/// `{ff}` is the borough's own name used in another sense.
pub(super) const FALSE_FRIENDS: &[(Region, &str)] = &[
    (
        Region::Australia,
        "Morning walk along Dandenong Creek in {ff}, Victoria 🦘 magpies are swooping already",
    ),
    (
        Region::Australia,
        "{ff} station (the Melbourne one!) closed this weekend for level crossing works. Buses replace trains to Lilydale.",
    ),
    (
        Region::Australia,
        "Anyone know a good vet in {ff} Hills? Moving from Ringwood next month #Melbourne",
    ),
    (
        Region::Australia,
        "Footy training at {ff} Park oval cancelled tonight, ground's waterlogged",
    ),
    (
        Region::Australia,
        "Best dumplings in the eastern suburbs are at {ff} Central, fight me",
    ),
    (
        Region::Australia,
        "{ff} NSW cafe strip is so underrated. Inner west gem ☕ #Sydney",
    ),
    (
        Region::Australia,
        "Traffic on Parramatta Rd near {ff} Park is a nightmare again #sydtraffic",
    ),
    (
        Region::Australia,
        "Accident on Maroondah Hwy at {ff}, avoid if heading into Melbourne this arvo",
    ),
    (
        Region::America,
        "{ff}, PA: Bristol Pike closed both directions after a crash. Bucks County drivers, detour via Route 13.",
    ),
    (
        Region::America,
        "{ff} fire company pancake breakfast Saturday! Bensalem folks welcome 🥞",
    ),
    (
        Region::America,
        "SEPTA Trenton line delayed at {ff} again. Some things are the same everywhere lol",
    ),
    (
        Region::America,
        "Property taxes in Bristol Township are wild. {ff} PA folks, what are you paying?",
    ),
    (
        Region::Anywhere,
        "Happy 5th birthday to our little {ff}! 🎂🎈 Yes, we named him after the town where we met.",
    ),
    (
        Region::Anywhere,
        "My dog {ff} just ate an entire sock. Vet bill incoming 🐶",
    ),
    (
        Region::Anywhere,
        "Scraped my hair back into a {ff} facelift for the school run, no shame",
    ),
    (
        Region::Anywhere,
        "Nothing says Monday like a {ff} facelift and a cold coffee",
    ),
    (
        Region::Anywhere,
        "Reading a novel where the villain is called Mr {ff}. Feels personal.",
    ),
];
