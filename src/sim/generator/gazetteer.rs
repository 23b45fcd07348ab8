//! The borough's gazetteer and everyday vocabulary: streets, landmarks,
//! stations, tram stops, bus routes, lost things, pets, days, teams, emoji.
//!
//! These are Croydon's; the configured place names come from the caller.

/// Streets of the borough.
pub(super) const STREETS: &[&str] = &[
    "North End",
    "London Road",
    "George Street",
    "Church Street",
    "High Street",
    "Brighton Road",
    "Wellesley Road",
    "Park Lane",
    "Lower Addiscombe Road",
    "Selhurst Road",
    "Whitehorse Road",
    "Brigstock Road",
    "Portland Road",
    "Station Road",
    "Mitcham Road",
    "Thornton Road",
    "Lansdowne Road",
    "Dingwall Road",
    "Cherry Orchard Road",
    "Chipstead Valley Road",
    "Limpsfield Road",
    "Shirley Road",
    "Wickham Road",
    "Sydenham Road",
    "Windmill Road",
    "Tamworth Road",
    "Morland Road",
    "Godstone Road",
    "Stanley Road",
    "Parchmore Road",
    "Bensham Lane",
    "Addington Road",
    "Coombe Road",
    "Canterbury Road",
    "St James's Road",
    "Beulah Hill",
];

/// Parks, buildings and other landmarks.
pub(super) const LANDMARKS: &[&str] = &[
    "the Whitgift Centre",
    "Centrale",
    "Boxpark",
    "Fairfield Halls",
    "Surrey Street Market",
    "Lloyd Park",
    "Wandle Park",
    "Park Hill Park",
    "the Minster",
    "Queen's Gardens",
    "Addington Hills",
    "South Norwood Lake",
    "Norbury Park",
    "Ashburton Park",
    "the Clocktower",
    "Thornton Heath Pond",
    "Selhurst Park",
    "Grangewood Park",
    "Coulsdon Common",
    "the library",
];

/// Railway stations.
pub(super) const STATIONS: &[&str] = &[
    "East Croydon",
    "West Croydon",
    "South Croydon",
    "Norwood Junction",
    "Thornton Heath",
    "Selhurst",
    "Norbury",
    "Purley",
    "Purley Oaks",
    "Sanderstead",
    "Coulsdon South",
    "Coulsdon Town",
    "Waddon",
    "Kenley",
];

/// Tram stops.
pub(super) const TRAM_STOPS: &[&str] = &[
    "East Croydon",
    "West Croydon",
    "Wellesley Road",
    "George Street",
    "Church Street",
    "Centrale",
    "Reeves Corner",
    "Sandilands",
    "Lloyd Park",
    "Addington Village",
    "Fieldway",
    "King Henry's Drive",
    "New Addington",
    "Wandle Park",
    "Waddon Marsh",
    "Ampere Way",
    "Therapia Lane",
    "Mitcham Junction",
    "Wimbledon",
    "Elmers End",
    "Beckenham Junction",
    "Addiscombe",
    "Woodside",
    "Arena",
];

/// Bus routes.
pub(super) const BUSES: &[&str] = &[
    "50", "60", "64", "75", "109", "119", "130", "154", "157", "166", "194", "197", "198", "250",
    "264", "289", "312", "403", "405", "407", "410", "412", "433", "450", "466", "468", "X26",
];

/// Things people lose.
pub(super) const ITEMS: &[&str] = &[
    "cardigan",
    "umbrella",
    "black rucksack",
    "AirPods case",
    "Oyster card wallet",
    "son's teddy bear",
    "reading glasses",
    "laptop bag",
    "grey scarf",
    "phone",
    "house keys",
    "purse",
    "school blazer",
    "denim jacket",
    "hearing aid",
    "work lanyard",
    "blue water bottle",
    "kindle",
    "leather gloves",
    "bike helmet",
];

/// Names of lost pets.
pub(super) const PETS: &[&str] = &[
    "Biscuit", "Luna", "Alfie", "Bella", "Milo", "Poppy", "Tiger", "Coco", "Simba", "Daisy",
];

pub(super) const DAYS: &[&str] = &[
    "Saturday",
    "Sunday",
    "Friday night",
    "this Saturday",
    "next Sunday",
    "bank holiday Monday",
    "Saturday 14th",
    "Sunday afternoon",
];

pub(super) const TEAMS: &[&str] = &[
    "Palace",
    "Arsenal",
    "Chelsea",
    "Spurs",
    "Liverpool",
    "Man United",
    "West Ham",
    "Brentford",
    "Fulham",
    "England",
];

/// Everyday emoji; some are ZWJ sequences, as real ones are.
pub(super) const EMOJI: &[&str] = &[
    "😡",
    "🙄",
    "😤",
    "🤬",
    "😂",
    "🤣",
    "🙏",
    "👏",
    "🙌",
    "❤️",
    "💔",
    "🌳",
    "☀️",
    "🌧️",
    "🚮",
    "🗑️",
    "🚧",
    "🚋",
    "🚌",
    "🚆",
    "🐀",
    "💩",
    "👀",
    "🤦‍♀️",
    "🤷‍♂️",
    "🫠",
    "🔥",
    "✨",
    "🎉",
    "😭",
    "👍",
    "😩",
    "💪",
    "🥲",
];

/// Emoji for grumbles.
pub(super) const GRUMPY: &[&str] = &[
    "😡",
    "🙄",
    "😤",
    "🤬",
    "💔",
    "🌧️",
    "🚮",
    "🗑️",
    "🚧",
    "🐀",
    "💩",
    "👀",
    "🤦‍♀️",
    "🤦🏾‍♂️",
    "🤷‍♂️",
    "🫠",
    "😭",
    "😩",
    "🥲",
    "🙃",
];

/// Emoji for good news.
pub(super) const HAPPY: &[&str] = &[
    "😂", "🙏", "👏", "🙌", "❤️", "🌳", "☀️", "🔥", "✨", "🎉", "👍", "💪", "🥰", "💚", "👏🏽",
];
