//! Dashboard costs with many accounts: one frame's render, one tick's `update`, JWT
//! decoding and the claims pane's formatting, as medians, each beside a baseline measured
//! in the same run.
//!
//! Run: `cargo bench --bench dashboard`

use chrono::{DateTime, Utc};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::hint::black_box;
use std::time::{Duration, Instant};
use tokdeck::config::Flow;
use tokdeck::token::TokenSet;
use tokdeck::tui::event::Msg;
use tokdeck::tui::model::{AccountRow, Health, Model, Setup, Source};

const SAMPLES: usize = 200;

fn median(mut f: impl FnMut()) -> Duration {
    for _ in 0..10 {
        f();
    }
    let mut times: Vec<Duration> = (0..SAMPLES)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    times.sort();
    times[SAMPLES / 2]
}

fn token(now: DateTime<Utc>, i: i64) -> TokenSet {
    let claims = format!(
        r#"{{"iss":"https://idp.example","sub":"user-{i}","aud":"api","exp":{},"iat":{},"scope":"openid profile api:read"}}"#,
        now.timestamp() + 3600,
        now.timestamp()
    );
    use base64::Engine;
    let enc = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    TokenSet::bearer(
        format!(
            "{}.{}.{}",
            enc(r#"{"alg":"RS256","kid":"k1"}"#),
            enc(&claims),
            "c2ln".repeat(64)
        ),
        now,
    )
    .with_refresh_token("rt")
    .with_scopes(&["openid"])
    .expiring_at(now + chrono::Duration::seconds(60 + i * 7))
}

fn model(accounts: usize, now: DateTime<Utc>) -> Model {
    let rows = (0..accounts)
        .map(|i| {
            let mut row = AccountRow::new(
                &format!("account-{i:04}"),
                &format!("provider-{}", i / 50),
                Source::Login(Flow::Device),
            );
            row.health = Health::Fine;
            row.tokens = (i % 5 != 0).then(|| token(now, i as i64));
            row
        })
        .collect();
    let mut model = Model::new(Setup::Ready, rows, now);
    model.selected = accounts / 2;
    model
}

fn main() {
    let now = Utc::now();
    let mut terminal = Terminal::new(TestBackend::new(160, 50)).expect("terminal");
    let small = model(10, now);
    let large = model(1000, now);
    let frame_10 = median(|| {
        terminal
            .draw(|f| tokdeck::tui::view::draw(f, black_box(&small)))
            .expect("draw");
    });
    let frame_1000 = median(|| {
        terminal
            .draw(|f| tokdeck::tui::view::draw(f, black_box(&large)))
            .expect("draw");
    });
    let mut tick_small = model(10, now);
    let mut tick_large = model(1000, now);
    let mut second = 0;
    let update_10 = median(|| {
        second += 1;
        black_box(tokdeck::tui::update::update(
            &mut tick_small,
            Msg::Tick(now + chrono::Duration::seconds(second % 25)),
        ));
    });
    let update_1000 = median(|| {
        second += 1;
        black_box(tokdeck::tui::update::update(
            &mut tick_large,
            Msg::Tick(now + chrono::Duration::seconds(second % 25)),
        ));
    });
    let jwt = token(now, 1).access_token.expose().to_string();
    let decode = median(|| {
        black_box(tokdeck::jwt::decode(black_box(&jwt)).ok());
    });
    let copy = median(|| {
        black_box(black_box(&jwt).clone());
    });
    // The claims pane: header and claims, humanized times, explanations, wrapped to 70
    // columns; beside the decoding it starts from.
    let decoded = tokdeck::jwt::decode(&jwt).map_err(|e| e.to_string());
    let format = median(|| {
        black_box(tokdeck::tui::view::claims::lines(
            black_box(&decoded),
            now,
            70,
        ));
    });

    println!(
        "{:<44} {:>12} {:>12} {:>8}",
        "measure (median of 200)", "value", "baseline", "ratio"
    );
    let row = |name: &str, v: Duration, base: Duration, base_name: &str| {
        println!(
            "{name:<44} {:>10.1}µs {:>10.1}µs {:>7.1}x   (baseline: {base_name})",
            v.as_secs_f64() * 1e6,
            base.as_secs_f64() * 1e6,
            v.as_secs_f64() / base.as_secs_f64()
        );
    };
    row(
        "frame render, 1,000 accounts, 160x50",
        frame_1000,
        frame_10,
        "10 accounts",
    );
    row(
        "update(Tick), 1,000 accounts",
        update_1000,
        update_10,
        "10 accounts",
    );
    row(
        "jwt::decode of a 0.5 KiB access token",
        decode,
        copy,
        "String clone of it",
    );
    row(
        "claims pane lines of that token, 70 columns",
        format,
        decode,
        "jwt::decode of it",
    );
}
