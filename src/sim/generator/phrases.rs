//! English post templates, one table per kind of post.
//!
//! Slots are filled by [`super::render::Writer`]. Every template of a kind
//! that is *about* the area names a place (`{place}`, `{place's}`, `{#place}`
//! `{at}` or a station such as East Croydon); noise never does.

use super::PostKind;

/// Litter, fly-tipping, bins, potholes, noise, lights, graffiti, parking, …
pub(super) const COMPLAINT: &[&str] = &[
    // litter
    "The litter on {street} is disgusting. Overflowing bins and chicken boxes everywhere {emoji} {at}",
    "Why is {place} town centre always covered in rubbish on a Monday morning?",
    "Another Saturday picking up cans and crisp packets outside {landmark}. {place} deserves better.",
    "Walked through {place} today and honestly the state of the pavements. Bags of rubbish split open all down {street}",
    // fly-tipping
    "Fly-tipping on {street} AGAIN. Sofa, two mattresses and what looks like a fridge. {place} {emoji}",
    "Someone's dumped a whole kitchen in the alley behind {street}, {place}. Reported it 3 weeks ago, still there.",
    "The fly-tipping in {place} is out of control. Builders' rubble blocking the pavement on {street}.",
    "There is a mattress on {street} that has been there so long it should be on the electoral roll. #flytipping {#place}",
    "Caught someone fly-tipping from a white van on {street} in broad daylight. {place} is lawless",
    // bins
    "Bins not collected on {street} for the second week running. {place} this is ridiculous.",
    "Recycling missed again in {place}. Food caddy is now a biohazard 🤢",
    "Green bin day came and went. Nobody came. Again. {#place}",
    "When are the bins actually going to be collected in {place}? It's been {n} days.",
    "Bin men took the black bins but left all the recycling on {street}. Make it make sense. {at}",
    // potholes
    "Pothole on {street} in {place} is now basically a pond. Nearly lost a wheel {emoji}",
    "Cycled into a pothole on {street} this morning. {place's} roads are a disgrace.",
    "Reported the pothole outside no. {nn} {street} in March. It's now a crater. {#place}",
    "Drove down {street} and my fillings came out. {place} potholes are something else",
    // noise
    "Loud music from a flat on {street} until 4am again. Some of us work, {place}.",
    "Drilling at 7am on a Sunday in {place}. Who approves these hours?",
    "Car meets on Purley Way every Friday night, you can hear the engines all the way over in {place}.",
    "Fireworks going off every night for a fortnight in {place}. The dog is a wreck {emoji}",
    // street lights
    "Street light out on {street} for a month now. Pitch black walking home from {station}. Not safe. {at}",
    "Half the street lights in {place} seem to be off. Is this a cost-cutting thing?",
    "The lights in the underpass near {landmark} have been broken since summer. Nobody walks through there after dark. {at}",
    // graffiti
    "Fresh graffiti all over the underpass near {landmark}. {place} looking grim.",
    "Tags sprayed on every shop shutter on {street} overnight. Gutted for the shop owners. {#place}",
    // parking
    "Someone's parked across my driveway on {street} again. Parking in {place} is a free-for-all.",
    "£{price} parking ticket in {place} for being 3 minutes over. Daylight robbery.",
    "Cars parked on the pavement all along {street}, {place}. Had to push the buggy into the road.",
    "Traffic wardens all over {street} but nobody ever tickets the van parked on the zigzags outside the school. {at}",
    // everything else
    "Dog mess all along the path in {landmark}. {place} dog owners, pick it up please!",
    "Overgrown hedge on {street} means you have to walk in the road. Wheelchair users can't get past. {at}",
    "Drain blocked on {street} again, whole road flooded after 10 mins of rain. {#place}",
    "Rats. Everywhere. {street}, {place}. It's the overflowing bins.",
    "Why does it take 6 weeks to fix a broken bench in {landmark}? {place} you're killing me",
    "Trees on {street} haven't been cut back in years and now they're blocking the street lights. {at}",
];

