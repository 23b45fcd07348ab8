//! Numbers and lists as people read them on the desk and in the CLI: counts
//! with thousands separators (en-GB: 12,345), amounts and unit prices in US
//! dollars (X bills in dollars), and a long list of names cut to its first
//! few ("Croydon, Fieldway, Addiscombe and 16 more").

/// `n` with a comma between each group of three digits: `12,345`.
pub fn thousands(n: u64) -> String {
    group(&n.to_string())
}

/// Commas between groups of three in a string of ASCII digits.
fn group(digits: &str) -> String {
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// An amount of money in US dollars, to the cent, with thousands
/// separators: `$1,234.56`. A positive amount below half a cent (which would
/// show as `$0.00`) is `under $0.01`, so money spent never reads as none.
pub fn usd(amount: f64) -> String {
    if !amount.is_finite() {
        return "an unknown amount".to_owned();
    }
    if amount > 0.0 && amount < 0.005 {
        return "under $0.01".to_owned();
    }
    // A hair over the half cent rounds up however the sum was carried in
    // binary (0.015 is 0.01499… as an f64).
    let cents = (amount.abs() * 100.0 + 1e-6).round() as u64;
    let sign = if amount < 0.0 && cents > 0 { "-" } else { "" };
    format!("{sign}${}.{:02}", thousands(cents / 100), cents % 100)
}

/// A unit price in US dollars with as many decimals as it needs (two at
/// least, four at most): `$0.005`, `$0.015`, `$0.20`, `$1.00`.
pub fn usd_price(price: f64) -> String {
    if !price.is_finite() {
        return "an unknown price".to_owned();
    }
    let fixed = format!("{:.4}", price.abs());
    let (whole, decimals) = fixed.split_once('.').unwrap_or((&fixed, "0000"));
    let decimals = decimals.trim_end_matches('0');
    let sign = if price < 0.0 { "-" } else { "" };
    format!("{sign}${}.{decimals:0<2}", group(whole))
}

/// The first `shown` of `names` and how many more: "A, B, C and 16 more".
/// When all but one would be shown, all are: "A, B, C and D" (never "and 1
/// more"); one name is itself, none is "".
pub fn first_few(names: &[String], shown: usize) -> String {
    let shown = shown.max(1);
    match names {
        [] => String::new(),
        [one] => one.clone(),
        _ if names.len() <= shown + 1 => {
            let (last, rest) = names.split_last().expect("two or more");
            format!("{} and {last}", rest.join(", "))
        }
        _ => format!(
            "{} and {} more",
            names[..shown].join(", "),
            thousands((names.len() - shown) as u64)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_have_a_comma_every_three_digits() {
        for (n, text) in [
            (0, "0"),
            (7, "7"),
            (999, "999"),
            (1_000, "1,000"),
            (12_345, "12,345"),
            (100_000, "100,000"),
            (1_234_567, "1,234,567"),
            (10_000_000, "10,000,000"),
            (u64::MAX, "18,446,744,073,709,551,615"),
        ] {
            assert_eq!(thousands(n), text, "{n}");
        }
    }

    #[test]
    fn money_is_shown_to_the_cent_and_never_as_none_when_some_was_spent() {
        for (amount, text) in [
            (0.0, "$0.00"),
            (0.001, "under $0.01"),
            (0.0049, "under $0.01"),
            (0.005, "$0.01"),
            (0.015, "$0.02"),
            (4.165, "$4.17"),
            (1234.5, "$1,234.50"),
            (1_000_000.0, "$1,000,000.00"),
            (-2.5, "-$2.50"),
            (f64::NAN, "an unknown amount"),
        ] {
            assert_eq!(usd(amount), text, "{amount}");
        }
    }

    #[test]
    fn prices_keep_the_decimals_they_need() {
        for (price, text) in [
            (0.005, "$0.005"),
            (0.001, "$0.001"),
            (0.015, "$0.015"),
            (0.2, "$0.20"),
            (0.01, "$0.01"),
            (1.0, "$1.00"),
            (0.0125, "$0.0125"),
            (1500.0, "$1,500.00"),
        ] {
            assert_eq!(usd_price(price), text, "{price}");
        }
    }

    #[test]
    fn a_long_list_shows_its_first_names_and_how_many_more() {
        let names = |n: usize| -> Vec<String> { (1..=n).map(|i| format!("P{i}")).collect() };
        assert_eq!(first_few(&names(0), 3), "");
        assert_eq!(first_few(&names(1), 3), "P1");
        assert_eq!(first_few(&names(2), 3), "P1 and P2");
        assert_eq!(
            first_few(&names(4), 3),
            "P1, P2, P3 and P4",
            "never 'and 1 more'"
        );
        assert_eq!(first_few(&names(5), 3), "P1, P2, P3 and 2 more");
        assert_eq!(first_few(&names(19), 3), "P1, P2, P3 and 16 more");
        assert_eq!(first_few(&names(1_003), 2), "P1, P2 and 1,001 more");
    }
}