/// Thanks and pride.
pub(super) const PRAISE: &[&str] = &[
    "Shout out to the bin crew on {street} today, absolute legends 🙌 {at}",
    "{landmark} looking gorgeous this morning. {place} isn't all bad you know ❤️",
    "Pothole on {street} finally fixed! Credit where it's due {place} 👏",
    "Lovely afternoon at {landmark}. Proud to live in {place} 🌳",
    "The new street lights on {street} are a massive improvement. Thank you {place}!",
    "Volunteers did an amazing litter pick in {place} this morning. {n} bags collected! {#place}",
    "Boxpark on a sunny Friday, can't beat it. Love {place} ☀️🍻",
    "Fairfield Halls is back and it's brilliant. Saw a fantastic show last night. {#place}",
    "The library staff in {place} are so helpful. Massively underrated service.",
    "Whoever planted the flowers along {street}, thank you. Made my day 🌷 {at}",
    "{landmark} at sunset. Genuinely beautiful. {#place}",
    "Graffiti on {street} cleaned off within 48 hours of reporting. Impressed, {place}.",
    "Best jerk chicken in London is in {place}, not even up for debate 🔥",
    "Reported fly-tipping on the app Monday, gone by Wednesday. Nice one {place} 👍",
    "People slag off {place} but my neighbours on {street} are the best. Brought soup round when I was ill ❤️",
    "Surrey Street Market on a Saturday morning is one of the best things about {place}",
];

/// Lost and found.
pub(super) const LOST_PROPERTY: &[&str] = &[
    "Left my {item} on the tram at {tram_stop}. {place} people, if you see it please DM! 🙏",
    "LOST: {item} somewhere between {station} and {street}, {place}. Reward offered.",
    "Found a {item} on {street} this morning. Handed it in at {landmark}. {#place}",
    "Has anyone found a {item}? Think I dropped it on the {bus} bus through {place} yesterday.",
    "Lost dog! Small brown terrier called {pet}, last seen in {landmark}, {place}. Please RT 🐕",
    "Missing cat in {place}: ginger tom called {pet}, very friendly, answers to treats. Near {street}.",
    "Left my {item} on the train at {station}. Southern lost property is a black hole. {at}",
    "Does anyone in {place} recognise these keys? Found on {street} with a blue fob.",
    "My daughter left her {item} in {landmark} on Saturday. Long shot but anyone? {#place}",
    "Lost a gold earring somewhere in {place} town centre, sentimental value, it was my mum's 💔",
    "Wallet lost on the {bus} between {place} and {street}. Cards cancelled but the photos matter.",
    "If anyone found a {item} at {station} this morning, it's mine! {at}",
    "left my {item} on the tram at East Croydon, please tell me someone handed it in",
];

/// Trains, trams, buses, roads.
pub(super) const TRANSPORT: &[&str] = &[
    "Southern delays at {station} again. {n} minutes late and counting. {#place}",
    "Thameslink cancelled from {station}. Standing room only on the next one 🙃 {at}",
    "Trams not running between {tram_stop} and {tram_stop2}. Rail replacement bus chaos in {place}",
    "The {bus} is a myth. Waited {n} mins on {street}, {place}.",
    "Shout out to the {bus} driver who waited for me in {place}. Still decent people about.",
    "Signalling failure at {station} means no trains to Victoria or London Bridge. Great start to the week, {place}.",
    "Why is the tram from {tram_stop} to Wimbledon always rammed? {place} needs more trams.",
    "Platform 4 at East Croydon is a wind tunnel. November in {place}, lovely.",
    "Roadworks on {street} have turned a 10 min bus journey into 45. {#place} #traffic",
    "Overground from West Croydon suspended. Anyone know what's happening? {at}",
    "Ticket barriers at {station} all broken, queues out the door. The {place} rail experience 🙄",
    "The cycle lane on {street} ends in a bus stop. Genius design, {place}.",
    "Purley Way gridlocked again, avoid if you can. {place} traffic is 🫠",
    "Trains from {station} to Gatwick cancelled. If you're flying today, leave early ✈️ {#place}",
    "Tram stuck at {tram_stop} for 20 mins, no announcements. {place} Tramlink at its finest",
    "Every single Southern train through {station} this morning was 4 carriages. Sardines. {at}",
    "Night bus home to {place} was an experience. The N109 at 3am is another world",
];

/// What's on.
pub(super) const EVENT: &[&str] = &[
    "Surrey Street Market this Saturday, street food and live music in {place}! 🎶 {#place}",
    "{place} Pride on {day}, see you there 🏳️‍🌈",
    "Free family fun day at {landmark} {day}. Face painting, bouncy castle, the lot. {at}",
    "Car boot sale at {landmark} on {day} morning. {place} bargains await.",
    "Community litter pick in {place} {day} 10am, meet at {landmark}. Gloves provided!",
    "Diwali celebrations in {place} were stunning last night 🪔✨",
    "{place} Mela is back! Food, music and dancing at {landmark} on {day}.",
    "Comedy night at the pub on {street} on {day}, tickets £{n}. Support local {place}!",
    "Fireworks at {landmark} tonight, bring a brolly. {#place} 🎆",
    "Open mic at the library in {place} every Thursday. Come along, it's lovely.",
    "{team} at home {day}, expect {street} to be rammed. {at}",
    "{place} 10k on {day}, roads around {street} closed 8am-1pm.",
    "Christmas lights switch-on in {place} town centre {day} 🎄",
    "Carnival parade through {place} {day}! Steel band starts at {landmark} at noon 🎉",
];

/// Questions to the council or neighbours.
pub(super) const QUESTION: &[&str] = &[
    "Does anyone know when the bulky waste collection runs in {place}?",
    "How do I report a broken street light in {place}? The website keeps timing out.",
    "Is the tip on Purley Way open on bank holidays? {at}",
    "Who do I contact about the abandoned car on {street}, {place}?",
    "When does the consultation on the new {place} low traffic neighbourhood close?",
    "Can anyone tell me if {place} council tax has gone up again this year? Letter says {n}%",
    "Are parking permits for {street} done by the council or TfL? {at}",
    "Is {landmark} open this weekend? Council website says nothing. {at}",
    "Question for {councilname}: why does it take {n} weeks to get a reply to an email?",
    "What's the out of hours number for {place} council? Water pouring out of the road on {street}.",
    "Do {place} libraries still do free printing for job seekers?",
    "How long does a planning application take in {place}? Ours has been 'pending' for {n} weeks.",
    "Anyone know who's responsible for the trees on {street}? Council or housing association? {at}",
];

/// Insults and swearing aimed at the place or the council.
pub(super) const ABUSE: &[&str] = &[
    "{place} is a dump. Always has been, always will be.",
    "Absolute state of {place} town centre. Bloody embarrassing.",
    "{councilname} couldn't organise a piss-up in a brewery",
    "{place's} roads are shit. Pure shit.",
    "The council are a bunch of useless wankers. Fix the bloody roads. {#place}",
    "Twats racing up and down {street} at 2am again. {place} has gone to the dogs.",
    "crap crap crap. {place} is crap. that's the tweet",
    "Paying council tax in {place} for THIS?? Absolute joke, you lot are shit",
    "Whoever dumped that mattress on {street} is a proper twat. {at}",
    "{councilname} bankrupt AGAIN and they still find money for consultants. Bollocks to the lot of you.",
    "Never coming back to {place}, what a shithole",
    "Bloody hell {place}, again?? 🤬",
    "Someone's sprayed WANKERS on the bridge by {station}. Honestly, fair. {at}",
    "Crap service, crap roads, crap council. Welcome to {place} 🙃",
    "{place} council can kiss my arse. 6 weeks for a bin. SIX WEEKS.",
];

/// Addressed to the council's handle, mostly complaints.
pub(super) const MENTIONS_COUNCIL: &[&str] = &[
    "{council} the bins on {street}, {place} haven't been collected for {n} days. Please sort it.",
    "{council} massive pothole on {street}, {place}. Someone will get hurt.",
    "Hey {council}, fly-tipping outside {nn} {street} again. When will it be cleared? {at}",
    "{council} street light outside my house on {street} has been flickering all night, {place}",
    "Thanks {council} for sorting the graffiti on {street} so quickly 👍 {#place}",
    "{council} why is the library in {place} closed on Saturdays now?",
    "{council} any update on the {place} town centre regeneration? It's been years.",
    "Still waiting for a reply to my complaint ref {ref}, {council}. {at}",
    "{council} the crossing on {street} near the school is dangerous. {place} needs a lollipop lady back.",
    "Dear {council}, your missed bin form doesn't work on mobile. {at}",
    "{council} construction on {street} starting at 6am. Is this allowed? {at}",
    "Can {council} explain why {street} was resurfaced last year and dug up again this week? {at}",
    "{council} love the new planters on {street}! More of this in {place} please 🌻",
    "{council} abandoned car on {street}, {place}, no plates, been there {n} weeks.",
    "{council} rats in the communal bins on {street}. {place}. Third time I've reported it.",
    "Is anyone at {council} actually reading these? {place} potholes, {street}, week {n}.",
];

/// Comments on a quoted council post.
pub(super) const QUOTES_COUNCIL: &[&str] = &[
    "Great, now fix the potholes on {street}. {at}",
    "And yet my bins still haven't been collected. {#place}",
    "This is genuinely good news for {place} 👏",
    "Consultation? We all know the decision's already been made. {at}",
    "Any chance this applies to {street} in {place} too?",
    "Would be nice if the council put this much effort into {place} town centre.",
    "Shared with my neighbours in {place}, thanks for the heads up",
    "Who wrote this? 😂 {place} Council comms team never misses",
    "Worth a read if you live in {place}.",
    "Meanwhile the fly-tipping on {street} is still there 🙃 {at}",
];

/// Replies inside a conversation; the @author prefix is added separately.
pub(super) const CONVERSATION: &[&str] = &[
    "Same here, ours weren't collected either 🙄",
    "Reported it weeks ago, nothing happened",
    "This is so true",
    "Have you tried reporting it on {domain}? Worked for me eventually",
    "Not just {place}, it's the same in {place2}",
    "😂😂😂",
    "Couldn't agree more",
    "Which street? I'll keep an eye out",
    "Shared, hope you find it 🙏",
    "That's awful, hope you get it sorted",
    "Honestly it's been like this for years",
    "Nah it's not that bad, {place} has its charms",
    "The {bus} was late for me too",
    "Thank you! Will pass it on",
    "Exactly what I said to my neighbour this morning",
    "Did you ever hear back?",
    "cc {user} you were saying this the other day",
    "Is this near {street}?",
];

/// Council announcements, for retweets of the council's own posts.
pub(super) const COUNCIL_ANNOUNCEMENTS: &[&str] = &[
    "Bin collections across {place} will be one day later than usual this week because of the bank holiday.",
    "Report fly-tipping, potholes and broken street lights in {place} online: https://www.{domain}/report-it",
    "Roadworks on {street}, {place} start Monday for three weeks. Diversions will be signed.",
    "Our libraries in {place} are open late on Thursdays. Come and see us!",
    "Free family fun day at {landmark} this Saturday, 11am to 4pm. See you there, {place}!",
    "Thank you to everyone who joined the {place} litter pick this morning 💚",
];

/// Posts that name no place at all.
pub(super) const NOISE: &[&str] = &[
    "Raining again. Of course it is. ☔",
    "What a match! Can't believe that last-minute winner ⚽",
    "Monday mornings should be illegal",
    "Just made the best banana bread of my life 🍌🍞",
    "Anyone else's Wi-Fi down or just me?",
    "Sunny for once! Barbecue time ☀️🔥",
    "VAR is ruining football. That was never a penalty.",
    "{n} days until payday. Pasta it is.",
    "Finished the whole series in one weekend. No regrets 📺",
    "Why does the boiler always break in the coldest week of the year",
    "Gym at 6am done 💪 now for coffee",
    "Is it cold enough for a coat today? British weather is unhinged",
    "Kids finally asleep. Wine o'clock 🍷",
    "{team} were robbed today. Robbed.",
    "New trainers, who dis 👟",
    "Frost on the car this morning. Scraping windows at 7am is not the vibe ❄️",
    "{team} fans very quiet today 🤫",
    "Bake Off tonight, no spoilers please",
    "Heatwave warning and I'm working from a loft conversion. Pray for me {emoji}",
    "Someone explain the offside rule to me one more time",
];

/// Topical hashtags people add to a post of `kind`.
pub(super) fn topic_tags(kind: PostKind) -> &'static [&'static str] {
    match kind {
        PostKind::Transport => &[
            "#Southern",
            "#Thameslink",
            "#trams",
            "#TfL",
            "#commute",
            "#London",
        ],
        PostKind::LostProperty => &["#LostAndFound", "#PleaseRT", "#lost", "#RT"],
        PostKind::Event => &[
            "#WhatsOn",
            "#community",
            "#weekend",
            "#SouthLondon",
            "#London",
        ],
        PostKind::Praise => &["#ShopLocal", "#community", "#LoveLondon", "#SouthLondon"],
        PostKind::Question => &["#help", "#councilTax", "#CR0", "#AskingForAFriend"],
        PostKind::Abuse | PostKind::QuotesCouncil => &["#SortItOut", "#councilTax", "#CR0"],
        _ => &[
            "#flytipping",
            "#potholes",
            "#bins",
            "#SortItOut",
            "#rubbish",
            "#FixMyStreet",
            "#CR0",
            "#SouthLondon",
        ],
    }
}
